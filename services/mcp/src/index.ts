export * from './bridge.ts';
export * from './http.ts';
export * from './server.ts';
export * from './httpFetch.ts';
