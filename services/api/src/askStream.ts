import type { ServerResponse } from 'node:http';
import type { MissionError, Task } from '@mission/contracts';
import type { FastifyReply } from 'fastify';
import { errorFrame } from './eventFanOut.ts';
import { openEventStream } from './sse.ts';

/**
 * An ask answered as Server-Sent Events (`Accept: text/event-stream`), for an asker that follows its task meanwhile
 * (its events, its approvals) while the ask waits: `task` once the task is submitted (the task, with its id), then
 * one last message when the ask ends — `answer` (`{answer, task}`, as the JSON ask answers) or `error` (the error's
 * `{code, message, details}`, as the JSON ask's body has it). A refusal before the task exists (a bad body, an
 * unknown slot, a spent budget) is an HTTP error as ever: the stream opens only once there is a task.
 */
export class AskStream {
  private open: { res: ServerResponse; stopKeepalive: () => void } | null = null;

  constructor(private readonly reply: FastifyReply) {}

  get opened(): boolean {
    return this.open !== null;
  }

  /** The task is submitted (`replayed`: an Idempotency-Key's earlier task, header Idempotent-Replayed: true). */
  submitted(task: Task, replayed: boolean): void {
    this.open = openEventStream(this.reply, replayed ? { 'idempotent-replayed': 'true' } : {});
    this.open.res.write(`event: task\ndata: ${JSON.stringify(task)}\n\n`);
  }

  answered(task: Task): void {
    this.end(`event: answer\ndata: ${JSON.stringify({ answer: task.result, task })}\n\n`);
  }

  failed(error: MissionError): void {
    this.end(errorFrame(error));
  }

  private end(frame: string): void {
    if (!this.open) throw new Error('the ask stream ends before it opened');
    this.open.stopKeepalive();
    this.open.res.end(frame);
  }
}
