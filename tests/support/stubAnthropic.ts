import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CLI_FIRST_REQUEST_MS, waitUntil } from './processes.ts';

/** What the stub answers to one request. */
export interface StubReply {
  /** Assistant text (streamed in chunks). */
  text?: string;
  /** Tool calls after the text; Claude Code runs them and sends their results in the next request. */
  toolUses?: { name: string; input: Record<string, unknown>; id?: string }[];
  /** Split the text into this many chunks (default 1) … */
  chunks?: number;
  /** … with this pause between them (a slow stream keeps the CLI "working"). */
  chunkDelayMs?: number;
  /** Answer with this HTTP error instead (Anthropic's error body). */
  error?: { status: number; type: string; message: string; headers?: Record<string, string> };
  usage?: { input_tokens: number; output_tokens: number };
  /** Answer only once this settles: the CLI waits on its request until the test lets it go. */
  heldUntil?: Promise<void>;
}

/** A request as the stub saw it, simplified for scripting and assertions. */
export interface StubRequest {
  model: string;
  stream: boolean;
  tools: string[];
  /** Text of the last user message's text blocks (without system reminders). */
  lastUserText: string;
  /** tool_result blocks of the last user message. */
  toolResults: { toolUseId: string; content: string; isError: boolean }[];
  /** Text of the first user message (system reminders included): what names the request's conversation. */
  conversation: string;
  body: Record<string, unknown>;
}

export type Responder = (request: StubRequest) => StubReply | undefined;

export interface StubAnthropic {
  url: string;
  /** Every /v1/messages request, in order. */
  requests: StubRequest[];
  /** The model requests (side requests without tools left out) of the conversation whose first user message contains `marker`, in order. */
  conversationRequests(marker: string): StubRequest[];
  /**
   * Replies handed out in order, one per request; after them the responder (if any), then `defaultReply`.
   * The test must see each one asked for: one left at its end fails it (use `enqueueFor` for a prompt that may never ask).
   */
  enqueue(...replies: StubReply[]): void;
  /**
   * Replies kept for the conversation whose first user message contains `marker`, handed out in order
   * to its requests before anything else: a reply a test leaves unused (its CLI never asked) cannot
   * answer another test's request.
   */
  enqueueFor(marker: string, ...replies: StubReply[]): void;
  respond(responder: Responder): void;
  /**
   * Ends a test: drops the replies still waiting and returns those of `enqueue` (replies of `enqueueFor`
   * are kept for their prompt, which may legitimately never ask). Called after every test by
   * tests/support/stubChecks.ts, which fails a test that left one: it would have answered the next test.
   */
  endTest(): StubReply[];
  close(): Promise<void>;
}

/**
 * Resolves once a request of `stub` carries `prompt` as its last user text (any of them, not only the last): a real
 * claude's prompt has reached the API, within CLI_FIRST_REQUEST_MS of its launch. `what` names it in a timeout's message.
 */
export function promptAsked(stub: StubAnthropic, prompt: string, what = 'the prompt to reach the API'): Promise<void> {
  return waitUntil(() => stub.requests.some((request) => request.lastUserText === prompt), CLI_FIRST_REQUEST_MS, what);
}

/** The stubs open in this test file, checked after each of its tests (tests/support/stubChecks.ts). */
export const openStubs = new Set<StubAnthropic>();

const DEFAULT_USAGE = { input_tokens: 25, output_tokens: 12 };

/**
 * A stub of the Anthropic Messages API for the real Claude Code CLI: `POST /v1/messages` streaming
 * (SSE) or not, `count_tokens`, and a harmless answer to anything else. Point the CLI at it with
 * ANTHROPIC_BASE_URL.
 */
export async function startStubAnthropic(options: { defaultReply?: StubReply } = {}): Promise<StubAnthropic> {
  const queue: StubReply[] = [];
  const keyedQueues = new Map<string, StubReply[]>();
  const requests: StubRequest[] = [];
  let responder: Responder | undefined;
  let messageCounter = 0;
  const sockets = new Set<import('node:net').Socket>();

  const server = http.createServer(async (req, res) => {
    const body = await readJson(req);
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'POST' && path === '/v1/messages') {
      const request = toStubRequest(body);
      requests.push(request);
      const keyed = [...keyedQueues].find(([marker, replies]) => replies.length > 0 && request.conversation.includes(marker))?.[1];
      const reply = keyed?.shift() ?? queue.shift() ?? responder?.(request) ?? options.defaultReply ?? { text: 'OK' };
      const id = `msg_stub_${++messageCounter}`;
      if (reply.heldUntil) await reply.heldUntil;
      if (reply.error) return sendError(res, reply.error);
      return request.stream ? streamReply(res, id, request.model, reply) : sendReply(res, id, request.model, reply);
    }
    if (req.method === 'POST' && path === '/v1/messages/count_tokens') return sendJson(res, 200, { input_tokens: 100 });
    sendJson(res, 200, {});
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const stub: StubAnthropic = {
    url: `http://127.0.0.1:${port}`,
    requests,
    conversationRequests: (marker) => requests.filter((request) => request.tools.length > 0 && request.conversation.includes(marker)),
    enqueue: (...replies) => queue.push(...replies),
    enqueueFor: (marker, ...replies) => keyedQueues.set(marker, [...(keyedQueues.get(marker) ?? []), ...replies]),
    respond: (next) => (responder = next),
    endTest: () => {
      keyedQueues.clear();
      return queue.splice(0);
    },
    close: () =>
      new Promise((resolve) => {
        openStubs.delete(stub);
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  openStubs.add(stub);
  return stub;
}

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) text += chunk;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return {};
  }
}

type Block = { type: string; text?: string; tool_use_id?: string; content?: unknown; is_error?: boolean };

function toStubRequest(body: Record<string, unknown>): StubRequest {
  const messages = (body.messages as { role: string; content: string | Block[] }[] | undefined) ?? [];
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  const blocks: Block[] = typeof lastUser?.content === 'string' ? [{ type: 'text', text: lastUser.content }] : (lastUser?.content ?? []);
  return {
    model: String(body.model ?? ''),
    stream: body.stream === true,
    tools: ((body.tools as { name: string }[] | undefined) ?? []).map((tool) => tool.name),
    lastUserText: blocks
      .filter((b) => b.type === 'text' && !b.text?.startsWith('<system-reminder>'))
      .map((b) => b.text)
      .join('\n')
      .trim(),
    toolResults: blocks
      .filter((b) => b.type === 'tool_result')
      .map((b) => ({ toolUseId: b.tool_use_id ?? '', content: blockText(b.content), isError: b.is_error === true })),
    conversation: conversationText(body),
    body,
  };
}

/** The text of a request's first user message: what names its conversation. */
function conversationText(body: Record<string, unknown>): string {
  const first = ((body.messages as { role: string; content: string | Block[] }[] | undefined) ?? []).find((m) => m.role === 'user');
  return typeof first?.content === 'string' ? first.content : blockText(first?.content);
}

function blockText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part: Block) => (part.type === 'text' ? (part.text ?? '') : '')).join('\n');
}

function contentBlocks(reply: StubReply, messageId: string) {
  const blocks: ({ type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> })[] = [];
  if (reply.text !== undefined) blocks.push({ type: 'text', text: reply.text });
  for (const [index, tool] of (reply.toolUses ?? []).entries()) {
    blocks.push({ type: 'tool_use', id: tool.id ?? `toolu_${messageId}_${index}`, name: tool.name, input: tool.input });
  }
  return blocks;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function sendError(res: http.ServerResponse, error: NonNullable<StubReply['error']>): void {
  res.writeHead(error.status, { 'content-type': 'application/json', ...error.headers });
  res.end(JSON.stringify({ type: 'error', error: { type: error.type, message: error.message } }));
}

function sendReply(res: http.ServerResponse, id: string, model: string, reply: StubReply): void {
  sendJson(res, 200, {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content: contentBlocks(reply, id),
    stop_reason: reply.toolUses?.length ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: reply.usage ?? DEFAULT_USAGE,
  });
}

async function streamReply(res: http.ServerResponse, id: string, model: string, reply: StubReply): Promise<void> {
  const usage = reply.usage ?? DEFAULT_USAGE;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const send = (type: string, data: Record<string, unknown>) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  send('message_start', {
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: usage.input_tokens, output_tokens: 1 },
    },
  });
  for (const [index, block] of contentBlocks(reply, id).entries()) {
    if (block.type === 'text') {
      send('content_block_start', { index, content_block: { type: 'text', text: '' } });
      for (const piece of split(block.text, reply.chunks ?? 1)) {
        if (res.destroyed) return;
        send('content_block_delta', { index, delta: { type: 'text_delta', text: piece } });
        if (reply.chunkDelayMs) await new Promise((resolve) => setTimeout(resolve, reply.chunkDelayMs));
      }
    } else {
      send('content_block_start', { index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
      send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) } });
    }
    send('content_block_stop', { index });
  }
  send('message_delta', {
    delta: { stop_reason: reply.toolUses?.length ? 'tool_use' : 'end_turn', stop_sequence: null },
    usage: { output_tokens: usage.output_tokens },
  });
  send('message_stop', {});
  res.end();
}

function split(text: string, parts: number): string[] {
  if (parts <= 1 || text.length <= 1) return [text];
  const size = Math.ceil(text.length / parts);
  return Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, (i + 1) * size));
}

/**
 * Scripts the stub by conversation: fill the returned map with the replies to each prompt, in order
 * (the prompt's first request, then one per tool result). The CLI's side requests (without tools:
 * titles and the like) get a short text. A prompt after an interrupt is still its own: the CLI puts
 * "[Request interrupted by user …]" on a line before it, and the interrupted tool's result beside it.
 */
export function scriptByPrompt(stub: StubAnthropic): Record<string, StubReply[]> {
  const replies: Record<string, StubReply[]> = {};
  let conversation = '';
  stub.respond((request) => {
    if (request.tools.length === 0) return { text: 'side request' };
    const text = request.lastUserText;
    // A prompt typed after an interrupted tool use comes with that tool's result, in the same message.
    const prompt = Object.keys(replies).find((each) => text === each || text.endsWith(`\n${each}`));
    if (prompt !== undefined) conversation = prompt;
    else if (request.toolResults.length === 0) conversation = text;
    return replies[conversation]?.shift();
  });
  return replies;
}
