import { describe, expect, it } from 'vitest';
import { jsonAnswerableRequest } from './jsonAnswerable.ts';

const headers = {
  accept: 'application/json, text/event-stream',
  'content-type': 'application/json',
  'mcp-protocol-version': '2025-06-18',
};
const call = (meta?: Record<string, unknown>) => ({
  jsonrpc: '2.0',
  id: 3,
  method: 'tools/call',
  params: { name: 'mission_status', arguments: { id: 'task_1' }, ...(meta ? { _meta: meta } : {}) },
});

describe('which POSTs /mcp answers as one application/json response', () => {
  it('a request that asked for no progress: a tool call, a list, a ping', () => {
    expect(jsonAnswerableRequest(call(), headers)).toEqual(call());
    expect(jsonAnswerableRequest({ jsonrpc: '2.0', id: 'a', method: 'tools/list' }, headers)?.method).toBe('tools/list');
    expect(jsonAnswerableRequest({ jsonrpc: '2.0', id: 0, method: 'ping' }, headers)?.id).toBe(0);
    const { 'mcp-protocol-version': _, ...withoutVersion } = headers;
    expect(jsonAnswerableRequest(call(), withoutVersion)).toBeDefined();
  });

  it('not a request that will send progress notifications (they need an event stream)', () => {
    expect(jsonAnswerableRequest(call({ progressToken: 'p1' }), headers)).toBeUndefined();
    expect(jsonAnswerableRequest(call({ progressToken: 0 }), headers)).toBeUndefined();
  });

  it('not initialize, notifications, answers or batches: they stay with the SDK transport', () => {
    const initialize = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1.0.0' } },
    };
    expect(jsonAnswerableRequest(initialize, headers)).toBeUndefined();
    expect(jsonAnswerableRequest({ jsonrpc: '2.0', method: 'notifications/initialized' }, headers)).toBeUndefined();
    expect(jsonAnswerableRequest({ jsonrpc: '2.0', id: 9, result: {} }, headers)).toBeUndefined();
    expect(jsonAnswerableRequest([call()], headers)).toBeUndefined();
  });

  it('not what the SDK transport refuses, so it refuses it as before', () => {
    expect(jsonAnswerableRequest(call(), { ...headers, accept: 'application/json' })).toBeUndefined();
    expect(jsonAnswerableRequest(call(), { ...headers, accept: undefined })).toBeUndefined();
    expect(jsonAnswerableRequest(call(), { ...headers, 'content-type': 'text/plain' })).toBeUndefined();
    expect(jsonAnswerableRequest(call(), { ...headers, 'mcp-protocol-version': '1999-01-01' })).toBeUndefined();
    expect(jsonAnswerableRequest({ jsonrpc: '1.0', id: 1, method: 'ping' }, headers)).toBeUndefined();
    expect(jsonAnswerableRequest('ping', headers)).toBeUndefined();
    expect(jsonAnswerableRequest(undefined, headers)).toBeUndefined();
  });
});
