// The API's request and response shapes: zod and nothing else, so the CLI's bundle can take them alone (@mission/contracts/schemas).
export * from './slots.ts';
export * from './tasks.ts';
export * from './sessions.ts';
export * from './approvals.ts';
export * from './subagent.ts';
export * from './tokens.ts';
export * from './workers.ts';
export * from './overview.ts';
export * from './usage.ts';
export * from './ccRecords.ts';
export * from './messages.ts';
export * from './coordination.ts';
export * from './audit.ts';
export * from './receipts.ts';
export * from './notifications.ts';
