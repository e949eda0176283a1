export * from './server.ts';
export * from './start.ts';
