import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Notification } from '@mission/core';
import {
  DELIVERY_HEADER,
  type Delivery,
  type MissionEvent,
  SIGNATURE_HEADER,
  type Subscription,
  type Task,
  verifyNotification,
} from '@mission/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCpuLoad } from './support/cpuLoad.ts';
import { recordChild } from './support/childProcesses.ts';
import { waitUntil } from './support/processes.ts';
import { ADMIN, startTestSystem, type TestSystem } from './support/system.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A local webhook receiver: records every request, answers each as `answer` says (a status, or hold it). */
interface Received {
  delivery: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  status: number | 'held';
}
function startReceiver() {
  const received: Received[] = [];
  let answer: (delivery: string, body: string) => number | 'hold' = () => 200;
  const held: http.ServerResponse[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const delivery = String(request.headers[DELIVERY_HEADER]);
      const status = answer(delivery, body);
      received.push({ delivery, headers: request.headers, body, status: status === 'hold' ? 'held' : status });
      if (status === 'hold') held.push(response);
      else response.writeHead(status).end();
    });
  });
  return {
    received,
    answerWith: (fn: typeof answer) => (answer = fn),
    listen: () =>
      new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
      ),
    close: () => {
      for (const response of held) response.destroy();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The job lock of every delivery worker here: a delivery whose process died goes to another within two or three of
 * these (BullMQ's check for stalled jobs runs once per lock); long enough for the lock's renewal (every half of it)
 * under the file's CPU load.
 */
const DELIVERY_LOCK_MS = 3_000;

describe('notifications: webhooks derived from the event stream (local receiver, real Redis and Postgres)', () => {
  let system: TestSystem;
  let receiver: ReturnType<typeof startReceiver>;
  let receiverUrl: string;
  let stopLoad: () => Promise<void>;

  beforeAll(async () => {
    stopLoad = startCpuLoad();
    receiver = startReceiver();
    receiverUrl = await receiver.listen();
    // No worker: tasks stay queued, so their events are the test's own; the API derives and delivers. Its delivery
    // worker and the test's delivery processes share one job lock, as a deployment's replicas do: each check for stalled
    // jobs holds the queue's next one off for its worker's lock, so a worker of a longer lock delays every handover.
    system = await startTestSystem({
      inProcessWorker: false,
      env: { MISSION_NOTIFY_RETRY_MS: '50', MISSION_NOTIFY_ATTEMPTS: '5', MISSION_JOB_LOCK_MS: String(DELIVERY_LOCK_MS) },
    });
    await system.core.notifications.ready;
  });
  afterAll(async () => {
    await system?.close();
    await receiver?.close();
    await stopLoad?.();
  });

  const subscribe = async (body: Record<string, unknown>): Promise<Subscription & { secret: string }> => {
    const response = await system.fetch('/v1/notifications', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(201);
    return (await response.json()) as Subscription & { secret: string };
  };
  const deliveries = async (id: string): Promise<Delivery[]> =>
    ((await (await system.fetch(`/v1/notifications/${id}/deliveries`)).json()) as { deliveries: Delivery[] }).deliveries;
  const queuedTask = async (): Promise<Task> => (await system.core.tasks.submit({ slot: 'default', prompt: 'notify me' })).task;
  const ofSubscription = (id: string) => receiver.received.filter((r) => r.delivery.startsWith(`${id}.`));

  it('an approval: signed JSON body that verifies, with signed links that decide it without a token', async () => {
    const sub = await subscribe({ name: 'approvals', url: `${receiverUrl}/hook`, events: ['approval_requested'] });
    const task = await queuedTask();
    const { approval } = await system.core.receipts.request(
      { kind: 'task', id: task.id },
      { action_class: 'deploy', summary: 'Deploy v2 to production' },
      'test',
    );

    await waitUntil(async () => (await deliveries(sub.id))[0]?.status === 'delivered', 30_000, 'the approval notification to be delivered');
    const [request] = ofSubscription(sub.id);
    expect(request!.delivery).toBe(
      `${sub.id}.${task.id}.${1 + (await system.core.events.list(task.id)).findIndex((e) => e.type === 'approval_requested')}`,
    );
    expect(verifyNotification(sub.secret, request!.body, request!.headers[SIGNATURE_HEADER] as string)).toBe(true);
    expect(verifyNotification(sub.secret, request!.body.replace('Deploy', 'Destroy'), request!.headers[SIGNATURE_HEADER] as string)).toBe(
      false,
    );
    expect(verifyNotification('another secret of enough length', request!.body, request!.headers[SIGNATURE_HEADER] as string)).toBe(false);
    const notification = JSON.parse(request!.body) as Notification;
    expect(notification).toMatchObject({
      kind: 'approval_requested',
      subject: { kind: 'task', id: task.id },
      slot: 'default',
      approval: { approvalId: approval!.id },
    });

    // The phone: the page opens without a token, and one POST on the signed approve link decides it.
    // (The links are made on MISSION_PUBLIC_URL; the test's API listens on a port chosen at start.)
    const onApi = (link: string) => new URL(new URL(link).pathname, system.url);
    expect((await fetch(onApi(notification.approval!.page))).status).toBe(200);
    const decided = await fetch(onApi(notification.approval!.approve), { method: 'POST' });
    expect(decided.status, await decided.clone().text()).toBe(200);
    expect(await system.core.approvals.get(approval!.id, ADMIN)).toMatchObject({ status: 'approved', decidedBy: 'link' });
    expect((await system.core.receipts.get(approval!.id)).decision).toBe('approved');
  });

  it('Slack and ntfy formats: a Slack body with buttons, an ntfy message with one-tap http actions on the topic', async () => {
    const slack = await subscribe({ name: 'slack', url: `${receiverUrl}/services/T/B/X`, format: 'slack', events: ['approval_requested'] });
    const ntfy = await subscribe({ name: 'ntfy', url: `${receiverUrl}/mission-alerts`, format: 'ntfy', events: ['approval_requested'] });
    const task = await queuedTask();
    await system.core.receipts.request({ kind: 'task', id: task.id }, { action_class: 'email.send', summary: 'Mail the customer' }, 'test');
    await waitUntil(
      () => ofSubscription(slack.id).length > 0 && ofSubscription(ntfy.id).length > 0,
      30_000,
      'both formats to be delivered',
    );
    const slackBody = JSON.parse(ofSubscription(slack.id)[0]!.body);
    expect(slackBody.text).toContain('Approval needed: action:email.send');
    expect(slackBody.blocks[1].elements.map((e: { text: { text: string } }) => e.text.text)).toEqual(['Approve', 'Deny']);
    const ntfyBody = JSON.parse(ofSubscription(ntfy.id)[0]!.body);
    expect(ntfyBody).toMatchObject({ topic: 'mission-alerts', title: 'Approval needed: action:email.send on default', priority: 4 });
    expect(ntfyBody.actions.slice(0, 2)).toEqual([
      expect.objectContaining({
        action: 'http',
        label: 'Approve',
        method: 'POST',
        url: expect.stringMatching(/\/approvals\/.+\/approve$/),
      }),
      expect.objectContaining({ action: 'http', label: 'Deny', method: 'POST', url: expect.stringMatching(/\/approvals\/.+\/deny$/) }),
    ]);
  });

  it('retries after 500s with backoff, then delivers once; filters by slot', async () => {
    const sub = await subscribe({
      name: 'retries',
      url: `${receiverUrl}/flaky`,
      events: ['task_succeeded', 'task_failed'],
      slots: ['default'],
    });
    await subscribe({ name: 'elsewhere', url: `${receiverUrl}/elsewhere`, events: ['task_succeeded'], slots: ['other'] });
    let failures = 2;
    receiver.answerWith((delivery) => (delivery.startsWith(`${sub.id}.`) && failures-- > 0 ? 500 : 200));
    const task = await queuedTask();
    await system.core.events.append({ kind: 'task', id: task.id }, { type: 'state', payload: { state: 'succeeded' } });
    await waitUntil(async () => (await deliveries(sub.id))[0]?.status === 'delivered', 30_000, 'the delivery to succeed after two 500s');
    const [log] = await deliveries(sub.id);
    expect(log).toMatchObject({ kind: 'task_succeeded', subject: task.id, attempts: 3, lastStatusCode: 200, lastError: null });
    expect(ofSubscription(sub.id).map((r) => [r.delivery, r.status])).toEqual([
      [log!.id, 500],
      [log!.id, 500],
      [log!.id, 200],
    ]);
    expect(receiver.received.filter((r) => r.headers['mission-event'] === 'task_succeeded' && r.body.includes('"slot":"other"'))).toEqual(
      [],
    );
    receiver.answerWith(() => 200);
  });

  it('a change of the subscriptions holds from the next event on: kept between events, read again once the change is announced', async () => {
    const watched = await subscribe({ name: 'watched', url: `${receiverUrl}/watched`, events: ['task_failed'] });
    // Wants every event here: once it has one, the deriver (one event at a time, in order) has handled those before.
    const witness = await subscribe({ name: 'witness', url: `${receiverUrl}/witness`, events: ['task_failed', 'task_succeeded'] });
    const task = await queuedTask();
    const owner = { kind: 'task' as const, id: task.id };
    const ended = async (state: 'failed' | 'succeeded') => {
      const event = (await system.core.events.append(owner, { type: 'state', payload: { state } })) as MissionEvent;
      await waitUntil(
        () => ofSubscription(witness.id).some((r) => r.delivery === `${witness.id}.${task.id}.${event.seq}`),
        30_000,
        `the witness to hear event ${event.seq}`,
      );
      return event.seq;
    };
    const watchedSeqs = () => ofSubscription(watched.id).map((r) => Number(r.delivery.split('.').at(-1)));

    const first = await ended('failed');
    await waitUntil(() => watchedSeqs().includes(first), 30_000, 'the watched subscription to get its event');
    const update = await system.fetch(`/v1/notifications/${watched.id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${receiverUrl}/watched`, events: ['task_succeeded'] }),
    });
    expect(update.status).toBe(200);
    const second = await ended('failed');
    const third = await ended('succeeded');
    await waitUntil(() => watchedSeqs().includes(third), 30_000, 'the changed subscription to get the kind it wants now');
    expect(watchedSeqs()).not.toContain(second);

    expect((await system.fetch(`/v1/notifications/${watched.id}`, { method: 'DELETE' })).status).toBe(200);
    const fourth = await ended('succeeded');
    expect(watchedSeqs()).toEqual([first, third]);
    expect(fourth).toBeGreaterThan(third);
    expect((await system.fetch(`/v1/notifications/${witness.id}`, { method: 'DELETE' })).status).toBe(200);
  });

  it("keeps each subject's order: a later event waits while an earlier one is retried", async () => {
    const sub = await subscribe({ name: 'ordered', url: `${receiverUrl}/ordered`, events: ['approval_requested'] });
    const task = await queuedTask();
    let first = 3;
    receiver.answerWith((delivery) => (delivery.startsWith(`${sub.id}.`) && first-- > 0 ? 500 : 200));
    for (const n of [1, 2, 3, 4])
      await system.core.receipts.request({ kind: 'task', id: task.id }, { action_class: 'step', summary: `step ${n}` }, 'test');
    await waitUntil(async () => (await deliveries(sub.id)).filter((d) => d.status === 'delivered').length === 4, 60_000, 'four deliveries');
    const seqs = ofSubscription(sub.id).map((r) => Number(r.delivery.split('.').at(-1)));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(ofSubscription(sub.id).map((r) => r.status)).toEqual([500, 500, 500, 200, 200, 200, 200]);
    receiver.answerWith(() => 200);
  });

  it('nothing is sent twice: an event derived again, and a delivery worker killed with SIGKILL mid-request', async () => {
    // Only a separate delivery process sends for this subscription: the API's own worker is stopped.
    await system.core.notifications.worker!.close();
    const sub = await subscribe({ name: 'crash', url: `${receiverUrl}/crash`, events: ['task_failed'] });
    let hold = true;
    receiver.answerWith((delivery) => (delivery.startsWith(`${sub.id}.`) && hold ? 'hold' : 200));
    // Both delivery processes start up front (a process takes seconds to start on a loaded machine).
    const processes = { one: startDeliveryProcess('one'), two: startDeliveryProcess('two') };
    await Promise.all([processes.one.ready, processes.two.ready]);
    const task = await queuedTask();
    const event = (await system.core.events.append(
      { kind: 'task', id: task.id },
      { type: 'state', payload: { state: 'failed', reason: 'exit code 1' } },
    )) as MissionEvent;
    await waitUntil(() => ofSubscription(sub.id).length === 1, 30_000, 'the request to reach the receiver');
    // The process holding the request dies with it; the other takes the job over.
    const deliveryId = `${sub.id}.${task.id}.${event.seq}`;
    const holder = (await system.core.notifications.queue.getJob(deliveryId))!.processedBy as 'one' | 'two';
    const other = holder === 'one' ? processes.two : processes.one;
    processes[holder].child.kill('SIGKILL');
    await processes[holder].exited;
    hold = false;
    // BullMQ hands the dead process's job over once its lock (DELIVERY_LOCK_MS) lapses; the retry carries the same delivery id.
    await waitUntil(
      async () => (await deliveries(sub.id))[0]?.status === 'delivered',
      60_000,
      'the stalled delivery to be sent again and succeed',
    );
    // The same event heard again (another API replica, a replay) makes no new delivery.
    await system.core.notifications.deriver.handle(event);
    await system.core.notifications.deriver.handle(event);
    const answered = ofSubscription(sub.id).filter((r) => r.status === 200);
    expect(answered).toHaveLength(1);
    expect(new Set(ofSubscription(sub.id).map((r) => r.delivery))).toEqual(new Set([deliveryId]));
    const [log] = await deliveries(sub.id);
    expect(log).toMatchObject({ status: 'delivered', lastStatusCode: 200 });
    // A job queued again for a delivered notification is dropped, not sent.
    await system.core.notifications.queue.add('deliver', { deliveryId: log!.id }, { jobId: `${log!.id}-again` });
    await waitUntil(
      async () =>
        (await system.core.notifications.queue.getCompletedCount()) > 0 &&
        (await system.core.notifications.queue.getJob(`${log!.id}-again`))?.returnvalue === 'already settled',
      30_000,
      'the extra job to be dropped',
    );
    expect(ofSubscription(sub.id).filter((r) => r.status === 200)).toHaveLength(1);
    other.child.kill('SIGKILL');
    await other.exited;
  }, 120_000);

  function startDeliveryProcess(name: string): { child: ChildProcess; ready: Promise<void>; exited: Promise<unknown> } {
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/support/notifyDeliveryProcess.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: system.config.databaseUrl,
        REDIS_URL: system.config.redisUrl,
        MISSION_QUEUE_PREFIX: system.config.queuePrefix,
        LOCK_MS: String(system.config.jobLockMs),
        WORKER_NAME: name,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    recordChild(child);
    let output = '';
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('ready\n')) resolve();
      });
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code) => reject(new Error(`the delivery process exited with ${code}:\n${output}`)));
    });
    ready.catch(() => {
      /* awaited by the test; observed here so an early exit is not an unhandled rejection */
    });
    return { child, ready, exited: new Promise((resolve) => child.once('exit', resolve)) };
  }
});
