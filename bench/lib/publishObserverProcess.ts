import { rawRedis } from './rawRedis.ts';

/** Forked by publishObserver.ts: records when each message (keyed by its JSON `seq`) of a channel is seen. */
const { OBSERVER_REDIS_URL, OBSERVER_CHANNEL } = process.env;
const seen = new Map<number, number>();
const connection = rawRedis(OBSERVER_REDIS_URL!, 'bench-publish-observer');
connection.on('message', (_channel: string, message: string) => {
  const at = Date.now();
  const seq = /"seq":(\d+)/.exec(message)?.[1];
  if (seq !== undefined && !seen.has(Number(seq))) seen.set(Number(seq), at);
});
await connection.subscribe(OBSERVER_CHANNEL!);
process.on('message', () => {
  process.send!([...seen]);
  connection.disconnect();
});
process.send!('subscribed');
process.once('disconnect', () => process.exit(0));
