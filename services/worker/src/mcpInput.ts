import {
  BadRequestError,
  type DialogReply,
  isRecord,
  offeredOptions,
  PICK_ANY_HINT,
  type QuestionDialog,
  textOr,
  windowMinutes,
} from '@mission/contracts';
import { elicitationAnswer, type HookInputOf } from './hooks/hookPayloads.ts';
import type { PersonAsk } from './claudeQuestions.ts';

/*
 * An MCP server's request for input (MCP elicitation) in a session, as the CLI's Elicitation hook gives it: a form
 * (form mode) put to the session's person as `mcp_input` dialogs, one at a time — first the request (fill it in, or
 * decline), then each field — or a page to open (URL mode: accept or decline), and answered back through the hook, so
 * nothing is typed into the CLI's own dialog. Pure.
 * Seen on Claude Code 2.1.332: the hook's `{action: "accept", content}` answers the server with no dialog drawn.
 */

/** One field of the form, as Mission asks it. */
interface Field {
  name: string;
  title: string;
  description: string;
  required: boolean;
  /** `choice`: one of `choices`; `choices`: any of them; `text`, `number`, `integer`: typed; `boolean`: yes or no. */
  type: 'choice' | 'choices' | 'boolean' | 'text' | 'number' | 'integer';
  choices: { value: string; label: string }[];
  minimum?: number;
  maximum?: number;
}

const number = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

/** The choices of an enum (`enum` with `enumNames`, or `oneOf`/`anyOf` of `{const, title}`), or null. */
function choicesOf(schema: Record<string, unknown>): Field['choices'] | null {
  if (Array.isArray(schema.enum) && schema.enum.every((value) => typeof value === 'string')) {
    const names = Array.isArray(schema.enumNames) ? schema.enumNames : [];
    return schema.enum.map((value, i) => ({ value, label: textOr(names[i]) || value }));
  }
  const titled = Array.isArray(schema.oneOf) ? schema.oneOf : Array.isArray(schema.anyOf) ? schema.anyOf : null;
  if (!titled?.every((choice) => isRecord(choice) && typeof choice.const === 'string')) return null;
  return (titled as Record<string, unknown>[]).map((choice) => ({
    value: choice.const as string,
    label: textOr(choice.title) || (choice.const as string),
  }));
}

/** One property of the requested schema as a field, or null for a shape MCP's forms do not have. */
function fieldOf(name: string, schema: unknown, required: boolean): Field | null {
  if (!isRecord(schema)) return null;
  const base = { name, title: textOr(schema.title) || name, description: textOr(schema.description), required, choices: [] };
  if (schema.type === 'boolean')
    return {
      ...base,
      type: 'boolean',
      choices: [
        { value: 'true', label: 'Yes' },
        { value: 'false', label: 'No' },
      ],
    };
  if (schema.type === 'number' || schema.type === 'integer')
    return { ...base, type: schema.type, minimum: number(schema.minimum), maximum: number(schema.maximum) };
  if (schema.type === 'array') {
    const choices = isRecord(schema.items) ? choicesOf(schema.items) : null;
    return choices ? { ...base, type: 'choices', choices } : null;
  }
  if (schema.type !== 'string') return null;
  const choices = choicesOf(schema);
  return choices ? { ...base, type: 'choice', choices } : { ...base, type: 'text' };
}

/** The fields of an MCP form's requested schema, in order, or null when it is not a form Mission can put to a person. */
export function formFields(schema: unknown): Field[] | null {
  if (!isRecord(schema) || !isRecord(schema.properties)) return null;
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  const fields = Object.entries(schema.properties).map(([name, property]) => fieldOf(name, property, required.has(name)));
  return fields.every((field) => field !== null) ? fields : null;
}

const LEAVE_UNSET = { key: '0', label: 'Leave it unset' };
/** The hook's answer that cancels an MCP server's request: the person interrupted, or nobody answered. */
const CANCELLED = elicitationAnswer({ action: 'cancel' });

/**
 * What Mission asks the person for an Elicitation call: its form (form mode, the default) or its page (URL mode), or
 * null for one it leaves to the CLI's own dialog (a field of a shape MCP's forms do not have, a page that is not http(s)).
 */
export function mcpRequestAsk(request: HookInputOf<'Elicitation'>): PersonAsk | null {
  if (request.mode === 'url') {
    const page = pageToOpen(request.url);
    return page ? new McpPageRequest(request.mcp_server_name, request.message, page) : null;
  }
  if ((request.mode ?? 'form') !== 'form') return null;
  const fields = formFields(request.requested_schema);
  return fields ? new McpInputForm(request.mcp_server_name, request.message, fields) : null;
}

/** An MCP server's form, asked of the session's person one dialog at a time. */
export class McpInputForm implements PersonAsk {
  readonly withdrawInterrupts = false;
  /** The field asked now; -1: the request itself (fill it in, or decline). */
  private step = -1;
  private readonly content: Record<string, string | number | boolean | string[]> = {};

  constructor(
    private readonly server: string,
    private readonly message: string,
    private readonly fields: readonly Field[],
  ) {}

  get dialog(): QuestionDialog {
    const field = this.fields[this.step];
    if (!field) {
      const listed = this.fields.map((each) => `${each.title} (${each.required ? 'required' : 'optional'})`).join(', ');
      return this.shown(`MCP server “${this.server}” asks for input: ${this.message}\nFields: ${listed || 'none'}`, [
        { key: '1', label: this.fields.length > 0 ? 'Fill it in' : 'Accept' },
        { key: '2', label: 'Decline' },
      ]);
    }
    const lines = [
      `MCP server “${this.server}”: ${field.title} (field ${this.step + 1} of ${this.fields.length}, ${field.required ? 'required' : 'optional'})`,
      ...(field.description ? [field.description] : []),
      hintFor(field),
    ];
    const options = field.choices.map((choice, i) => ({ key: String(i + 1), label: choice.label }));
    return this.shown(lines.join('\n'), field.required ? options : [...options, LEAVE_UNSET]);
  }

  answer(reply: DialogReply): object | null {
    const field = this.fields[this.step];
    if (!field) {
      const key = 'option' in reply ? reply.option : null;
      if (key === '2') return elicitationAnswer({ action: 'decline' });
      if (key !== '1')
        throw new BadRequestError(`the MCP server's request takes 1 (fill it in) or 2 (decline), not ${JSON.stringify(reply)}`);
    } else {
      const value = valueOf(field, reply, () => offeredOptions(this.dialog.options));
      if (value !== undefined) this.content[field.name] = value;
    }
    this.step++;
    return this.step < this.fields.length ? null : elicitationAnswer({ action: 'accept', content: this.content });
  }

  readonly withdrawn = CANCELLED;

  unanswered(windowMs: number): { answer: object; notice: { kind: string; text: string } } {
    return cancelledUnanswered(this.server, windowMs);
  }

  private shown(text: string, options: QuestionDialog['options']): QuestionDialog {
    return mcpInputDialog(text, options);
  }
}

/**
 * A page an MCP server asks the person to open (URL mode: a sign-in, a payment), as one `mcp_input` dialog: the page's
 * address, and accept (the person opens it themselves: Mission opens nothing) or decline. What Claude Code's own
 * dialog offers on a machine without a browser ("Accept", "Decline"), answered the same way through the hook.
 */
export class McpPageRequest implements PersonAsk {
  readonly withdrawInterrupts = false;
  readonly withdrawn = CANCELLED;
  readonly dialog: QuestionDialog;

  constructor(
    private readonly server: string,
    message: string,
    url: string,
  ) {
    // The server's message on one line, so that no line of it passes for the page's address on the next.
    const said = message.replace(/[\s\p{C}]+/gu, ' ').trim();
    this.dialog = mcpInputDialog(
      `MCP server “${server}” asks you to open a page: ${said}\n${url}\nOpen it yourself (Mission opens nothing), then accept; or decline.`,
      [
        { key: '1', label: 'Accept' },
        { key: '2', label: 'Decline' },
      ],
    );
  }

  answer(reply: DialogReply): object {
    const key = 'option' in reply ? reply.option : null;
    if (key === '1') return elicitationAnswer({ action: 'accept' });
    if (key === '2') return elicitationAnswer({ action: 'decline' });
    throw new BadRequestError(`the MCP server's page takes 1 (accept) or 2 (decline), not ${JSON.stringify(reply)}`);
  }

  unanswered(windowMs: number): { answer: object; notice: { kind: string; text: string } } {
    return cancelledUnanswered(this.server, windowMs);
  }
}

/**
 * The page of a URL-mode request as Mission shows it, or null when it is not one to show a person: only an http(s)
 * address, in one line of visible characters (no control character or blank could make the dialog's text say more than
 * the server's page). Those are left to the CLI's own dialog, which refuses to open what is not http(s) itself.
 */
export function pageToOpen(url: unknown): string | null {
  if (typeof url !== 'string' || !URL.canParse(url) || /[\s\p{C}]/u.test(url)) return null;
  const { protocol } = new URL(url);
  return protocol === 'https:' || protocol === 'http:' ? url : null;
}

/** The hook's answer when nobody answered MCP server `server` within `windowMs`: the request cancelled, with a notice. */
function cancelledUnanswered(server: string, windowMs: number): { answer: object; notice: { kind: string; text: string } } {
  return {
    answer: CANCELLED,
    notice: {
      kind: 'input_unanswered',
      text: `nobody answered MCP server “${server}” within ${windowMinutes(windowMs)} min: its request was cancelled`,
    },
  };
}

function mcpInputDialog(text: string, options: QuestionDialog['options']): QuestionDialog {
  return { kind: 'mcp_input', text, options, numbered: true, selected: null };
}

/** What a typed field takes: `words`, or a number and its bounds ("a whole number from 1 to 5"). */
function typedAs(field: Field): string {
  if (field.type === 'text') return 'words';
  const bounds = [field.minimum !== undefined ? ` from ${field.minimum}` : '', field.maximum !== undefined ? ` to ${field.maximum}` : ''];
  return `${field.type === 'integer' ? 'a whole number' : 'a number'}${bounds.join('')}`;
}

/** What a field takes, as its dialog says. */
function hintFor(field: Field): string {
  if (field.type === 'choices') return `${PICK_ANY_HINT}.`;
  if (field.type === 'choice' || field.type === 'boolean') return 'Pick one of its options.';
  return `Answer with text: ${typedAs(field)}.`;
}

/** The value `reply` gives `field` (undefined: left unset), or a 400 naming what it takes. */
function valueOf(field: Field, reply: DialogReply, offered: () => string): string | number | boolean | string[] | undefined {
  if ('option' in reply && reply.option === '0' && !field.required) return undefined;
  if (field.type === 'text' || field.type === 'number' || field.type === 'integer') {
    if (!('text' in reply)) throw new BadRequestError(`${field.title} takes text (${typedAs(field)}), not an option`);
    if (field.type === 'text') return reply.text;
    const value = Number(reply.text);
    const fits =
      Number.isFinite(value) &&
      (field.type === 'number' || Number.isInteger(value)) &&
      (field.minimum === undefined || value >= field.minimum) &&
      (field.maximum === undefined || value <= field.maximum);
    if (!fits) throw new BadRequestError(`${field.title} takes ${typedAs(field)}, not '${reply.text}'`);
    return value;
  }
  if (!('option' in reply)) throw new BadRequestError(`${field.title} takes one of its options (${offered()}), not words`);
  const keys = [...new Set(reply.option.split(','))];
  if (keys.length > 1 && field.type !== 'choices')
    throw new BadRequestError(`${field.title} takes one option, not ${keys.length}; it offers ${offered()}`);
  const picked = keys.map((key) => {
    const choice = field.choices[Number(key) - 1];
    if (!choice) throw new BadRequestError(`${field.title} has no option '${key}'; it offers ${offered()}`);
    return choice.value;
  });
  if (field.type === 'choices') return picked;
  return field.type === 'boolean' ? picked[0] === 'true' : picked[0]!;
}
