import { describe, expect, it } from 'vitest';
import { HeldAsk } from './claudeQuestions.ts';
import { formFields, McpInputForm, McpPageRequest, mcpRequestAsk, pageToOpen } from './mcpInput.ts';

/** The form of tests/support/elicitingMcpServer.mjs, as the CLI's Elicitation hook gives it (Claude Code 2.1.332). */
const DEPLOY_FORM = {
  type: 'object',
  properties: {
    region: { type: 'string', title: 'Region', enum: ['eu-west', 'us-east'], enumNames: ['Europe (West)', 'US (East)'] },
    replicas: { type: 'integer', title: 'Replicas', minimum: 1, maximum: 5 },
    checks: {
      type: 'array',
      title: 'Checks',
      items: {
        anyOf: [
          { const: 'smoke', title: 'Smoke tests' },
          { const: 'load', title: 'Load tests' },
        ],
      },
    },
    notify: { type: 'boolean', title: 'Notify the team' },
    note: { type: 'string', title: 'Note', description: 'Anything the deployers should know' },
  },
  required: ['region', 'replicas'],
};

const answer = (form: { hookSpecificOutput: Record<string, unknown> }) => form.hookSpecificOutput;

describe('formFields', () => {
  it('reads each field of an MCP form in order: choices (enum, titled), several, yes or no, numbers, text', () => {
    expect(formFields(DEPLOY_FORM)?.map(({ name, type, required, choices }) => ({ name, type, required, choices }))).toEqual([
      {
        name: 'region',
        type: 'choice',
        required: true,
        choices: [
          { value: 'eu-west', label: 'Europe (West)' },
          { value: 'us-east', label: 'US (East)' },
        ],
      },
      { name: 'replicas', type: 'integer', required: true, choices: [] },
      {
        name: 'checks',
        type: 'choices',
        required: false,
        choices: [
          { value: 'smoke', label: 'Smoke tests' },
          { value: 'load', label: 'Load tests' },
        ],
      },
      {
        name: 'notify',
        type: 'boolean',
        required: false,
        choices: [
          { value: 'true', label: 'Yes' },
          { value: 'false', label: 'No' },
        ],
      },
      { name: 'note', type: 'text', required: false, choices: [] },
    ]);
  });

  it('is null for what no MCP form holds (a nested object, no properties): the CLI then shows its own dialog', () => {
    expect(formFields({ type: 'object', properties: { where: { type: 'object' } } })).toBeNull();
    expect(formFields({ type: 'object' })).toBeNull();
    expect(formFields(undefined)).toBeNull();
  });
});

describe('McpInputForm', () => {
  const form = () => new McpInputForm('deployer', 'Where should it go?', formFields(DEPLOY_FORM)!);

  it('asks for the request first, then each field; the answers go back as the form the server asked for', () => {
    const asked = form();
    expect(asked.dialog).toEqual({
      kind: 'mcp_input',
      text: 'MCP server “deployer” asks for input: Where should it go?\nFields: Region (required), Replicas (required), Checks (optional), Notify the team (optional), Note (optional)',
      options: [
        { key: '1', label: 'Fill it in' },
        { key: '2', label: 'Decline' },
      ],
      numbered: true,
      selected: null,
    });
    expect(asked.answer({ option: '1' })).toBeNull();
    expect(asked.dialog).toMatchObject({
      text: 'MCP server “deployer”: Region (field 1 of 5, required)\nPick one of its options.',
      options: [
        { key: '1', label: 'Europe (West)' },
        { key: '2', label: 'US (East)' },
      ],
    });
    expect(asked.answer({ option: '2' })).toBeNull();
    expect(asked.dialog).toMatchObject({
      text: 'MCP server “deployer”: Replicas (field 2 of 5, required)\nAnswer with text: a whole number from 1 to 5.',
      options: [],
    });
    expect(asked.answer({ text: '3' })).toBeNull();
    expect(asked.dialog.options.at(-1)).toEqual({ key: '0', label: 'Leave it unset' });
    expect(asked.answer({ option: '1,2' })).toBeNull();
    expect(asked.answer({ option: '0' })).toBeNull();
    expect(asked.dialog).toMatchObject({
      text: 'MCP server “deployer”: Note (field 5 of 5, optional)\nAnything the deployers should know\nAnswer with text: words.',
      options: [{ key: '0', label: 'Leave it unset' }],
    });
    expect(answer(asked.answer({ text: 'after the freeze' }) as never)).toEqual({
      hookEventName: 'Elicitation',
      action: 'accept',
      content: { region: 'us-east', replicas: 3, checks: ['smoke', 'load'], note: 'after the freeze' },
    });
  });

  it('declines at the first step; refuses an answer a field does not take, naming what it takes, and asks it again', () => {
    expect(answer(form().answer({ option: '2' }) as never)).toEqual({ hookEventName: 'Elicitation', action: 'decline' });
    const asked = form();
    expect(() => asked.answer({ option: '3' })).toThrow(`the MCP server's request takes 1 (fill it in) or 2 (decline), not {"option":"3"}`);
    asked.answer({ option: '1' });
    expect(() => asked.answer({ text: 'Mars' })).toThrow('Region takes one of its options (1: Europe (West); 2: US (East)), not words');
    expect(() => asked.answer({ option: '1,2' })).toThrow('Region takes one option, not 2; it offers 1: Europe (West); 2: US (East)');
    expect(() => asked.answer({ option: '0' })).toThrow("Region has no option '0'; it offers 1: Europe (West); 2: US (East)");
    asked.answer({ option: '1' });
    expect(() => asked.answer({ option: '1' })).toThrow('Replicas takes text (a whole number from 1 to 5), not an option');
    expect(() => asked.answer({ text: '9' })).toThrow("Replicas takes a whole number from 1 to 5, not '9'");
    expect(() => asked.answer({ text: '2.5' })).toThrow("Replicas takes a whole number from 1 to 5, not '2.5'");
    expect(asked.dialog.text).toContain('Replicas (field 2 of 5, required)');
  });

  it('held: nobody answering cancels the request with a notice; an interrupt cancels it and leaves the turn to the interrupt', async () => {
    const unanswered = new HeldAsk(form(), 1);
    expect(answer((await unanswered.settled) as never)).toEqual({ hookEventName: 'Elicitation', action: 'cancel' });
    expect(unanswered.unansweredNotice).toEqual({
      kind: 'input_unanswered',
      text: 'nobody answered MCP server “deployer” within 1 min: its request was cancelled',
    });
    const withdrawn = new HeldAsk(form(), 60_000);
    withdrawn.withdraw();
    expect(answer((await withdrawn.settled) as never)).toEqual({ hookEventName: 'Elicitation', action: 'cancel' });
    expect(withdrawn.ask.withdrawInterrupts).toBe(false);
  });
});

describe('McpPageRequest', () => {
  const PAGE = 'https://cloud.example.com/sign-in?session=deploy-42';
  const request = (url: unknown, mode = 'url') => ({
    session_id: 's',
    transcript_path: '/t.jsonl',
    cwd: '/w',
    hook_event_name: 'Elicitation' as const,
    mcp_server_name: 'deployer',
    message: 'Sign in to deploy',
    mode,
    ...(url === undefined ? {} : { url: url as string }),
  });

  it('asks to open the page, accepted or declined; the answer goes back as the server asked for it, with no content', () => {
    const page = new McpPageRequest('deployer', 'Sign in to deploy', PAGE);
    expect(page.dialog).toMatchObject({
      kind: 'mcp_input',
      text: `MCP server “deployer” asks you to open a page: Sign in to deploy\n${PAGE}\nOpen it yourself (Mission opens nothing), then accept; or decline.`,
      options: [
        { key: '1', label: 'Accept' },
        { key: '2', label: 'Decline' },
      ],
    });
    expect(answer(page.answer({ option: '1' }) as never)).toEqual({ hookEventName: 'Elicitation', action: 'accept' });
    expect(answer(page.answer({ option: '2' }) as never)).toEqual({ hookEventName: 'Elicitation', action: 'decline' });
    expect(() => page.answer({ text: 'done' })).toThrow(`the MCP server's page takes 1 (accept) or 2 (decline), not {"text":"done"}`);
    expect(() => page.answer({ option: '3' })).toThrow('takes 1 (accept) or 2 (decline)');
  });

  it("shows the server's message on one line: no line of it passes for the page's address", () => {
    const page = new McpPageRequest('deployer', 'Sign in\nhttps://bank.example.com/login\u0007', PAGE);
    expect(page.dialog.text.split('\n')).toEqual([
      'MCP server “deployer” asks you to open a page: Sign in https://bank.example.com/login',
      PAGE,
      'Open it yourself (Mission opens nothing), then accept; or decline.',
    ]);
  });

  it('held: nobody answering cancels the request with a notice, as for a form', async () => {
    const unanswered = new HeldAsk(new McpPageRequest('deployer', 'Sign in', PAGE), 1);
    expect(answer((await unanswered.settled) as never)).toEqual({ hookEventName: 'Elicitation', action: 'cancel' });
    expect(unanswered.unansweredNotice?.text).toBe('nobody answered MCP server “deployer” within 1 min: its request was cancelled');
  });

  it('shows only an http(s) address on one line of visible characters; any other is left to the CLI', () => {
    expect(pageToOpen(PAGE)).toBe(PAGE);
    expect(pageToOpen('http://localhost:8080/callback')).toBe('http://localhost:8080/callback');
    for (const url of [
      'javascript:alert(1)',
      'file:///etc/passwd',
      'ftp://example.com/x',
      'https://example.com/a b',
      'https://example.com/\nAccept to continue',
      'https://example.com/\u202eevil',
      'not a url',
      42,
      undefined,
    ])
      expect(pageToOpen(url)).toBeNull();
    expect(mcpRequestAsk(request(PAGE))).toBeInstanceOf(McpPageRequest);
    expect(mcpRequestAsk(request('javascript:alert(1)'))).toBeNull();
    expect(mcpRequestAsk(request(undefined))).toBeNull();
    expect(mcpRequestAsk({ ...request(undefined, 'form'), requested_schema: DEPLOY_FORM })).toBeInstanceOf(McpInputForm);
    expect(mcpRequestAsk({ ...request(undefined, 'tty'), requested_schema: DEPLOY_FORM })).toBeNull();
  });
});
