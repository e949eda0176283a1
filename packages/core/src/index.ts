export * from './runtime.ts';
export * from './slots.ts';
export * from './slotsFile.ts';
export * from './tasks.ts';
export * from './sessions.ts';
export * from './overview.ts';
