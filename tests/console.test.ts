import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { DailySpend } from '@mission/contracts';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatUsd } from '../packages/console/src/format.ts';
import { consoleRoutes } from '../services/api/src/routes/console.ts';
import { chromiumAvailable, ensureConsoleBuilt, launchChromium, screenshot } from './support/browser.ts';
import { prepareClaudeHome } from './support/claudeEnv.ts';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { waitUntil } from './support/processes.ts';
import { deployerArgs } from './support/deployerMcp.ts';
import { CACHES_QUESTION, DATABASE_QUESTION } from './support/questions.ts';
import { ADMIN, startTestSystem, type TestSystem, approvalStoreOf } from './support/system.ts';
import { scriptByPrompt, type StubReply } from './support/stubAnthropic.ts';
import { EVERY_SLOT_OPTION } from './support/slotOptions.ts';
import { CLAUDE_VERSION } from './fixtures/recordings.ts';

/**
 * The web console in headless Chromium against the whole system running the real claude CLI on the
 * stub API: sign in, watch a session's terminal while Claude answers, approve from the inbox.
 */
describe.skipIf(!chromiumAvailable())('web console (headless Chromium, real claude CLI)', () => {
  let bed: ClaudeTestBed;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  let replies: Record<string, StubReply[]>;
  const adminToken = () => bed.system.auth.authorization.replace(/^Bearer /, '');

  beforeAll(async () => {
    ensureConsoleBuilt();
    bed = await startClaudeTestBed();
    replies = scriptByPrompt(bed.stub);
    const json = { 'content-type': 'application/json' };
    const role = await bed.system.fetch('/v1/roles/guarded', {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ allow: [], confirm: ['Edit'], deny: [] }),
    });
    expect(role.status).toBe(200);
    const slot = await bed.system.fetch('/v1/slots/guarded', {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ role: 'guarded', cwd: bed.workdir, env: bed.claude.env }),
    });
    expect(slot.status).toBe(200);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1500, height: 950 } });
    page = await context.newPage();
    // Uncaught exceptions and Content-Security-Policy refusals are bugs of the console.
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => message.text().includes('Content Security Policy') && pageErrors.push(message.text()));
  });
  afterAll(async () => {
    await browser?.close();
    await bed?.close();
  });

  const terminalText = () => page.locator('[data-testid=terminal] .xterm-rows').innerText();
  /**
   * Types at the session's terminal as a person does: the text, then Enter once its input box shows it. Keys that reach a claude
   * stopped meanwhile (MISSION_TEST_STRESS=pause) are read in one burst when it goes on, which the CLI takes for a
   * paste: an Enter inside it is a new line of the input, not a submit.
   */
  const typeThenEnter = async (text: string) => {
    await page.keyboard.type(text);
    const typed = new RegExp(`❯\\s${text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\s*$`, 'm');
    await expect.poll(terminalText, { timeout: 30_000 }).toMatch(typed);
    await page.keyboard.press('Enter');
  };

  it('signs in with the token through the form; the cookie is HttpOnly and SameSite=Strict', async () => {
    await page.goto(`${bed.system.url}/`);
    await page.getByLabel('API token').fill('msn.tok_0000.wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').innerText()).toContain('the API token is not valid');
    expect(await context.cookies()).toEqual([]);

    await page.getByLabel('API token').fill(adminToken());
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({
      name: 'mission_token',
      value: encodeURIComponent(adminToken()),
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      secure: false,
    });
    // The page's scripts never see the token.
    expect(await page.evaluate(() => document.cookie)).toBe('');
  });

  it('shows the overview: workers, queues, counts and cost today', async () => {
    await page.getByRole('cell', { name: bed.system.worker!.id }).waitFor();
    expect(await page.getByRole('cell', { name: 'tasks', exact: true }).count()).toBe(1);
    await expect.poll(() => page.getByTestId('cost-today').innerText()).toMatch(/Cost today\s+(\$\d+\.\d+|—)/);
    expect(await page.getByRole('link', { name: /Bull Board/ }).getAttribute('href')).toBe('/admin/queues');
    await screenshot(page, '1-overview');
  });

  it('the overview lists the slots with the options each sets (autoResume, task cap, budgets, worktree)', async () => {
    await bed.system.core.slots.put('optioned', {
      cwd: bed.workdir,
      env: bed.claude.env,
      ...EVERY_SLOT_OPTION,
    });
    const row = page
      .getByTestId('slots')
      .getByRole('row')
      .filter({ has: page.getByRole('cell', { name: 'optioned', exact: true }) });
    await row.waitFor();
    expect(await row.getByRole('cell').allInnerTexts()).toEqual([
      'optioned',
      'default',
      '—',
      'ready',
      'autoResume, max 3 tasks, $5/day, $1.5/tree, worktree (kept)',
    ]);
    const plain = page
      .getByTestId('slots')
      .getByRole('row')
      .filter({ has: page.getByRole('cell', { name: 'guarded', exact: true }) });
    expect(await plain.getByRole('cell').last().innerText()).toBe('—');
  });

  it("a new session's page shows its live terminal, which updates while the CLI answers what is typed", async () => {
    replies['say hello to the console'] = [{ text: 'Hello from the stub, through the console.' }];
    await page.getByRole('link', { name: 'Sessions' }).click();
    await page.getByLabel('Slot').selectOption('guarded');
    await page.getByRole('button', { name: 'New session' }).click();
    await page.getByRole('heading', { name: /^Session ses_/ }).waitFor({ timeout: 30_000 });
    const sessionId = /#\/sessions\/(ses_\w+)/.exec(page.url())![1]!;
    await page.getByText('● live').waitFor();
    await expect.poll(terminalText, { timeout: 30_000 }).toContain(`Claude Code v${CLAUDE_VERSION}`);
    await waitUntil(async () => (await bed.system.core.sessions.get(sessionId)).state === 'idle', 30_000, 'the session to be idle');

    // Read-only until "Take control": typing does nothing.
    await page.getByTestId('terminal').click();
    await page.keyboard.type('ignored');
    await page.getByRole('button', { name: 'Take control' }).click();
    await typeThenEnter('say hello to the console');
    await expect.poll(terminalText, { timeout: 30_000 }).toContain('Hello from the stub, through the console.');
    expect(await terminalText()).not.toContain('ignored');
    await expect
      .poll(() => page.getByTestId('conversation').innerText(), { timeout: 10_000 })
      .toContain('Hello from the stub, through the console.');
    expect(bed.stub.requests.some((r) => r.lastUserText === 'say hello to the console')).toBe(true);
    // What the session has cost so far, as its claude reports it while it runs, on its page.
    await waitUntil(async () => (await bed.system.core.sessions.get(sessionId)).costUsd !== null, 30_000, "the session's running cost");
    const cost = `$${(await bed.system.core.sessions.get(sessionId)).costUsd!.toFixed(4)}`;
    await expect.poll(() => page.getByTestId('session-facts').innerText(), { timeout: 10_000 }).toContain(`cost ${cost}`);
    await screenshot(page, '2-session-terminal');

    // A screen of the CLI's own opened at the terminal (/help) blocks the session; its Close button presses Esc.
    await waitUntil(async () => (await bed.system.core.sessions.get(sessionId)).state === 'idle', 30_000, 'the session to be idle');
    await page.getByTestId('terminal').click();
    await typeThenEnter('/help');
    const blocking = page.getByTestId('blocking');
    await blocking.getByRole('heading', { name: 'Claude Code asks (command_screen)' }).waitFor({ timeout: 30_000 });
    await blocking.getByRole('button', { name: 'Close (Esc)' }).click();
    await blocking.waitFor({ state: 'detached', timeout: 30_000 });
    expect((await bed.system.core.sessions.get(sessionId)).state).toBe('idle');
    // What is typed next goes to the terminal again.
    await page.getByTestId('terminal').click();
  });

  it('a tool use held by a confirm rule is approved from the inbox with one click, the session goes on, and can be ended', async () => {
    const file = path.join(bed.workdir, 'approved-in-console.txt');
    replies['write the file from the console'] = [
      { text: 'Writing.', toolUses: [{ name: 'Write', input: { file_path: file, content: 'approved\n' } }] },
      { text: 'Wrote it, thanks to the console.' },
    ];
    await typeThenEnter('write the file from the console');
    await expect
      .poll(() => page.getByTestId('conversation').innerText(), { timeout: 30_000 })
      .toContain('Write waits for an approval (rule Edit)');

    // The inbox in a second tab, so the session's page stays live.
    const inbox = await context.newPage();
    await inbox.goto(`${bed.system.url}/#/approvals`);
    const card = inbox.locator('[data-approval]').filter({ hasText: 'approved-in-console.txt' });
    await card.waitFor();
    expect(await card.innerText()).toContain('rule Edit');
    await screenshot(inbox, '3-approvals-inbox');
    expect(fs.existsSync(file)).toBe(false);
    await card.getByRole('button', { name: 'Approve' }).click();
    await inbox.getByTestId('no-approvals').waitFor();

    await expect.poll(terminalText, { timeout: 30_000 }).toContain('Wrote it, thanks to the console.');
    await expect.poll(() => page.getByTestId('conversation').innerText()).toContain('Write allowed by token:test-admin (rule Edit)');
    expect(fs.readFileSync(file, 'utf8')).toBe('approved\n');
    await screenshot(page, '4-session-after-approval');
    await inbox.close();

    // Ending the session (after a confirm) closes its terminal.
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'End session' }).click();
    await page.getByText('The session has ended (exited)').waitFor({ timeout: 15_000 });
    expect((await bed.system.core.sessions.get(/#\/sessions\/(ses_\w+)/.exec(page.url())![1]!)).state).toBe('exited');
  });

  // Started from the form with each driver: the screen driver reads the same dialog off the same screen.
  it.each(['hooks', 'screen'])(
    'a session blocked by a dialog no option answers (claude not logged in) says on its page what it needs (%s driver)',
    async (driver) => {
      const unauthenticated = prepareClaudeHome({ apiUrl: bed.stub.url, trustedDirs: [bed.workdir], auth: 'none' });
      const other = await context.newPage();
      let id = '';
      try {
        await bed.system.core.slots.put('logged-out', { cwd: bed.workdir, env: unauthenticated.env });
        await other.goto(`${bed.system.url}/#/sessions`);
        await other.getByLabel('Slot').selectOption('logged-out');
        await other.getByLabel('Driver').selectOption(driver);
        await other.getByRole('button', { name: 'New session' }).click();
        await other.getByRole('heading', { name: /^Session ses_/ }).waitFor({ timeout: 30_000 });
        id = /#\/sessions\/(ses_\w+)/.exec(other.url())![1]!;
        expect(await other.getByText(`${driver} driver`).count()).toBe(1);
        const blocking = other.getByTestId('blocking');
        await blocking.getByRole('heading', { name: 'Claude Code asks (login_required)' }).waitFor({ timeout: 30_000 });
        expect(await blocking.getByRole('button').count()).toBe(0);
        expect(await blocking.getByTestId('blocking-help').innerText()).toMatch(
          /^claude has no credentials on its worker: give the slot's env or the worker ANTHROPIC_API_KEY/,
        );
        // The list says what blocks it, as `mission sessions` does.
        await other.getByRole('link', { name: 'Sessions' }).click();
        const row = other
          .getByTestId('sessions')
          .getByRole('row')
          .filter({ has: other.getByRole('link', { name: id }) });
        await expect.poll(() => row.getByRole('cell').nth(2).innerText(), { timeout: 10_000 }).toBe('blocked login_required');
      } finally {
        await other.close();
        if (id) await bed.system.fetch(`/v1/sessions/${id}/kill`, { method: 'POST' });
        await unauthenticated.remove();
      }
    },
  );

  it("a question Claude asks shows on the session's page with its options and is answered there in words", async () => {
    replies['ask me in the console'] = [
      {
        text: 'One question first.',
        toolUses: [
          {
            id: 'toolu_console_question',
            name: 'AskUserQuestion',
            input: {
              questions: [
                {
                  question: 'Which colour should the button be?',
                  header: 'Colour',
                  options: [
                    { label: 'Blue', description: 'Calm' },
                    { label: 'Red', description: 'Loud' },
                  ],
                  multiSelect: false,
                },
              ],
            },
          },
        ],
      },
      { text: 'Green it is.' },
    ];
    const session = (await bed.system.call<{ id: string }>('POST', '/v1/sessions', { slot: 'guarded' })).body;
    const asked = await bed.system.call<{ state: string }>('POST', `/v1/sessions/${session.id}/send`, {
      text: 'ask me in the console',
      timeoutMs: 60_000,
    });
    expect(asked.body.state).toBe('blocked');
    await page.goto(`${bed.system.url}/#/sessions/${session.id}`);
    const blocking = page.getByTestId('blocking');
    await blocking.getByRole('heading', { name: 'Claude asks' }).waitFor({ timeout: 30_000 });
    expect(await blocking.locator('pre').innerText()).toContain('Colour: Which colour should the button be?');
    expect(await blocking.getByRole('button', { name: /^\d\. / }).allInnerTexts()).toEqual(['1. Blue', '2. Red']);
    await blocking.getByLabel('Or in your own words').fill('Green, please');
    await blocking.getByRole('button', { name: 'Answer' }).click();
    await blocking.waitFor({ state: 'detached', timeout: 30_000 });
    await expect.poll(() => page.getByTestId('conversation').innerText(), { timeout: 30_000 }).toContain('Green it is.');
    const answered = bed.stub.requests.flatMap((r) => r.toolResults).find((r) => r.toolUseId === 'toolu_console_question');
    expect(answered?.content).toContain('"Which colour should the button be?"="Green, please"');
    // The reply is in the conversation as the transcript gives it; the turn ends at the CLI's Stop.
    await waitUntil(async () => (await bed.system.core.sessions.get(session.id)).state === 'idle', 30_000, 'the turn to end');
    await bed.system.fetch(`/v1/sessions/${session.id}/kill`, { method: 'POST' });
  });

  it("an MCP server's request for input shows on the session's page, answered there field by field with its buttons and in words", async () => {
    replies['deploy from the console'] = [
      { text: 'Deploying.', toolUses: [{ id: 'toolu_console_deploy', name: 'mcp__deployer__deploy', input: {} }] },
      { text: 'Deployed from the console.' },
    ];
    const slot = { role: 'guarded', cwd: bed.workdir, env: bed.claude.env, args: deployerArgs(bed.workdir) };
    expect((await bed.system.call('PUT', '/v1/slots/deployer', slot)).status).toBe(200);
    const session = (await bed.system.call<{ id: string }>('POST', '/v1/sessions', { slot: 'deployer' })).body;
    const asked = await bed.system.call<{ state: string }>('POST', `/v1/sessions/${session.id}/send`, {
      text: 'deploy from the console',
      timeoutMs: 60_000,
    });
    expect(asked.body.state).toBe('blocked');
    await page.goto(`${bed.system.url}/#/sessions/${session.id}`);
    const blocking = page.getByTestId('blocking');
    const shows = (text: string) => expect.poll(() => blocking.locator('pre').innerText(), { timeout: 30_000 }).toContain(text);
    await blocking.getByRole('heading', { name: 'An MCP server asks for input' }).waitFor({ timeout: 30_000 });
    await shows('MCP server “deployer” asks for input: Where should it go?');
    await blocking.getByRole('button', { name: '1. Fill it in' }).click();
    await shows('Region (field 1 of 3, required)');
    await blocking.getByRole('button', { name: '2. US (East)' }).click();
    await shows('Replicas (field 2 of 3, required)');
    await blocking.getByLabel('Or in your own words').fill('2');
    await blocking.getByRole('button', { name: 'Answer' }).click();
    await shows('Note (field 3 of 3, optional)');
    await blocking.getByRole('button', { name: '0. Leave it unset' }).click();
    await blocking.waitFor({ state: 'detached', timeout: 30_000 });
    await expect.poll(() => page.getByTestId('conversation').innerText(), { timeout: 30_000 }).toContain('Deployed from the console.');
    const told = bed.stub.requests.flatMap((r) => r.toolResults).find((r) => r.toolUseId === 'toolu_console_deploy');
    expect(told?.content).toBe('deploy: {"action":"accept","content":{"region":"us-east","replicas":2}}');
    await waitUntil(async () => (await bed.system.core.sessions.get(session.id)).state === 'idle', 30_000, 'the turn to end');
    await bed.system.fetch(`/v1/sessions/${session.id}/kill`, { method: 'POST' });
  });

  it('a long conversation opens at its last 200 events and follows live ones; the earlier ones are shown on request, none twice', async () => {
    replies['one more after the long history'] = [{ text: 'The live reply after the history.' }];
    const session = (await bed.system.call<{ id: string }>('POST', '/v1/sessions', { slot: 'guarded' })).body;
    await waitUntil(async () => (await bed.system.core.sessions.get(session.id)).state === 'idle', 30_000, 'the session to be idle');
    // A history longer than a page opens with: stored as the worker stores Claude's messages.
    const said = (n: number) => `long history, message ${String(n).padStart(3, '0')}`;
    const drafts = Array.from({ length: 250 }, (_, i) => ({ type: 'assistant_message' as const, payload: { text: said(i + 1) } }));
    const stored = await bed.system.core.events.appendMany({ kind: 'session', id: session.id }, drafts);
    const before = stored.at(-1)!.seq - 200;
    expect(before).toBeGreaterThanOrEqual(50);

    await page.goto(`${bed.system.url}/#/sessions/${session.id}`);
    const conversation = page.getByTestId('conversation');
    await expect.poll(() => conversation.innerText(), { timeout: 30_000 }).toContain(said(250));
    const showEarlier = conversation.getByTestId('show-earlier');
    expect(await showEarlier.innerText()).toBe(`Show the ${before} earlier events`);
    expect(await conversation.innerText()).toContain(said(51));
    expect(await conversation.innerText()).not.toContain(said(50));

    // Live events follow the tail.
    const sent = await bed.system.call<{ state: string }>('POST', `/v1/sessions/${session.id}/send`, {
      text: 'one more after the long history',
      timeoutMs: 60_000,
    });
    expect(sent.body.state).toBe('idle');
    await expect.poll(() => conversation.innerText(), { timeout: 30_000 }).toContain('The live reply after the history.');

    await showEarlier.click();
    await expect.poll(() => conversation.innerText(), { timeout: 30_000 }).toContain(said(1));
    await expect.poll(() => conversation.innerText(), { timeout: 30_000 }).toContain('The live reply after the history.');
    expect(await showEarlier.count()).toBe(0);
    const text = await conversation.innerText();
    for (const n of [1, 50, 51, 250]) expect(text.split(said(n)).length - 1).toBe(1);
    expect(text.split('The live reply after the history.').length - 1).toBe(1);
    await bed.system.fetch(`/v1/sessions/${session.id}/kill`, { method: 'POST' });
  });

  it("a task's question waits in the inbox as a question, answered there with an option and in words; Claude reads the answers", async () => {
    replies['choose the storage in the console'] = [
      {
        text: 'I need to know first.',
        toolUses: [{ id: 'toolu_inbox_question', name: 'AskUserQuestion', input: { questions: [DATABASE_QUESTION, CACHES_QUESTION] } }],
      },
      { text: 'MariaDB, caching sessions and queries.' },
    ];
    const submitted = await bed.system.call<{ id: string }>('POST', '/v1/tasks', {
      slot: 'default',
      prompt: 'choose the storage in the console',
    });
    expect(submitted.status).toBe(202);
    // The task's page says it waits, and leads to the inbox.
    await page.goto(`${bed.system.url}/#/tasks/${submitted.body.id}`);
    await page.getByRole('link', { name: 'it waits for an approval →' }).click({ timeout: 60_000 });
    await page.waitForURL(/#\/approvals$/);
    const card = page.locator('[data-approval]').filter({ hasText: submitted.body.id });
    await card.getByRole('heading', { name: 'Claude asks' }).waitFor({ timeout: 60_000 });
    expect(await card.locator('legend').allInnerTexts()).toEqual([
      'Database Which database should we use?',
      'Caches Which caches should it keep?',
    ]);
    expect(await card.getByRole('radio').count()).toBe(2);
    expect(await card.getByRole('checkbox').count()).toBe(3);
    expect(await card.getByText('The embedded one').count()).toBe(1);
    expect(await card.innerText()).toContain('a question for a person');

    // Answer waits for an answer to each question; words given are taken instead of the option picked.
    const [database, caches] = [card.locator('fieldset').nth(0), card.locator('fieldset').nth(1)];
    const answer = card.getByRole('button', { name: 'Answer' });
    expect(await answer.isDisabled()).toBe(true);
    await database.getByRole('radio', { name: /SQLite/ }).check();
    expect(await answer.isDisabled()).toBe(true);
    await caches.getByRole('checkbox', { name: /Queries/ }).check();
    await caches.getByRole('checkbox', { name: /Sessions/ }).check();
    await expect.poll(() => answer.isEnabled()).toBe(true);
    await database.getByLabel('Or in your own words').fill('MariaDB, please');
    await screenshot(page, '4b-question-in-inbox');
    await answer.click();
    await card.waitFor({ state: 'detached', timeout: 15_000 });

    const task = await bed.system.core.tasks.waitForEnd(submitted.body.id, 60_000);
    expect(task).toMatchObject({ status: 'succeeded', result: 'MariaDB, caching sessions and queries.' });
    const told = bed.stub.requests.flatMap((r) => r.toolResults).find((r) => r.toolUseId === 'toolu_inbox_question');
    expect(told?.isError).toBe(false);
    expect(told?.content).toContain('"Which database should we use?"="MariaDB, please"');
    expect(told?.content).toContain('"Which caches should it keep?"="Sessions, Queries"');
  });

  it("approvals: a subagent's tool use says whose it is; Approve decides it", async () => {
    const { core } = bed.system;
    const store = approvalStoreOf(bed.system);
    const approval = await store.create({
      owner: { kind: 'task', id: 'task_console_agent' },
      slot: 'default',
      role: 'default',
      tool: 'Write',
      input: { file_path: 'from-the-agent.txt', content: 'hi' },
      rule: null,
      timeoutMs: 60_000,
      subagent: { id: 'a1f2', type: 'general-purpose' },
    });
    await page.goto(`${bed.system.url}/#/approvals`);
    const card = page.locator(`[data-approval="${approval.id}"]`);
    await card.getByRole('heading', { name: 'Write wants permission' }).waitFor({ timeout: 15_000 });
    expect(await card.innerText()).toContain('subagent general-purpose of task task_console_agent');
    await card.getByRole('button', { name: 'Approve' }).click();
    await card.waitFor({ state: 'detached', timeout: 15_000 });
    expect(await core.approvals.get(approval.id, ADMIN)).toMatchObject({
      status: 'approved',
      subagent: { id: 'a1f2', type: 'general-purpose' },
    });
  });

  it('tasks: filtered list and a task page with its result and event timeline', async () => {
    replies['what is two plus two'] = [{ text: '4' }];
    const submitted = (await (
      await bed.system.fetch('/v1/tasks', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'what is two plus two' }),
      })
    ).json()) as { id: string };
    await bed.system.core.tasks.waitForEnd(submitted.id, 60_000);
    await page.goto(`${bed.system.url}/#/tasks?status=succeeded`);
    await page.getByRole('link', { name: submitted.id }).click();
    await page.getByTestId('result').waitFor();
    expect(await page.getByTestId('result').innerText()).toBe('4');
    await expect.poll(() => page.locator('.timeline').innerText()).toMatch(/result · \$\d/);
    await screenshot(page, '5-task');

    await page.goto(`${bed.system.url}/#/tasks?status=failed`);
    await page.getByText('No tasks match.').waitFor();
  });

  it("the overview charts spend per day, tasks per minute and queue depth (uPlot); hovering a point shows the API's figure", async () => {
    await page.goto(`${bed.system.url}/#/`);
    const spend = page.getByTestId('chart-spend');
    const throughput = page.getByTestId('chart-throughput');
    for (const chart of [spend, throughput, page.getByTestId('chart-queue')]) await chart.locator('canvas').waitFor();
    expect(await spend.locator('.u-legend').innerText()).toMatch(/tasks[\s\S]*sessions/);
    expect(await page.getByTestId('chart-queue').locator('.u-legend').innerText()).toContain('queued tasks');

    /** Hovers point `index` of `count` on a chart and reads the legend's value of its first series, with what the API says it should be. */
    const hover = async (chart: typeof spend, index: (count: number) => number, count: number) => {
      const over = chart.locator('.u-over');
      await over.scrollIntoViewIfNeeded();
      const box = (await over.boundingBox())!;
      await page.mouse.move(0, 0);
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.move(box.x + (box.width - 1) * (count > 1 ? index(count) / (count - 1) : 1), box.y + box.height / 2, { steps: 4 });
      const value = await chart.locator('.u-legend .u-series').nth(1).locator('.u-value').innerText();
      return `${value} (cursor ${await chart.locator('.u-cursor-x').getAttribute('class')}, plot at ${JSON.stringify(box)})`;
    };
    const api = async <T>(route: string) => (await (await bed.system.fetch(route)).json()) as T;
    // The last day is today, whose tasks have cost what the task above did (and more).
    await expect
      .poll(
        async () => {
          const { days } = await api<DailySpend>('/v1/usage/daily?days=30');
          const shown = await hover(spend, (n) => n - 1, days.length);
          return shown.startsWith(`${formatUsd(days.at(-1)!.tasksCostUsd)} (`) && days.at(-1)!.tasksCostUsd > 0
            ? 'same'
            : `${shown} for ${days.at(-1)!.tasksCostUsd}`;
        },
        { timeout: 45_000 },
      )
      .toBe('same');
    // Tasks per minute: both series are drawn (hovering its points is not checked: see the report of issue 17).
    expect(await throughput.locator('.u-legend').innerText()).toMatch(/ended[\s\S]*started/);
    await screenshot(page, '5b-overview-trends');
  });

  it('audit: the trail shows who decided the approval and changed the role, and filters by kind', async () => {
    await page.goto(`${bed.system.url}/#/audit`);
    const table = page.getByTestId('audit');
    await expect.poll(() => table.innerText(), { timeout: 15_000 }).toContain('approval_decided');
    const decided = table.locator('tr[data-kind="approval_decided"]').first();
    expect(await decided.innerText()).toContain('token:test-admin');
    expect(await decided.innerText()).toContain('"status":"approved"');
    await page.locator('select[name=kind]').selectOption('role_changed');
    await expect.poll(() => page.url()).toContain('#/audit?kind=role_changed');
    await expect
      .poll(() => table.locator('tr[data-kind]').evaluateAll((rows) => [...new Set(rows.map((row) => row.getAttribute('data-kind')))]))
      .toEqual(['role_changed']);
    expect(await table.innerText()).toContain('guarded');
    await screenshot(page, '6-audit');
  });

  it('API errors are shown as messages; signing out forgets the cookie', async () => {
    await page.goto(`${bed.system.url}/#/tasks/task_nope`);
    await expect.poll(() => page.getByRole('alert').innerText()).toContain('404 not_found');
    await page.locator('header[data-auth="on"]').waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    expect(await context.cookies()).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('with MISSION_AUTH=off (npm start) the console works without signing in', async () => {
    const open = await startTestSystem({ inProcessWorker: false, env: { MISSION_AUTH: 'off' } });
    const anonymous = await browser.newContext();
    try {
      const tab = await anonymous.newPage();
      await tab.goto(`${open.url}/#/approvals`);
      await tab.getByTestId('no-approvals').waitFor();
      expect(await tab.getByLabel('API token').count()).toBe(0);
      // No "Sign out" with nothing to sign out of, once the console knows auth is off.
      await tab.locator('header[data-auth="off"]').waitFor();
      expect(await tab.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    } finally {
      await anonymous.close();
      await open.close();
    }
  });
});

describe('console routes', () => {
  let system: TestSystem;
  beforeAll(async () => {
    ensureConsoleBuilt();
    system = await startTestSystem({ inProcessWorker: false });
  });
  afterAll(async () => {
    await system?.close();
  });

  const post = (route: string, body: unknown) =>
    fetch(system.url + route, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('/ is the built page, without a token; its scripts and styles are cached for good; nothing outside dist is served', async () => {
    const page = await fetch(`${system.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const html = await page.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(system.url + script!);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    for (const escape of ['/assets/..%2f..%2fpackage.json', '/assets/%2e%2e/%2e%2e/package.json', '/assets/nope.js']) {
      const res = await fetch(system.url + escape);
      expect([403, 404]).toContain(res.status);
      expect(await res.text()).not.toContain('"@mission/console"');
    }
  });

  it('/login refuses a bad token (401, no cookie) and keeps a good one in an HttpOnly SameSite=Strict cookie; /logout clears it', async () => {
    const bad = await post('/login', { token: 'msn.tok_0000.nope' });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('set-cookie')).toBeNull();
    expect((await post('/login', {})).status).toBe(400);
    const token = system.auth.authorization.replace(/^Bearer /, '');
    const good = await post('/login', { token });
    expect(good.status).toBe(200);
    expect(await good.json()).toEqual({ caller: 'token:test-admin', scopes: ['admin'] });
    expect(good.headers.get('set-cookie')).toBe(`mission_token=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`);
    // Behind a proxy that terminated TLS, the cookie is Secure too.
    const proxied = await fetch(`${system.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
      body: JSON.stringify({ token }),
    });
    expect(proxied.headers.get('set-cookie')).toBe(`mission_token=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/; Secure`);
    const out = await fetch(`${system.url}/logout`, { method: 'POST' });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toBe('mission_token=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0');
  });

  it('without a build, / says to run npm run build (503)', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-no-console-'));
    const app = Fastify().setValidatorCompiler(validatorCompiler).setSerializerCompiler(serializerCompiler);
    await app.register(consoleRoutes, { core: {} as never, dist: empty });
    const res = await app.inject('/');
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build');
    await app.close();
    fs.rmSync(empty, { recursive: true });
  });
});
