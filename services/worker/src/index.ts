export * from './worker.ts';
export * from './headless/streamJson.ts';
export * from './taskOutcome.ts';
export * from './pty/ptySession.ts';
export * from './pty/terminal.ts';
export * from './pty/screen.ts';
