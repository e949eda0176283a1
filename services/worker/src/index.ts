export * from './worker.ts';
export * from './headless/streamJson.ts';
export * from './taskOutcome.ts';
