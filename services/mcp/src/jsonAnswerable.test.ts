import { describe, expect, it } from 'vitest';
import { jsonAnswerableRequest } from './jsonAnswerable.ts';

const immediate = new Set(['mission_status']);
const answerable = (body: unknown, requestHeaders: Parameters<typeof jsonAnswerableRequest>[1]) =>
  jsonAnswerableRequest(body, requestHeaders, immediate);

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
  it('a request that answers at once and asked for no progress: a call of an immediate tool, a list, a ping', () => {
    expect(answerable(call(), headers)).toEqual(call());
    expect(answerable({ jsonrpc: '2.0', id: 'a', method: 'tools/list' }, headers)?.method).toBe('tools/list');
    expect(answerable({ jsonrpc: '2.0', id: 0, method: 'ping' }, headers)?.id).toBe(0);
    const { 'mcp-protocol-version': _, ...withoutVersion } = headers;
    expect(answerable(call(), withoutVersion)).toBeDefined();
  });

  it('not a call of a tool that waits (on an agent, a worker, a person): its POST is accepted at once, its answer streams', () => {
    const ask = { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'mission_ask', arguments: { prompt: 'hi' } } };
    expect(answerable(ask, headers)).toBeUndefined();
    expect(answerable({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: {} }, headers)).toBeUndefined();
  });

  it('not a request that will send progress notifications (they need an event stream)', () => {
    expect(answerable(call({ progressToken: 'p1' }), headers)).toBeUndefined();
    expect(answerable(call({ progressToken: 0 }), headers)).toBeUndefined();
  });

  it('not initialize, notifications, answers or batches: they stay with the SDK transport', () => {
    const initialize = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1.0.0' } },
    };
    expect(answerable(initialize, headers)).toBeUndefined();
    expect(answerable({ jsonrpc: '2.0', method: 'notifications/initialized' }, headers)).toBeUndefined();
    expect(answerable({ jsonrpc: '2.0', id: 9, result: {} }, headers)).toBeUndefined();
    expect(answerable([call()], headers)).toBeUndefined();
  });

  it('not what the SDK transport refuses, so it refuses it as before', () => {
    expect(answerable(call(), { ...headers, accept: 'application/json' })).toBeUndefined();
    expect(answerable(call(), { ...headers, accept: undefined })).toBeUndefined();
    expect(answerable(call(), { ...headers, 'content-type': 'text/plain' })).toBeUndefined();
    expect(answerable(call(), { ...headers, 'mcp-protocol-version': '1999-01-01' })).toBeUndefined();
    expect(answerable({ jsonrpc: '1.0', id: 1, method: 'ping' }, headers)).toBeUndefined();
    expect(answerable('ping', headers)).toBeUndefined();
    expect(answerable(undefined, headers)).toBeUndefined();
  });
});
