import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { rawRedis } from './rawRedis.ts';

/**
 * The raw side's source in the fan-out bench (forked by fanout.bench.ts), in the shape of Mission's worker: it
 * starts the same chatty agent and publishes each assistant line the agent writes as an event, as it is read (no
 * store). Once the agent exits, the message `end` closes the relay's streams. Tells its parent `started` once the
 * agent runs (it then waits for its go file).
 */
const { RAW_REDIS_URL, RAW_CHANNEL, RAW_AGENT } = process.env;
const publisher = rawRedis(RAW_REDIS_URL!, 'bench-raw-agent-publisher');
const agent = spawn(RAW_AGENT!, [], { stdio: ['ignore', 'pipe', 'inherit'] });
let seq = 0;
const published: Promise<unknown>[] = [];
for await (const line of readline.createInterface({ input: agent.stdout! })) {
  if (line.includes('"type":"system"')) process.send!('started');
  if (!line.includes('"type":"assistant"')) continue;
  seq++;
  const event = {
    id: `evt_${seq}`,
    ownerKind: 'task',
    ownerId: 'task_bench',
    seq,
    type: 'assistant_message',
    payload: { text: line },
    at: new Date().toISOString(),
  };
  published.push(publisher.publish(RAW_CHANNEL!, JSON.stringify(event)));
}
await Promise.all(published);
await publisher.publish(RAW_CHANNEL!, 'end');
publisher.disconnect();
process.disconnect();
