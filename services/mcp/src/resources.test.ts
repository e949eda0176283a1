import type { CoreRuntime } from '@mission/core';
import type { Caller } from '@mission/contracts';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMissionMcpServer } from './server.ts';

const operator: Caller = { label: 'test', scopes: ['admin'], key: 'test' };

/** A client on an in-memory link whose every message carries the operator, as the HTTP transport's do. */
function authenticatedPair(): [Transport, Transport] {
  const [client, server] = InMemoryTransport.createLinkedPair();
  const send = client.send.bind(client);
  client.send = (message, options) =>
    send(message, { ...options, authInfo: { token: '', clientId: 'test', scopes: ['admin'], extra: { caller: operator } } });
  return [client, server];
}

describe('resource subscriptions', () => {
  let sessions: unknown[];
  const core = {
    sessions: { list: vi.fn(async () => sessions) },
    overview: vi.fn(async () => ({ tasks: {} })),
    logger: { warn: vi.fn(), error: vi.fn() },
  } as unknown as CoreRuntime;

  beforeEach(() => {
    sessions = [];
    vi.useFakeTimers();
  });
  afterEach(() => void vi.useRealTimers());

  async function connect() {
    const mission = createMissionMcpServer(core);
    const [clientSide, serverSide] = authenticatedPair();
    await mission.server.connect(serverSide);
    const client = new Client({ name: 'test', version: '1.0.0' });
    await client.connect(clientSide);
    const updates: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updates.push(n.params.uri));
    return { mission, client, updates };
  }

  it('polls only while something is subscribed, and tells the client of a change', async () => {
    const { mission, client, updates } = await connect();
    expect(vi.getTimerCount()).toBe(0);

    await client.subscribeResource({ uri: 'mission://sessions' });
    expect(vi.getTimerCount()).toBe(1);
    sessions = [{ id: 'ses_1' }];
    await vi.advanceTimersByTimeAsync(1_000);
    expect(updates).toEqual(['mission://sessions']);

    await client.subscribeResource({ uri: 'mission://status' });
    expect(vi.getTimerCount()).toBe(1);
    await client.unsubscribeResource({ uri: 'mission://sessions' });
    expect(vi.getTimerCount()).toBe(1);
    await client.unsubscribeResource({ uri: 'mission://status' });
    expect(vi.getTimerCount()).toBe(0);
    mission.close();
  });

  it('closing the server stops the poll of a client that never unsubscribed', async () => {
    const { mission, client } = await connect();
    await client.subscribeResource({ uri: 'mission://sessions' });
    expect(vi.getTimerCount()).toBe(1);
    mission.close();
    expect(vi.getTimerCount()).toBe(0);
    const reads = vi.mocked(core.sessions.list).mock.calls.length;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(vi.mocked(core.sessions.list).mock.calls.length).toBe(reads);
  });

  it('a subscription to a resource Mission does not have starts no poll', async () => {
    const { client } = await connect();
    await client.subscribeResource({ uri: 'test://watched-resource' });
    expect(vi.getTimerCount()).toBe(0);
  });
});
