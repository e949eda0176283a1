import { spawn } from 'node:child_process';
import { createLogger } from '@mission/store';
import { QuestionForm, questionsOf, resetFromLimitText } from '@mission/contracts';
import {
  addSpend,
  HOOK_SECRET_HEADER,
  HOOKED_EVENTS,
  type HookInput,
  HookServer,
  hookEnv,
  hookSettings,
  blockingDialogOn,
  commandReply,
  formFields,
  type HeadlessResult,
  mapStreamJsonMessage,
  mcpRequestAsk,
  McpInputForm,
  parseBlockingDialog,
  parseHookInput,
  parseScreen,
  subagentOf,
  subagentTranscriptUpdates,
  taskNotificationSummary,
  taskUsage,
  spendFromMetrics,
  spendOfUsage,
  ToolUseAuthors,
  transcriptUpdates,
  withNextResult,
} from '@mission/worker';
import { describe, expect, it } from 'vitest';
import { loadHookRecording, RECORDED_VERSIONS, versionsRecording } from './fixtures/recordings.ts';
import { QUESTION_FORM_READINGS } from './support/questions.ts';

/** Two tools asked for in one turn (tests/fixtures/recordHooks.ts): the hook calls, and the transcript they name. */
interface TwoPermissions {
  calls: Record<string, unknown>[];
  transcript: Record<string, unknown>[];
}

/** What Claude Code posts to the hooks and writes to its transcript, as recorded from each CLI version (tests/fixtures/recordHooks.ts). */
describe.each(RECORDED_VERSIONS)('hook payloads and transcript of Claude Code %s', (version) => {
  const recording = loadHookRecording<TwoPermissions>('two-permissions', version);

  it('every recorded hook call parses, in the order UserPromptSubmit → (PreToolUse → PermissionRequest → PostToolUse)×2 → Stop → SessionEnd', () => {
    const calls = recording.calls.map(parseHookInput);
    expect(calls.map((call) => call.hook_event_name)).toEqual([
      'UserPromptSubmit',
      'PreToolUse',
      'PermissionRequest',
      'PostToolUse',
      'PreToolUse',
      'PermissionRequest',
      'PostToolUse',
      'Stop',
      'SessionEnd',
    ]);
    expect(calls[0]).toMatchObject({ prompt: 'write two files', transcript_path: expect.stringMatching(/\.jsonl$/) });
    // The exact tool name and input, the same in PreToolUse and PermissionRequest.
    expect(calls[1]).toMatchObject({
      tool_name: 'Write',
      tool_input: { file_path: '<workdir>/first.txt', content: 'one\n' },
      tool_use_id: expect.any(String),
    });
    expect(calls[2]).toMatchObject({ tool_name: 'Write', tool_input: { file_path: '<workdir>/first.txt', content: 'one\n' } });
    expect(calls[5]).toMatchObject({
      tool_name: 'Bash',
      tool_input: { command: 'echo two > second.txt', description: 'Write the second file' },
    });
    expect(calls[7]).toMatchObject({ last_assistant_message: 'Both files are written.' });
  });

  it("every call of a turn names its prompt (prompt_id), as the transcript's records of that turn do (promptId): turns are told apart by it", () => {
    const calls = recording.calls.map(parseHookInput);
    const turn = calls.slice(0, -1);
    const promptId = turn[0]?.prompt_id;
    expect(promptId).toEqual(expect.any(String));
    expect(turn.map((call) => call.prompt_id)).toEqual(turn.map(() => promptId));
    // SessionEnd (after /exit, a prompt of its own) names another.
    expect(calls.at(-1)?.prompt_id).not.toBe(promptId);
    const users = recording.transcript.filter((record) => record.type === 'user');
    expect(users.map((record) => record.promptId)).toEqual(users.map(() => promptId));
    // The mark of an interrupted turn names the turn it stopped.
    expect(
      transcriptUpdates({
        ...users[0],
        message: { role: 'user', content: [{ type: 'text', text: '[Request interrupted by user for tool use]' }] },
      }),
    ).toEqual([{ kind: 'interrupted', promptId }]);
  });

  it('the transcript gives the assistant text, the tool results and the cost', () => {
    const updates = recording.transcript.flatMap(transcriptUpdates);
    expect(updates.filter((u) => u.kind === 'assistant_text').map((u) => u.text)).toEqual([
      'I will write the first file.',
      'Now the second.',
      'Both files are written.',
    ]);
    expect(updates.filter((u) => u.kind === 'tool_result')).toHaveLength(2);
    expect(updates.find((u) => u.kind === 'cost')).toMatchObject({ costUsd: expect.any(Number) });
  });

  it('an assistant message the CLI made up itself (model <synthetic>, as on resuming a conversation whose last reply was never written) is not Claude speaking', () => {
    const assistant = recording.transcript.find((record) => (record as { type?: string }).type === 'assistant') as {
      message: Record<string, unknown>;
    };
    const synthetic = {
      ...assistant,
      message: { ...assistant.message, model: '<synthetic>', content: [{ type: 'text', text: 'No response requested.' }] },
    };
    expect(transcriptUpdates(synthetic)).toEqual([]);
    expect(transcriptUpdates(assistant).map((u) => u.kind)).toEqual(['assistant_text']);
  });

  it('SessionStart reaches no HTTP hook, and a command hook only before the prompt takes input; Notification tells of a permission dialog left waiting and of an idle prompt', () => {
    const notices = loadHookRecording<{
      idleThresholdMs: number;
      promptShownMs: number;
      sessionStart: Record<string, unknown> | null;
      sessionStartMs: number | null;
      calls: { afterMs: number; input: Record<string, unknown> }[];
    }>('notifications', version);
    const calls = notices.calls.map(({ afterMs, input }) => ({ afterMs, input: parseHookInput(input) }));
    expect(calls.map(({ input }) => input.hook_event_name)).toEqual([
      'UserPromptSubmit',
      'PreToolUse',
      'PermissionRequest',
      'Notification',
      'PostToolUse',
      'Stop',
      'Notification',
      'SessionEnd',
    ]);
    expect(HOOKED_EVENTS as readonly string[]).not.toContain('SessionStart');
    expect(notices.sessionStart).toMatchObject({ hook_event_name: 'SessionStart', source: 'startup', session_id: expect.any(String) });
    expect(notices.sessionStartMs).toBeLessThan(notices.promptShownMs);
    const [, , permission, asked, , stop, idle] = calls;
    expect(asked?.input).toMatchObject({
      notification_type: 'permission_prompt',
      message: 'Claude needs your permission',
      prompt_id: permission?.input.prompt_id,
    });
    // The CLI's notice delay for a dialog nobody answers (6 s in 2.1.331).
    expect(asked!.afterMs - permission!.afterMs).toBeGreaterThanOrEqual(6_000);
    expect(idle?.input).toMatchObject({
      notification_type: 'idle_prompt',
      message: 'Claude is waiting for your input',
      prompt_id: stop?.input.prompt_id,
    });
    expect(idle!.afterMs - stop!.afterMs).toBeGreaterThanOrEqual(notices.idleThresholdMs);
  });

  it("a session's settings hook every event Mission follows to the worker, with its secret, for longer than an approval waits", () => {
    const settings = hookSettings({ url: 'http://127.0.0.1:1/hooks/ses_1' }, 15 * 60_000 + 60_000) as {
      hooks: Record<string, { matcher?: string; hooks: { type: string; timeout: number; headers: Record<string, string> }[] }[]>;
    };
    expect(Object.keys(settings.hooks)).toEqual([...HOOKED_EVENTS]);
    expect(settings.hooks.PermissionRequest?.[0]).toEqual({
      matcher: '*',
      // The secret is the CLI's to put in from its environment, which only its own user can read; not in its arguments.
      hooks: [
        {
          type: 'http',
          url: 'http://127.0.0.1:1/hooks/ses_1',
          headers: { 'x-mission-hook-secret': '${MISSION_HOOK_SECRET}' },
          allowedEnvVars: ['MISSION_HOOK_SECRET'],
          timeout: 960,
        },
      ],
    });
    expect(hookEnv({ secret: 's3cret' })).toEqual({ MISSION_HOOK_SECRET: 's3cret' });
    expect(settings.hooks.Stop?.[0]?.matcher).toBeUndefined();
  });
});

describe("the worker's hook endpoint", () => {
  const recording = loadHookRecording<TwoPermissions>('two-permissions');
  it("answers a session's hook calls with its handler only when they carry that session's secret", async () => {
    const server = new HookServer(createLogger({ level: 'silent' }));
    await server.start();
    try {
      const route = server.register('ses_1', { hook: async (input) => ({ seen: input.hook_event_name }) });
      // The calls come from this process: it stands for the session's claude.
      route.caller.calledFrom(Promise.resolve(process.pid));
      const body = JSON.stringify(recording.calls.at(-2));
      const post = (url: string, secret?: string) =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(secret ? { [HOOK_SECRET_HEADER]: secret } : {}) },
          body,
        });
      expect(await (await post(route.url, route.secret)).json()).toEqual({ seen: 'Stop' });
      expect((await post(route.url)).status).toBe(404);
      const lastChar = route.secret.slice(-1);
      const wrongSecret = `${route.secret.slice(0, -1)}${lastChar === 'x' ? 'y' : 'x'}`;
      expect((await post(route.url, wrongSecret)).status).toBe(404);
      expect((await post(route.url.replace('ses_1', 'ses_2'), route.secret)).status).toBe(404);
      route.unregister();
      expect((await post(route.url, route.secret)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it("answers a call its handler failed on with a 500 that tells the agent's CLI nothing of the failure", async () => {
    const server = new HookServer(createLogger({ level: 'silent' }));
    await server.start();
    try {
      const route = server.register('ses_1', {
        hook: async () => {
          throw new Error('connect ECONNREFUSED 10.0.0.5:5432 (user mission)');
        },
      });
      route.caller.calledFrom(Promise.resolve(process.pid));
      const answer = await fetch(route.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [HOOK_SECRET_HEADER]: route.secret },
        body: JSON.stringify(recording.calls.at(-2)),
      });
      expect(answer.status).toBe(500);
      expect(await answer.json()).toEqual({ error: "Mission's worker could not answer this hook call; its log says why" });
    } finally {
      await server.close();
    }
  });
  it("hands a session's metrics exports to its spend handler, with its secret and from its claude only, like its hook calls; each route takes what it has a handler for", async () => {
    const { exports } = loadHookRecording<CostTelemetry>('cost-telemetry');
    const server = new HookServer(createLogger({ level: 'silent' }));
    await server.start();
    try {
      const heard: number[] = [];
      const route = server.register('ses_1', { hook: async () => ({}), spent: (spend) => heard.push(spend.costUsd) });
      const post = (url: string, body: string, secret?: string) =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(secret ? { [HOOK_SECRET_HEADER]: secret } : {}) },
          body,
        });
      const metricsUrl = `${route.url}/v1/metrics`;
      const exported = JSON.stringify(exports.at(-1)!.body);
      // Not from the session's claude (its program is not known yet): refused, as a hook call is.
      expect((await post(metricsUrl, exported, route.secret)).status).toBe(403);
      route.caller.calledFrom(Promise.resolve(process.pid));
      const taken = await post(metricsUrl, exported, route.secret);
      expect([taken.status, await taken.json()]).toEqual([200, {}]);
      expect(heard).toEqual([spendFromMetrics(exports.at(-1)!.body)!.costUsd]);
      expect((await post(metricsUrl, exported)).status).toBe(404);
      expect((await post(`${route.url}/v1/traces`, exported, route.secret)).status).toBe(404);
      expect((await post(metricsUrl, 'not json', route.secret)).status).toBe(400);
      expect(heard).toHaveLength(1);
      // A session followed by its screen has a route for its exports alone: a hook call there is not found.
      const screenRoute = server.register('ses_2', { spent: (spend) => heard.push(spend.costUsd) });
      screenRoute.caller.calledFrom(Promise.resolve(process.pid));
      expect((await post(screenRoute.url, JSON.stringify(recording.calls.at(-2)), screenRoute.secret)).status).toBe(404);
      expect((await post(`${screenRoute.url}/v1/metrics`, exported, screenRoute.secret)).status).toBe(200);
      expect(heard).toHaveLength(2);
      // One whose claude's telemetry is its own has none for exports.
      const ownTelemetry = server.register('ses_3', { hook: async () => ({}) });
      ownTelemetry.caller.calledFrom(Promise.resolve(process.pid));
      expect((await post(`${ownTelemetry.url}/v1/metrics`, exported, ownTelemetry.secret)).status).toBe(404);
      expect(heard).toHaveLength(2);
    } finally {
      await server.close();
    }
  });

  // Every command the agent runs inherits the secret (it is in claude's environment): a call is taken only from the
  // process that made the session's first call, under the program the session started (claude itself calls before
  // any command runs).
  it("takes a session's calls only from the process under its program that made the first, never from its commands or another process", async () => {
    const server = new HookServer(createLogger({ level: 'silent' }));
    await server.start();
    try {
      const route = server.register('ses_1', { hook: async (input) => ({ seen: input.hook_event_name }) });
      const body = JSON.stringify(recording.calls.at(-2));
      const post = `fetch(process.env.URL, { method: 'POST', headers: { 'content-type': 'application/json', '${HOOK_SECRET_HEADER}': process.env.SECRET }, body: process.env.BODY }).then((r) => r.status)`;
      // The "CLI": it calls, has a command of its own call with the secret it inherited, and calls again.
      const cli = spawn(
        process.execPath,
        [
          '-e',
          `(async () => {
            const first = await ${post};
            const command = require('node:child_process').execFileSync(process.execPath, ['-e', ${JSON.stringify(`${post}.then((s) => process.stdout.write(String(s)))`)}], { encoding: 'utf8' });
            const again = await ${post};
            process.stdout.write(JSON.stringify({ first, command: Number(command), again }));
          })()`,
        ],
        { env: { ...process.env, URL: route.url, SECRET: route.secret, BODY: body }, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      route.caller.calledFrom(new Promise((resolve) => cli.once('spawn', () => resolve(cli.pid))));
      let out = '';
      cli.stdout.on('data', (chunk: Buffer) => (out += chunk));
      await new Promise((resolve) => cli.once('close', resolve));
      expect(JSON.parse(out)).toEqual({ first: 200, command: 403, again: 200 });
      // This process is not under the program at all.
      const outside = await fetch(route.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [HOOK_SECRET_HEADER]: route.secret },
        body,
      });
      expect(outside.status).toBe(403);
      // Its connection is not kept: another try costs a new one, and the check reads /proc again only then.
      expect(outside.headers.get('connection')).toBe('close');
      expect(await outside.json()).toEqual({ error: "Mission takes a session's hook calls only from the session's own claude process" });
      // A route whose program is not known yet takes no call.
      const unstarted = server.register('ses_2', { hook: async () => ({}) });
      const early = await fetch(unstarted.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [HOOK_SECRET_HEADER]: unstarted.secret },
        body,
      });
      expect(early.status).toBe(403);
    } finally {
      await server.close();
    }
  });
});

/** What the CLI reports of its cost while it runs, as Mission starts a session's claude (tests/fixtures/recordCostTelemetry.ts). */
interface CostTelemetry {
  env: Record<string, string>;
  exports: { path: string; contentType: string; body: unknown }[];
  costStates: { totalCostUSD: number; modelUsage: Record<string, Record<string, number>> }[];
}

describe.each(versionsRecording('hooks/cost-telemetry'))("a session's running cost, from Claude Code %s's own metrics", (version) => {
  const recorded = loadHookRecording<CostTelemetry>('cost-telemetry', version);
  const spends = recorded.exports.map((exported) => spendFromMetrics(exported.body));
  const atExit = recorded.costStates.at(-1)!;

  it("are exported as OTLP JSON to the session's route, each the whole total since the CLI started: the last is the cost it writes as it exits", () => {
    expect(recorded.exports.map((exported) => [exported.path, exported.contentType])).toEqual(
      recorded.exports.map(() => ['/hooks/record/v1/metrics', 'application/json']),
    );
    const costs = spends.map((spend) => spend?.costUsd ?? 0);
    expect(costs[0]).toBeGreaterThan(0);
    expect(costs).toEqual([...costs].sort((a, b) => a - b));
    // Two turns of the same reply: the first export after the first turn tells half of the whole.
    expect(costs[0]).toBeCloseTo(atExit.totalCostUSD / 2, 10);
    expect(costs.at(-1)).toBeCloseTo(atExit.totalCostUSD, 10);
  });

  it("tells the tokens by model as the CLI's modelUsage counts them", () => {
    const [model, counters] = Object.entries(atExit.modelUsage)[0]!;
    expect(spends.at(-1)!.modelUsage).toEqual({
      [model]: {
        costUSD: expect.closeTo(counters.costUSD!, 10),
        inputTokens: counters.inputTokens,
        outputTokens: counters.outputTokens,
        cacheReadInputTokens: counters.cacheReadInputTokens,
        cacheCreationInputTokens: counters.cacheCreationInputTokens,
      },
    });
  });

  it("a resumed session's claude counts from zero: its cost is added to what the session's last usage event told", () => {
    const earlier = spendOfUsage({ costUsd: atExit.totalCostUSD, usage: atExit.modelUsage });
    const total = addSpend(earlier, spends[0]!);
    expect(total.costUsd).toBeCloseTo(atExit.totalCostUSD + spends[0]!.costUsd, 10);
    const [model, counters] = Object.entries(atExit.modelUsage)[0]!;
    expect(total.modelUsage[model]!.inputTokens).toBe(counters.inputTokens! + spends[0]!.modelUsage[model]!.inputTokens!);
    // Counters only the CLI's own total has (web searches, the cache's kinds) are kept.
    expect(total.modelUsage[model]!.webSearchRequests).toBe(counters.webSearchRequests);
  });

  it('an export that carries no cost yet, counts it by delta, or is not OTLP tells no spend', () => {
    const last = recorded.exports.at(-1)!.body as { resourceMetrics: { scopeMetrics: { metrics: { name: string; sum?: object }[] }[] }[] };
    const without = structuredClone(last);
    for (const scope of without.resourceMetrics[0]!.scopeMetrics)
      scope.metrics = scope.metrics.filter((m) => m.name !== 'claude_code.cost.usage');
    expect(spendFromMetrics(without)).toBeNull();
    const delta = structuredClone(last);
    for (const scope of delta.resourceMetrics[0]!.scopeMetrics)
      for (const metric of scope.metrics) if (metric.sum) metric.sum = { ...metric.sum, aggregationTemporality: 1 };
    expect(spendFromMetrics(delta)).toBeNull();
    expect(spendFromMetrics({ hello: 'world' })).toBeNull();
    expect(spendFromMetrics(null)).toBeNull();
  });
});

/** A claude.ai subscriber's usage limit stopping a turn, as Mission starts sessions (tests/fixtures/recordUsageLimit.ts). */
describe.each(RECORDED_VERSIONS)('a usage limit in an interactive session of Claude Code %s', (version) => {
  const limited = loadHookRecording<{
    calls: Record<string, unknown>[];
    transcript: Record<string, unknown>[];
    screens: { menu: string[]; stopped: string[] };
  }>('usage-limit', version);

  it('no Stop comes for the turn the limit stopped, before or after "Stop and wait": the turn is left unfinished', () => {
    expect(limited.calls.map((call) => parseHookInput(call).hook_event_name)).toEqual(['UserPromptSubmit', 'PreToolUse', 'PostToolUse']);
  });

  it("the transcript records the limit (a synthetic message, not Claude's words) with the reset the API gave", () => {
    const updates = limited.transcript.flatMap(transcriptUpdates);
    const limit = updates.find((update) => update.kind === 'usage_limit');
    expect(limit).toEqual({
      kind: 'usage_limit',
      text: expect.stringMatching(/^You've hit your 5-hour limit · resets \d+:\d\d[ap]m \(UTC\)$/),
      resetsAt: expect.any(Number),
    });
    expect(updates.filter((update) => update.kind === 'assistant_text').map((update) => update.text)).toEqual(['Echoing.']);
    // The menu names the same reset, to the minute (what is read when the transcript has no record of it).
    const menu = parseBlockingDialog(limited.screens.menu.join('\n'));
    const fromMenu = resetFromLimitText(menu?.text ?? '', (limit as { resetsAt: number }).resetsAt * 1000 - 3_600_000);
    expect(fromMenu).toBe(Math.floor((limit as { resetsAt: number }).resetsAt / 60) * 60);
  });

  it('the menu offers "Stop and wait" first; once answered, the prompt is back and no dialog shows', () => {
    expect(parseBlockingDialog(limited.screens.menu.join('\n'))).toMatchObject({
      kind: 'usage_limit',
      options: [{ key: '1', label: 'Stop and wait for limit to reset' }, { key: '2' }, { key: '3', label: 'Upgrade your plan' }],
    });
    expect(parseBlockingDialog(limited.screens.stopped.join('\n'))).toBeNull();
  });
});

/** Slash commands typed at the prompt, as Mission types them (tests/fixtures/recordSlashCommands.ts). */
describe.each(RECORDED_VERSIONS)('slash commands in an interactive session of Claude Code %s', (version) => {
  const slash = loadHookRecording<{
    sessionId: string;
    steps: { typed: string; hooks: string[]; screen: string[] }[];
    calls: Record<string, unknown>[];
    transcripts: Record<'started' | 'after /clear', Record<string, unknown>[]>;
  }>('slash-commands', version);
  const step = (typed: string) => slash.steps.find((each) => each.typed === typed)!;
  const outputs = (transcript: 'started' | 'after /clear') =>
    slash.transcripts[transcript].flatMap(transcriptUpdates).filter((update) => update.kind === 'command_output');

  it('a command the CLI runs itself calls no hook but /clear, which ends the conversation (SessionEnd, reason "clear"); the next prompt runs in a new one', () => {
    expect(slash.steps.map(({ typed, hooks }) => [typed, hooks])).toEqual([
      ['say hello', ['UserPromptSubmit', 'Stop']],
      ['/foo', []],
      ['/help', []],
      ['\x1b', []],
      ['/clear', ['SessionEnd']],
      ['/compact', []],
      ['after the clear', ['UserPromptSubmit', 'Stop']],
    ]);
    const calls = slash.calls.map(parseHookInput);
    expect(calls[2]).toMatchObject({ hook_event_name: 'SessionEnd', reason: 'clear', session_id: slash.sessionId });
    // The prompt after it: another Claude session, with a transcript of its own.
    expect(calls[3]?.session_id).not.toBe(slash.sessionId);
    expect(calls[3]?.transcript_path).not.toBe(calls[2]?.transcript_path);
  });

  it("the transcript records what a command printed (local_command) and the CLI's word on one it would not run (informational), each when it was written", () => {
    const typedAt = Date.parse(String(slash.transcripts.started.find((record) => record.type === 'assistant')?.timestamp));
    expect(outputs('started')).toEqual([
      { kind: 'command_output', text: 'Unknown command: /foo. Did you mean /loop?', at: expect.any(Number) },
    ]);
    expect(outputs('started')[0]!.at).toBeGreaterThan(typedAt);
    expect(outputs('after /clear').map((update) => update.kind === 'command_output' && update.text)).toEqual([
      '',
      'Not enough messages to compact.',
    ]);
  });

  it("a command that opens a screen of the CLI's own (/help) blocks the session until Esc closes it; a command whose output is in the transcript leaves the prompt showing", () => {
    expect(blockingDialogOn(step('/help').screen)).toEqual({
      kind: 'command_screen',
      text: expect.stringMatching(/^Help {2}General {3}Commands {3}Custom commands\nClaude understands your codebase/),
      options: [],
      numbered: false,
      selected: null,
    });
    expect(blockingDialogOn(step('\x1b').screen)).toBeNull();
    expect(blockingDialogOn(step('/foo').screen)).toBeNull();
    expect(blockingDialogOn(step('/compact').screen)).toBeNull();
  });
});

/** `/compact` in a conversation that has something to compact (tests/fixtures/recordCompact.ts). */
describe('a conversation compacted with /compact, as Claude Code records it', () => {
  const compact = loadHookRecording<{
    sessionId: string;
    steps: { typed: string; hooks: string[]; screen: string[] }[];
    transcripts: Record<string, Record<string, unknown>[]>;
  }>('compact');
  const step = (typed: string) => compact.steps.find((each) => each.typed === typed)!;
  const records = compact.transcripts[`${compact.sessionId}.jsonl`]!;

  it('calls no hook of the turn (the summary is a subagent of its own: SubagentStop), so only its output ends it', () => {
    expect(compact.steps.map(({ typed, hooks }) => [typed, hooks])).toEqual([
      ['say hello', ['UserPromptSubmit', 'Stop']],
      ['/compact', ['SubagentStop']],
      ['after the compact', ['UserPromptSubmit', 'Stop']],
    ]);
  });

  it("records what it printed as a user message of its own after the summary, read as the command's output without its styles", () => {
    const outputs = records.flatMap(transcriptUpdates).filter((update) => update.kind === 'command_output');
    expect(outputs).toEqual([{ kind: 'command_output', text: 'Compacted', at: expect.any(Number) }]);
    const typedAt = Date.parse(String(records.find((record) => record.type === 'assistant')?.timestamp));
    expect(outputs[0]!.at).toBeGreaterThan(typedAt);
    // The summary the CLI carries on with is no message of the conversation.
    const summary = records.find((record) => record.isCompactSummary === true);
    expect(summary).toBeDefined();
    expect(transcriptUpdates(summary!)).toEqual([]);
  });

  it("shows its output under its prompt, below the earlier turn's reply: that reply is not the command's", () => {
    const { blocks, lastResponse } = parseScreen({ lines: step('/compact').screen, title: '' });
    expect(lastResponse).toBe('Answered: say hello');
    expect(commandReply(blocks, '/compact')).toBe('Compacted');
    expect(commandReply(blocks, '/clear')).toBeNull();
    expect(blockingDialogOn(step('/compact').screen)).toBeNull();
  });
});

/** A command Claude ran in the background ends after its turn (tests/fixtures/recordBackgroundTask.ts). */
describe('a background command that ends after its turn, as Claude Code tells Claude', () => {
  const recorded = loadHookRecording<{
    prompt: string;
    calls: Record<string, unknown>[];
    screens: { started: string[]; told: string[] };
    transcript: Record<string, unknown>[];
    streamJson: unknown[];
  }>('background-task');
  const calls = recorded.calls.map(parseHookInput);
  const prompts = calls.flatMap((call) => (call.hook_event_name === 'UserPromptSubmit' ? [call.prompt] : []));

  it('in a turn the CLI starts by itself, whose prompt is a <task-notification>: Mission reads its summary, as the screen shows it', () => {
    expect(calls.map((call) => call.hook_event_name)).toEqual([
      'UserPromptSubmit',
      'PreToolUse',
      'PostToolUse',
      'Stop',
      'UserPromptSubmit',
      'Stop',
    ]);
    expect(prompts[0]).toBe(recorded.prompt);
    expect(taskNotificationSummary(prompts[0]!)).toBeNull();
    const summary = taskNotificationSummary(prompts[1]!);
    expect(summary).toBe('Background command "Run the check" completed (exit code 0)');
    expect(recorded.screens.told).toContain(`● ${summary}`);
    expect(recorded.screens.told.some((line) => line.includes('<task-notification>'))).toBe(false);
    // The transcript says who submitted it.
    const record = recorded.transcript.find((each) => (each.origin as { kind?: string } | undefined)?.kind === 'task-notification');
    expect((record?.message as { content?: unknown } | undefined)?.content).toBe(prompts[1]);
  });

  it("in a task's stream-json, a task_notification line between the turns: Mission tells it as a session's notice is told", () => {
    const events = recorded.streamJson.flatMap((line) => mapStreamJsonMessage(line).events);
    const told = events.map((event) => {
      const payload = event.payload as { text?: string; tool?: string; output?: string; kind?: string };
      return [event.type, payload.kind ?? payload.text ?? payload.tool ?? payload.output?.slice(0, 29)];
    });
    expect(told).toEqual([
      ['assistant_message', 'Starting the check.'],
      ['tool_call', 'Bash'],
      ['tool_output', 'Command running in background'],
      ['assistant_message', 'It runs in the background.'],
      ['result', 'It runs in the background.'],
      ['notice', 'task_notification'],
      ['assistant_message', 'The check finished.'],
      ['result', 'The check finished.'],
    ]);
    expect(events.find((event) => event.type === 'notice')?.payload).toEqual({
      kind: 'task_notification',
      text: taskNotificationSummary(prompts[1]!),
    });
  });
});

/** A subagent's work, as a session's hooks and a task's stream-json tell it (tests/fixtures/recordSubagent.ts). */
describe("a subagent's work, as Claude Code tells it", () => {
  const recorded = loadHookRecording<{
    prompt: string;
    calls: Record<string, unknown>[];
    streamJson: unknown[];
    transcript: Record<string, unknown>[];
    agentTranscript: Record<string, unknown>[];
  }>('subagent');
  const calls = recorded.calls.map(parseHookInput);

  it("a session's hooks: the agent's tool calls and its end carry its id and type; the conversation's carry none", () => {
    expect(calls.map((call) => call.hook_event_name)).toEqual([
      'UserPromptSubmit',
      'PreToolUse',
      'PostToolUse',
      'PreToolUse',
      'Stop',
      'PostToolUse',
      'SubagentStop',
      'UserPromptSubmit',
      'Stop',
    ]);
    const toolUses = calls.flatMap((call) => (call.hook_event_name === 'PreToolUse' ? [[call.tool_name, subagentOf(call)] as const] : []));
    const agentId = calls.find((call) => call.hook_event_name === 'SubagentStop')?.agent_id;
    expect(agentId).toMatch(/^a[0-9a-f]+$/);
    expect(toolUses).toEqual([
      ['Agent', undefined],
      ['Read', { id: agentId, type: 'general-purpose' }],
    ]);
    const stop = calls.find((call) => call.hook_event_name === 'SubagentStop');
    expect(stop && subagentOf(stop)).toEqual({ id: agentId, type: 'general-purpose' });
    expect(stop).toMatchObject({ last_assistant_message: 'The notes say hello.' });
    // Claude's own replies are the conversation's: Stop's, and the agent's end a notice (task_notification).
    expect(calls.filter((call) => call.hook_event_name === 'Stop').map(subagentOf)).toEqual([undefined, undefined]);
    const prompts = calls.flatMap((call) => (call.hook_event_name === 'UserPromptSubmit' ? [call.prompt] : []));
    expect(prompts[0]).toBe(recorded.prompt);
    expect(taskNotificationSummary(prompts[1]!)).toBe('Agent "Read the notes" finished');
  });

  it("the agent's own transcript, beside the session's where its end says, holds its messages and its tool's result; the session's none of them", () => {
    const stop = calls.find((call) => call.hook_event_name === 'SubagentStop')!;
    expect(stop).toMatchObject({
      agent_transcript_path: `${stop.transcript_path!.replace(/\.jsonl$/, '')}/subagents/agent-${stop.agent_id}.jsonl`,
    });
    expect(recorded.agentTranscript.flatMap(subagentTranscriptUpdates)).toEqual([
      { kind: 'assistant_text', text: 'Reading.' },
      { kind: 'tool_result', toolUseId: expect.stringMatching(/^toolu_/), output: '1\thello notes\n2\t', isError: false },
      { kind: 'assistant_text', text: 'The notes say hello.' },
    ]);
    const conversation = recorded.transcript.flatMap(transcriptUpdates);
    expect(conversation.flatMap((update) => (update.kind === 'assistant_text' ? [update.text] : []))).toEqual([
      'Delegating.',
      'Delegated.',
      'The agent has read them.',
    ]);
    // The session's records are not read as an agent's.
    expect(recorded.transcript.flatMap(subagentTranscriptUpdates)).toEqual([]);
  });

  it("a task's CLI calls its PreToolUse hook, naming the agent, before it asks the permission-prompt tool, which names only the tool use", () => {
    // tests/fixtures/recordTaskPermissionPrompt.ts: `claude -p` with a PreToolUse HTTP hook and a permission-prompt tool.
    const task = loadHookRecording<{
      calls: (
        | { kind: 'hook'; body: unknown }
        | { kind: 'permission_prompt'; arguments: Record<string, unknown>; meta: Record<string, unknown> }
      )[];
    }>('task-permission-prompt');
    expect(task.calls.map((call) => call.kind)).toEqual(['hook', 'hook', 'permission_prompt']);
    const [claudes, agents] = task.calls.flatMap((call) => (call.kind === 'hook' ? [parseHookInput(call.body)] : []));
    expect(claudes).toMatchObject({ hook_event_name: 'PreToolUse', tool_name: 'Agent' });
    expect(subagentOf(claudes!)).toBeUndefined();
    expect(agents).toMatchObject({ hook_event_name: 'PreToolUse', tool_name: 'Write' });
    const agent = subagentOf(agents!);
    expect(agent).toEqual({ id: expect.stringMatching(/^a[0-9a-f]+$/), type: 'general-purpose' });
    const prompt = task.calls[2] as Extract<(typeof task.calls)[number], { kind: 'permission_prompt' }>;
    const toolUseId = agents!.hook_event_name === 'PreToolUse' ? agents!.tool_use_id : undefined;
    expect(prompt.arguments).toEqual({
      tool_name: 'Write',
      input: { file_path: '<workdir>/notes.txt', content: 'hello\n' },
      tool_use_id: toolUseId,
    });
    expect(prompt.meta).toMatchObject({ 'claudecode/toolUseId': toolUseId });
    expect(Object.keys(prompt.arguments)).not.toContain('agent_id');
    // As the prompt server reads them: the hooks noted, the prompt then tells whose tool use it asks about.
    const authors = new ToolUseAuthors();
    authors.heard(claudes!);
    authors.heard(agents!);
    expect(authors.take(String(prompt.arguments.tool_use_id))).toEqual(agent);
  });

  it("/compact's summary is a subagent of the CLI's own: its end has no type", () => {
    const compact = loadHookRecording<{ calls: Record<string, unknown>[] }>('compact');
    const stops = compact.calls.map(parseHookInput).filter((call) => call.hook_event_name === 'SubagentStop');
    expect(stops.length).toBeGreaterThan(0);
    for (const stop of stops) expect(subagentOf(stop)).toEqual({ id: expect.any(String) });
  });

  it("a task's stream-json: the agent's message, tool call and output are marked as the agent's; Claude's are not", () => {
    const events = recorded.streamJson.flatMap((line) => mapStreamJsonMessage(line).events);
    const told = events.map((event) => {
      const payload = event.payload as { text?: string; tool?: string; output?: string; subagent?: { id: string; type?: string } };
      return [event.type, payload.text ?? payload.tool ?? payload.output?.slice(0, 20), payload.subagent?.type ?? null];
    });
    expect(told).toEqual([
      ['assistant_message', 'Delegating.', null],
      ['tool_call', 'Agent', null],
      ['tool_output', 'Async agent launched', null],
      ['assistant_message', 'Delegated.', null],
      ['assistant_message', 'Reading.', 'general-purpose'],
      ['tool_call', 'Read', 'general-purpose'],
      ['tool_output', '1\thello notes\n2\t', 'general-purpose'],
      ['assistant_message', 'The notes say hello.', 'general-purpose'],
      ['assistant_message', 'The agent has read them.', null],
      // A result when the turn that started the agent ended, and one when Claude's turn after its end did.
      ['result', 'Delegated.', null],
      ['result', 'The agent has read them.', null],
    ]);
    const ids = new Set(events.flatMap((event) => (event.payload as { subagent?: { id: string } }).subagent?.id ?? []));
    expect([...ids]).toEqual([expect.stringMatching(/^a[0-9a-f]+$/)]);
  });

  it("a task's tokens: the agent's requests are in no result's usage, only in the CLI's count by model, which the task keeps", () => {
    const results = recorded.streamJson.flatMap((line) => mapStreamJsonMessage(line).result ?? []);
    const run = results.reduce<HeadlessResult | undefined>(withNextResult, undefined)!;
    // Five requests of 25 tokens in and 12 out (the stub's): Claude's three and the agent's two.
    expect(run.usage).toMatchObject({ input_tokens: 75, output_tokens: 36 });
    expect(taskUsage(run)).toMatchObject({ input_tokens: 125, output_tokens: 60 });
  });
});

/** A question Claude puts to the person, answered as Mission answers it (tests/fixtures/recordQuestions.ts). */
describe('a question Claude asks (AskUserQuestion), as Claude Code posts it and takes the answers', () => {
  const recorded = loadHookRecording<{
    calls: Record<string, unknown>[];
    screens: { whileHeld: string[]; answered: string[] };
    transcript: Record<string, unknown>[];
  }>('question');
  const calls = recorded.calls.map(parseHookInput);

  it('comes as a PermissionRequest whose input Mission reads into the questions it shows, one at a time', () => {
    expect(calls.map((call) => call.hook_event_name)).toEqual([
      'UserPromptSubmit',
      'PreToolUse',
      'PermissionRequest',
      'PostToolUse',
      'Stop',
      'SessionEnd',
    ]);
    const request = calls[2] as Extract<(typeof calls)[number], { hook_event_name: 'PermissionRequest' }>;
    expect(request.tool_name).toBe('AskUserQuestion');
    const questions = questionsOf(request.tool_input);
    expect(questions?.map((each) => [each.header, each.question, each.options.length, each.multiSelect])).toEqual([
      ['Database', 'Which database should we use?', 2, false],
      ['Caches', 'Which caches should it keep?', 3, true],
    ]);
    expect(new QuestionForm(questions!).dialog.options).toEqual([
      { key: '1', label: 'Postgres' },
      { key: '2', label: 'SQLite' },
    ]);
  });

  it('the CLI draws its own question form while the hook is held (read as the screen driver reads it: a question dialog naming the question); answered, it is gone', () => {
    const held = parseBlockingDialog(recorded.screens.whileHeld.join('\n'));
    expect(held).toMatchObject({ kind: 'question', options: [{ label: 'Postgres' }, { label: 'SQLite' }] });
    expect(held?.text).toContain('Which database should we use?');
    expect(parseBlockingDialog(recorded.screens.answered.join('\n'))).toBeNull();
  });

  // One question alone has no tab bar, only its header (" ☐ Database"): read as anything but the CLI's form, the
  // hooks driver took its last frames, after the hook was answered, for an `unknown` dialog blocking the session.
  it("one question alone: the CLI draws its form under the question's header, no tab bar, and it is read as the same form (words go in its last entry)", () => {
    const one = loadHookRecording<{ screens: { whileHeld: string[]; answered: string[] }; transcript: Record<string, unknown>[] }>(
      'question-one',
    );
    expect(one.screens.whileHeld).toContain(' ☐ Database');
    expect(parseBlockingDialog(one.screens.whileHeld.join('\n'))).toEqual({
      ...QUESTION_FORM_READINGS.single,
      numbered: true,
      selected: '1',
      form: { pickAny: false, checked: [], words: '3', typed: 'Type something.' },
    });
    expect(parseBlockingDialog(one.screens.answered.join('\n'))).toBeNull();
    const told = one.transcript.flatMap(transcriptUpdates).filter((update) => update.kind === 'tool_result');
    expect(told).toEqual([expect.objectContaining({ output: expect.stringContaining('"Which database should we use?"="MySQL, please"') })]);
  });

  it("Claude is told the answers Mission gave in the hook's answer (a pick-any question's labels joined by the CLI)", () => {
    const told = recorded.transcript.flatMap(transcriptUpdates).filter((update) => update.kind === 'tool_result');
    expect(told).toEqual([
      expect.objectContaining({
        output:
          'Your questions have been answered: "Which database should we use?"="Postgres", "Which caches should it keep?"="Sessions, Queries". You can now continue with these answers in mind.',
      }),
    ]);
  });
});

/** An MCP server's request for input held and answered as Mission answers it (tests/fixtures/recordElicitation.ts). */
function elicitationRecording(name: string) {
  const recorded = loadHookRecording<{
    calls: Record<string, unknown>[];
    screens: { whileHeld: string[]; answered: string[] };
    transcript: Record<string, unknown>[];
  }>(name);
  const calls = recorded.calls.map(parseHookInput);
  const request = calls.find((call) => call.hook_event_name === 'Elicitation') as Extract<HookInput, { hook_event_name: 'Elicitation' }>;
  return { recorded, calls, request };
}

describe.each([
  {
    name: 'elicitation',
    what: 'a form',
    told: 'deploy: {"action":"accept","content":{"region":"us-east","replicas":3,"note":"after the freeze"}}',
  },
  { name: 'elicitation-url', what: 'a page to open', told: 'deploy: {"action":"accept"}' },
])("an MCP server's request for input ($what), as Claude Code posts it and takes the answer back", ({ name, told }) => {
  const { recorded, calls } = elicitationRecording(name);

  it('comes as one Elicitation call while the tool runs; held, the CLI shows its tool running and no dialog of its own', () => {
    expect(calls.map((call) => call.hook_event_name)).toEqual([
      'UserPromptSubmit',
      'PreToolUse',
      'Elicitation',
      'PostToolUse',
      'Stop',
      'SessionEnd',
    ]);
    expect(parseBlockingDialog(recorded.screens.whileHeld.join('\n'))).toBeNull();
    expect(recorded.screens.whileHeld.join('\n')).toContain('deployer - deploy (MCP)');
    expect(parseBlockingDialog(recorded.screens.answered.join('\n'))).toBeNull();
  });

  it("the server gets the hook's answer, and the turn goes on", () => {
    const results = recorded.transcript.flatMap(transcriptUpdates).filter((update) => update.kind === 'tool_result');
    expect(results).toEqual([expect.objectContaining({ output: told })]);
  });
});

describe("what Mission asks the person for an MCP server's recorded request", () => {
  it('a form: its server, its message and its fields, put to the person field by field', () => {
    const { request } = elicitationRecording('elicitation');
    expect(request).toMatchObject({ mcp_server_name: 'deployer', message: 'Where should it go?', mode: 'form' });
    const fields = formFields(request.requested_schema);
    expect(fields?.map((field) => [field.name, field.type, field.required])).toEqual([
      ['region', 'choice', true],
      ['replicas', 'integer', true],
      ['note', 'text', false],
    ]);
    expect(new McpInputForm(request.mcp_server_name, request.message, fields!).dialog.text).toBe(
      'MCP server “deployer” asks for input: Where should it go?\nFields: Region (required), Replicas (required), Note (optional)',
    );
  });

  it('a page to open (URL mode): its server, its message and the page, put to the person as one dialog', () => {
    const { request } = elicitationRecording('elicitation-url');
    expect(request).toMatchObject({
      mcp_server_name: 'deployer',
      message: 'Sign in to the cloud to deploy',
      mode: 'url',
      url: 'https://cloud.example.com/sign-in?session=deploy-42',
    });
    expect(mcpRequestAsk(request)?.dialog).toEqual({
      kind: 'mcp_input',
      text: 'MCP server “deployer” asks you to open a page: Sign in to the cloud to deploy\nhttps://cloud.example.com/sign-in?session=deploy-42\nOpen it yourself (Mission opens nothing), then accept; or decline.',
      options: [
        { key: '1', label: 'Accept' },
        { key: '2', label: 'Decline' },
      ],
      numbered: true,
      selected: null,
    });
  });
});

/** A turn that ends on a failed model request (tests/fixtures/recordStopFailure.ts). */
describe('a turn that ends on a failed model request, as Claude Code tells it', () => {
  const recorded = loadHookRecording<{ calls: Record<string, unknown>[]; screen: string[] }>('stop-failure');
  const calls = recorded.calls.map(parseHookInput);

  it('comes as StopFailure, with no Stop: the kind of failure and the error as the CLI shows it; the CLI is back at its prompt', () => {
    expect(calls.map((call) => call.hook_event_name)).toEqual(['UserPromptSubmit', 'StopFailure', 'SessionEnd']);
    const failure = calls[1] as Extract<(typeof calls)[number], { hook_event_name: 'StopFailure' }>;
    expect(failure.error).toBe('server_error');
    expect(failure.last_assistant_message).toMatch(/^API Error: 500 Internal server boom\./);
    expect(failure.prompt_id).toBe((calls[0] as { prompt_id?: string }).prompt_id);
    expect(parseScreen({ lines: recorded.screen, title: '' }).state).toBe('idle');
  });
});
