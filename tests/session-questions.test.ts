import type { Approval, MissionEvent, Session, SessionScreen, SessionTurn } from '@mission/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { waitUntil } from './support/processes.ts';
import { CACHES_QUESTION, DATABASE_QUESTION, QUESTION_FORM_READINGS } from './support/questions.ts';
import { scriptByPrompt, type StubReply } from './support/stubAnthropic.ts';
import { ADMIN } from './support/system.ts';
import { chromiumAvailable, launchChromium } from './support/browser.ts';

/**
 * Questions Claude puts to the person (Claude Code's AskUserQuestion tool), and the plan it asks them to approve
 * (ExitPlanMode), on the real claude CLI against the stub
 * API: the session is `blocked` on a `question` dialog, one question at a time, and the person's answers reach Claude
 * through the CLI's PermissionRequest hook (`updatedInput.answers`), no key typed into its question screen. Before,
 * Mission showed such a call as a permission dialog ("Do you want to proceed?" Yes / No) that the CLI never drew; a
 * "yes" left the CLI's own question screen waiting, and the session blocked on an `unknown` dialog.
 * MISSION_TEST_STRESS=load|pause|both runs them under CPU load and/or with claude paused in bursts.
 */
describe("Claude's questions to the person (AskUserQuestion, real claude CLI)", () => {
  let bed: ClaudeTestBed;
  let replies: Record<string, StubReply[]>;

  beforeAll(async () => {
    bed = await startClaudeTestBed();
    replies = scriptByPrompt(bed.stub);
  });
  afterAll(async () => {
    await bed?.close();
  });

  const call = <T>(method: string, route: string, body?: unknown) => bed.system.call<T>(method, route, body);
  const spawn = async () => {
    const res = await call<Session>('POST', '/v1/sessions', { slot: 'default' });
    expect(res.status).toBe(201);
    return res.body;
  };
  const send = (id: string, text: string) => call<SessionTurn>('POST', `/v1/sessions/${id}/send`, { text, timeoutMs: 60_000 });
  const answer = (id: string, body: { option?: string; text?: string }) =>
    call<SessionTurn>('POST', `/v1/sessions/${id}/answer`, { ...body, timeoutMs: 60_000 });
  const events = (id: string) => bed.system.core.events.list(id, 0, { limit: 1_000 });
  /** The session's state events as stored (a failed expectation's message: what the session went through). */
  const statesOf = async (id: string) => (await events(id)).filter((event) => event.type === 'state').map((event) => event.payload);
  /** What Claude was told its AskUserQuestion call gave (the tool results the stub received for it). */
  const toolResults = (id: string) =>
    bed.stub.requests.flatMap((request) => request.toolResults).filter((result) => result.toolUseId === id);
  const ask = (id: string, questions: unknown[]): StubReply => ({
    text: 'I need to know first.',
    toolUses: [{ id, name: 'AskUserQuestion', input: { questions } }],
  });

  it('each question blocks the session as a `question` dialog with its options; the answers reach Claude through the hook, nothing typed', async () => {
    replies['set up storage'] = [
      ask('toolu_storage', [DATABASE_QUESTION, CACHES_QUESTION]),
      { text: 'Postgres it is, with those caches.' },
    ];
    const session = await spawn();

    const asked = await send(session.id, 'set up storage');
    expect(asked.status).toBe(200);
    expect(asked.body).toMatchObject({
      state: 'blocked',
      dialog: null,
      approval: null,
      blocking: {
        kind: 'question',
        text: [
          'Database: Which database should we use? (question 1 of 2)',
          'Postgres: The relational one',
          'SQLite: The embedded one',
          'Or an answer in your own words.',
        ].join('\n'),
        options: [
          { key: '1', label: 'Postgres' },
          { key: '2', label: 'SQLite' },
        ],
      },
    });
    expect((await call<Session>('GET', `/v1/sessions/${session.id}`)).body).toMatchObject({
      state: 'blocked',
      blocking: { kind: 'question', options: [{ label: 'Postgres' }, { label: 'SQLite' }] },
    });
    expect((await call<SessionScreen>('GET', `/v1/sessions/${session.id}/screen?format=json`)).body.blocking?.kind).toBe('question');

    // Nothing is typed while Claude waits for its answer; bad answers say why, in Mission's words.
    const typed = await send(session.id, 'what else?');
    expect(typed.status).toBe(409);
    expect(JSON.stringify(typed.body)).toMatch(/Claude asks a question: answer it with POST \/v1\/sessions\/:id\/answer/);
    const missing = await answer(session.id, { option: '3' });
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.body)).toContain("the question has no option '3'; it offers 1: Postgres; 2: SQLite");
    const several = await answer(session.id, { option: '1,2' });
    expect(several.status).toBe(400);
    expect(JSON.stringify(several.body)).toContain('the question takes one option, not 2');
    const both = await answer(session.id, { option: '1', text: 'Postgres' });
    expect(both.status).toBe(400);

    const first = await answer(session.id, { option: '1' });
    expect(first.body).toMatchObject({
      state: 'blocked',
      blocking: {
        kind: 'question',
        text: expect.stringMatching(/^Caches: Which caches should it keep\? \(question 2 of 2\)\n[^]*Pick any: several keys/),
        options: [
          { key: '1', label: 'Sessions' },
          { key: '2', label: 'Pages' },
          { key: '3', label: 'Queries' },
        ],
      },
    });
    expect(toolResults('toolu_storage')).toEqual([]);

    const last = await answer(session.id, { option: '1,3' });
    expect(last.body).toEqual({
      state: 'idle',
      response: 'Postgres it is, with those caches.',
      dialog: null,
      approval: null,
    });
    const [result] = toolResults('toolu_storage');
    expect(result?.isError).toBe(false);
    expect(result?.content).toContain('"Which database should we use?"="Postgres"');
    expect(result?.content).toContain('"Which caches should it keep?"="Sessions, Queries"');

    const log = await events(session.id);
    // No permission asked, no approval, and nothing typed but the prompt.
    expect(log.filter((e) => ['permission_request', 'approval_requested'].includes(e.type))).toEqual([]);
    expect(log.filter((e) => e.type === 'user_message').map((e) => e.payload.text)).toEqual(['set up storage']);
    const blocked = log.filter((e): e is Extract<MissionEvent, { type: 'state' }> => e.type === 'state' && e.payload.state === 'blocked');
    expect(blocked.map((e) => (e.payload as { blocking?: { kind: string; options: unknown[] } }).blocking?.options.length)).toEqual([2, 3]);
    replies.thanks = [{ text: 'You are welcome.' }];
    expect((await send(session.id, 'thanks')).body).toMatchObject({ state: 'idle', response: 'You are welcome.' });
    await call('POST', `/v1/sessions/${session.id}/kill`);
  });

  it('two questions in one message are put to the person one after the other, each answer to its own tool use', async () => {
    replies['ask twice'] = [
      {
        text: 'Two things.',
        toolUses: [
          { id: 'toolu_first', name: 'AskUserQuestion', input: { questions: [DATABASE_QUESTION] } },
          { id: 'toolu_second', name: 'AskUserQuestion', input: { questions: [CACHES_QUESTION] } },
        ],
      },
      { text: 'Both answered.' },
    ];
    // Claude Code 2.1.332 runs the two at once (its AskUserQuestion is concurrency-safe), so their hooks race: either
    // question may come first (seen under load: the second). Each is put alone, and each answer goes to its own call.
    const answers = { Database: { option: '2' }, Caches: { option: '2,3' } };
    const header = (turn: SessionTurn) => /^(Database|Caches): /.exec(turn.blocking?.text ?? '')?.[1] as keyof typeof answers;
    const session = await spawn();
    const first = (await send(session.id, 'ask twice')).body;
    expect(first).toMatchObject({ state: 'blocked', blocking: { kind: 'question' } });
    const firstAsked = header(first);
    expect(Object.keys(answers)).toContain(firstAsked);
    const second = (await answer(session.id, answers[firstAsked])).body;
    expect(second).toMatchObject({ state: 'blocked', blocking: { kind: 'question' } });
    const secondAsked = header(second);
    expect([firstAsked, secondAsked].sort()).toEqual(['Caches', 'Database']);
    expect((await answer(session.id, answers[secondAsked])).body).toMatchObject({ state: 'idle', response: 'Both answered.' });
    expect(toolResults('toolu_first')[0]?.content).toContain('"Which database should we use?"="SQLite"');
    expect(toolResults('toolu_second')[0]?.content).toContain('"Which caches should it keep?"="Pages, Queries"');
    await call('POST', `/v1/sessions/${session.id}/kill`);
  });

  it("the screen driver (a CLI run without hooks) reads Claude's question off the CLI's own form and answers it with keys: a pick-any, words, the review; no permission asked", async () => {
    replies['set up storage on the screen'] = [
      ask('toolu_screen', [CACHES_QUESTION, DATABASE_QUESTION]),
      { text: 'Sessions and queries cached, on MariaDB.' },
    ];
    const session = (await call<Session>('POST', '/v1/sessions', { slot: 'default', driver: 'screen' })).body;
    expect(session.driver).toBe('screen');
    const asked = await send(session.id, 'set up storage on the screen');
    expect(asked.body).toMatchObject({ state: 'blocked', dialog: null, approval: null, blocking: QUESTION_FORM_READINGS.pickAny });
    const missing = await answer(session.id, { option: '4' });
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.body)).toContain("the question dialog has no option '4'; it offers 1: Sessions; 2: Pages; 3: Queries");
    // Words go into a pick-any question from an attached terminal only (its entry's key does not take the cursor there).
    const inWords = await answer(session.id, { text: 'only the sessions' });
    expect(inWords.status).toBe(400);
    expect(JSON.stringify(inWords.body)).toContain('the question dialog is answered with one of its options, not in words');

    // A pick-any question: its boxes ticked one key at a time, then on to the next question.
    const picked = await answer(session.id, { option: '1,3' });
    expect(picked.body).toMatchObject({ state: 'blocked', blocking: QUESTION_FORM_READINGS.single });
    const several = await answer(session.id, { option: '1,2' });
    expect(several.status).toBe(400);
    expect(JSON.stringify(several.body)).toContain('the question dialog takes one option, not 2');

    // Words, typed into the question's own entry for them; then the CLI's review of the answers.
    const worded = await answer(session.id, { text: 'MariaDB, please' });
    expect(worded.body).toMatchObject({ state: 'blocked', blocking: QUESTION_FORM_READINGS.review });
    expect(toolResults('toolu_screen')).toEqual([]);
    const submitted = await answer(session.id, { option: '1' });
    expect(submitted.status).toBe(200);
    expect(submitted.body.blocking).toBeUndefined();
    await waitUntil(
      async () =>
        (await events(session.id)).some(
          (e) => e.type === 'assistant_message' && e.payload.text === 'Sessions and queries cached, on MariaDB.',
        ),
      60_000,
      "Claude's reply to the answers",
    );
    const [result] = toolResults('toolu_screen');
    expect(result?.content).toContain('"Which caches should it keep?"="Sessions, Queries"');
    expect(result?.content).toContain('"Which database should we use?"="MariaDB, please"');

    // The CLI's form was never taken for a tool's permission: no request, no approval, nothing typed but the prompt.
    const log = await events(session.id);
    expect(log.filter((e) => ['permission_request', 'approval_requested'].includes(e.type))).toEqual([]);
    expect(log.filter((e) => e.type === 'user_message').map((e) => e.payload.text)).toEqual(['set up storage on the screen']);
    await call('POST', `/v1/sessions/${session.id}/kill`);
  });

  it('the screen driver: one question alone (its form has no tab bar, only its header) is the same question dialog; words typed into its entry answer it', async () => {
    replies['one question on the screen'] = [ask('toolu_screen_one', [DATABASE_QUESTION]), { text: 'MariaDB it is.' }];
    const session = (await call<Session>('POST', '/v1/sessions', { slot: 'default', driver: 'screen' })).body;
    const asked = await send(session.id, 'one question on the screen');
    expect(asked.body).toMatchObject({ state: 'blocked', blocking: QUESTION_FORM_READINGS.single });
    const worded = await answer(session.id, { text: 'MariaDB, please' });
    expect(worded.status, JSON.stringify(worded.body)).toBe(200);
    expect(worded.body.blocking).toBeUndefined();
    await waitUntil(
      async () => (await events(session.id)).some((e) => e.type === 'assistant_message' && e.payload.text === 'MariaDB it is.'),
      60_000,
      "Claude's reply to the answer",
    );
    expect(toolResults('toolu_screen_one')[0]?.content).toContain('"Which database should we use?"="MariaDB, please"');
    await call('POST', `/v1/sessions/${session.id}/kill`);
  });

  it("a role that denies AskUserQuestion keeps the tool from Claude (its deny rules are the CLI's too): nothing blocks the session", async () => {
    expect((await call('PUT', '/v1/roles/no-questions', { allow: [], confirm: [], deny: ['AskUserQuestion'] })).status).toBe(200);
    expect((await call('PUT', '/v1/slots/no-questions', { role: 'no-questions', cwd: bed.workdir, env: bed.claude.env })).status).toBe(200);
    replies['ask anyway'] = [ask('toolu_denied', [DATABASE_QUESTION]), { text: 'I will decide myself.' }];
    const session = (await call<Session>('POST', '/v1/sessions', { slot: 'no-questions' })).body;
    expect((await send(session.id, 'ask anyway')).body).toMatchObject({ state: 'idle', response: 'I will decide myself.' });
    expect(toolResults('toolu_denied')).toEqual([
      expect.objectContaining({ content: expect.stringContaining('No such tool available: AskUserQuestion'), isError: true }),
    ]);
    expect((await events(session.id)).filter((e) => e.type === 'state' && e.payload.state === 'blocked')).toEqual([]);
    await call('POST', `/v1/sessions/${session.id}/kill`);
  });

  /** The task's pending approval, once its Claude asked (polled: the approval is a row the worker writes). */
  const pendingApprovalOf = async (taskId: string) => {
    let approval: Approval | undefined;
    await waitUntil(
      async () =>
        (approval = (await bed.system.core.approvals.list({ status: 'pending' }, ADMIN)).find((a) => a.owner.id === taskId)) !== undefined,
      60_000,
      `an approval of task ${taskId}`,
    );
    return approval!;
  };
  const decide = (id: string, verdict: 'approve' | 'deny', body: unknown) => call<Approval>('POST', `/v1/approvals/${id}/${verdict}`, body);

  it("a task's question waits as an approval; approved with an answer to each question, Claude reads them and the task goes on", async () => {
    replies['choose for me'] = [ask('toolu_task', [DATABASE_QUESTION, CACHES_QUESTION]), { text: 'SQLite, caching sessions and queries.' }];
    const submitted = await call<{ id: string }>('POST', '/v1/tasks', { slot: 'default', prompt: 'choose for me' });
    expect(submitted.status).toBe(202);
    const approval = await pendingApprovalOf(submitted.body.id);
    expect(approval).toMatchObject({ tool: 'AskUserQuestion', input: { questions: [DATABASE_QUESTION, CACHES_QUESTION] }, rule: null });

    // A yes without the answers, or answers the questions do not take, is refused in Mission's words; it stays pending.
    const bare = await decide(approval.id, 'approve', {});
    expect(bare.status).toBe(400);
    expect(JSON.stringify(bare.body)).toContain(
      "is Claude's question: approve it with answers, one per question in order (an option's key, or text in your own words). 1. Which database should we use? (1: Postgres; 2: SQLite) 2. Which caches should it keep? (1: Sessions; 2: Pages; 3: Queries; pick any)",
    );
    const wrong = await decide(approval.id, 'approve', { answers: [{ option: '3' }, { option: '1' }] });
    expect(wrong.status).toBe(400);
    expect(JSON.stringify(wrong.body)).toContain("answer 1 (Which database should we use?): the question has no option '3'");
    expect((await decide(approval.id, 'approve', { answers: [{ option: '1' }] })).status).toBe(400);

    const approved = await decide(approval.id, 'approve', { answers: [{ option: '2' }, { option: '1,3' }] });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      status: 'approved',
      answers: { 'Which database should we use?': 'SQLite', 'Which caches should it keep?': 'Sessions, Queries' },
    });
    const task = await bed.system.core.tasks.waitForEnd(submitted.body.id, 60_000);
    expect(task).toMatchObject({ status: 'succeeded', result: 'SQLite, caching sessions and queries.' });
    const [told] = toolResults('toolu_task');
    expect(told?.isError).toBe(false);
    expect(told?.content).toContain('"Which database should we use?"="SQLite"');
    expect(told?.content).toContain('"Which caches should it keep?"="Sessions, Queries"');
  });

  it.skipIf(!chromiumAvailable())(
    "a task's question answered on its approval's signed page (headless Chromium): an option picked, another in words",
    async () => {
      replies['answer on the page'] = [ask('toolu_page', [DATABASE_QUESTION, CACHES_QUESTION]), { text: 'Answered on the page.' }];
      const submitted = await call<{ id: string }>('POST', '/v1/tasks', { slot: 'default', prompt: 'answer on the page' });
      const { url } = await bed.system.core.approvals.get((await pendingApprovalOf(submitted.body.id)).id, ADMIN);
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        // The link's path on this system (the test bed's public URL names no port).
        await page.goto(new URL(new URL(url!).pathname, bed.system.url).toString());
        await page.getByRole('heading', { name: 'Claude asks' }).waitFor();
        expect(await page.locator('body').innerText()).not.toContain('Rule:');
        await page.getByLabel('SQLite').check();
        await page.locator('fieldset').nth(1).getByRole('textbox').fill('only the sessions');
        await page.getByRole('button', { name: 'Answer' }).click();
        await expect.poll(() => page.locator('#status').innerText()).toBe('Status: approved');
      } finally {
        await browser.close();
      }
      expect(await bed.system.core.tasks.waitForEnd(submitted.body.id, 60_000)).toMatchObject({
        status: 'succeeded',
        result: 'Answered on the page.',
      });
      const told = toolResults('toolu_page')[0]?.content;
      expect(told).toContain('"Which database should we use?"="SQLite"');
      expect(told).toContain('"Which caches should it keep?"="only the sessions"');
    },
  );

  it("a task's question answered in words, or denied with a reason Claude reads; neither fails the task", async () => {
    replies['name it'] = [ask('toolu_named', [DATABASE_QUESTION]), { text: 'MariaDB then.' }];
    replies['pick one'] = [ask('toolu_refused', [DATABASE_QUESTION]), { text: 'I picked Postgres myself.' }];
    // One after the other: the stub's script follows one conversation at a time.
    const named = await call<{ id: string }>('POST', '/v1/tasks', { slot: 'default', prompt: 'name it' });
    const words = await decide((await pendingApprovalOf(named.body.id)).id, 'approve', { answers: [{ text: 'MariaDB' }] });
    expect(words.body).toMatchObject({ status: 'approved', answers: { 'Which database should we use?': 'MariaDB' } });
    expect(await bed.system.core.tasks.waitForEnd(named.body.id, 60_000)).toMatchObject({ status: 'succeeded', result: 'MariaDB then.' });

    const refused = await call<{ id: string }>('POST', '/v1/tasks', { slot: 'default', prompt: 'pick one' });
    const no = await decide((await pendingApprovalOf(refused.body.id)).id, 'deny', { reason: 'decide it yourself' });
    expect(no.body).toMatchObject({ status: 'denied', answers: null });
    expect(await bed.system.core.tasks.waitForEnd(refused.body.id, 60_000)).toMatchObject({
      status: 'succeeded',
      result: 'I picked Postgres myself.',
    });
    expect(toolResults('toolu_named')[0]?.content).toContain('"Which database should we use?"="MariaDB"');
    expect(toolResults('toolu_refused')).toEqual([
      expect.objectContaining({ content: expect.stringContaining('decide it yourself'), isError: true }),
    ]);
  });

  // Claude Code 2.1.332 takes a PermissionRequest allow without the tool's input for no answer to a tool that needs
  // its person: before, the approved ExitPlanMode left the CLI's own "Exit plan mode?" dialog waiting for keys, and the
  // session blocked on an unknown dialog (the confirm timed out).
  it("Claude's plan: it enters plan mode by itself; leaving it waits for an approval, and once approved the CLI goes on", async () => {
    replies['plan it first'] = [
      { text: 'Let me plan.', toolUses: [{ id: 'toolu_enter_plan', name: 'EnterPlanMode', input: {} }] },
      { text: 'Here is my plan: A, then B.', toolUses: [{ id: 'toolu_exit_plan', name: 'ExitPlanMode', input: {} }] },
      { text: 'Plan approved, starting.' },
    ];
    const session = await spawn();
    const asked = await send(session.id, 'plan it first');
    expect(asked.body).toMatchObject({
      state: 'waiting_permission',
      dialog: { tool: 'ExitPlanMode' },
      approval: { id: expect.any(String) },
    });
    const approved = await call<SessionTurn>('POST', `/v1/sessions/${session.id}/confirm`, { choice: 'yes', timeoutMs: 60_000 });
    expect(approved.body).toMatchObject({ state: 'idle', response: 'Plan approved, starting.' });
    expect(toolResults('toolu_exit_plan')).toEqual([
      expect.objectContaining({ content: 'User has approved exiting plan mode. You can now proceed.', isError: false }),
    ]);
    await call('POST', `/v1/sessions/${session.id}/kill`);
  });

  it('a question answered in words; another withdrawn by an interrupt, after which the session is idle and usable', async () => {
    replies['pick one'] = [ask('toolu_words', [DATABASE_QUESTION]), { text: 'MySQL, then.' }];
    replies['pick again'] = [ask('toolu_interrupted', [DATABASE_QUESTION]), { text: 'never sent' }];
    const session = await spawn();

    expect((await send(session.id, 'pick one')).body.blocking?.kind).toBe('question');
    const answered = (await answer(session.id, { text: 'MySQL, please' })).body;
    expect(answered, JSON.stringify({ answered, states: await statesOf(session.id) })).toMatchObject({
      state: 'idle',
      response: 'MySQL, then.',
    });
    expect(toolResults('toolu_words')[0]?.content).toContain('"Which database should we use?"="MySQL, please"');
    // Only the question blocked the session: not the CLI's own form, still drawn a moment once the hook was answered.
    const blockedBy = (await statesOf(session.id)).filter((state) => state.state === 'blocked').map((state) => state.blocking?.kind);
    expect(blockedBy).toEqual(['question']);

    expect((await send(session.id, 'pick again')).body.blocking?.kind).toBe('question');
    const stopped = await call<SessionTurn>('POST', `/v1/sessions/${session.id}/interrupt`);
    expect(stopped.body).toMatchObject({ state: 'idle' });
    expect(stopped.body.blocking).toBeUndefined();
    // Claude was told the person interrupted; no answer reached it.
    expect(
      toolResults('toolu_interrupted')
        .map((result) => result.content)
        .join('\n'),
    ).not.toContain('have been answered');
    expect((await answer(session.id, { option: '1' })).status).toBe(409);
    replies['still there?'] = [{ text: 'Yes.' }];
    expect((await send(session.id, 'still there?')).body).toMatchObject({ state: 'idle', response: 'Yes.' });

    await call('POST', `/v1/sessions/${session.id}/kill`);
  });
});
