import type { ClaudeQuestion, DialogReply } from '@mission/contracts';
import type {
  ClientCapabilities,
  ElicitRequestFormParams,
  ElicitResult,
  PrimitiveSchemaDefinition,
} from '@modelcontextprotocol/sdk/types.js';

/*
 * Claude's questions (its AskUserQuestion tool) as an MCP elicitation form, and the person's form back as the answers
 * an approval takes. Pure. Each question is two fields: its options (numbered from 1, as everywhere in Mission; several
 * may be picked where the question lets them) and an answer in the person's own words, which wins when both are given.
 */

/** Whether a client puts forms to its person (`elicitation: {}` is a form, as the spec's first version had only forms). */
export function takesFormElicitation(capabilities: ClientCapabilities | undefined): boolean {
  const elicitation = capabilities?.elicitation;
  return elicitation !== undefined && (elicitation.form !== undefined || Object.keys(elicitation).length === 0);
}

const optionsField = (index: number) => `q${index + 1}`;
const wordsField = (index: number) => `q${index + 1}_words`;

/** The form that puts `questions`, which a task's Claude on `slot` asks, to the person at the asker's client. */
export function questionsForm(questions: readonly ClaudeQuestion[], slot: string): ElicitRequestFormParams {
  const properties: Record<string, PrimitiveSchemaDefinition> = {};
  questions.forEach((question, i) => {
    const title = question.header || `Question ${i + 1}`;
    const choices = question.options.map((option, key) => ({
      const: String(key + 1),
      title: option.description ? `${option.label}: ${option.description}` : option.label,
    }));
    properties[optionsField(i)] = question.multiSelect
      ? { type: 'array', title, description: `${question.question} (pick any)`, items: { anyOf: choices } }
      : { type: 'string', title, description: question.question, oneOf: choices };
    properties[wordsField(i)] = {
      type: 'string',
      title: `${title}: in your own words`,
      description: `Instead of an option: your answer to "${question.question}"`,
    };
  });
  const asks = questions.length === 1 ? 'a question' : `${questions.length} questions`;
  return {
    mode: 'form',
    message: `Claude, working on your ask on slot ${slot}, has ${asks} for you. Pick an option or answer in your own words; decline to let it go on with its best judgment.`,
    requestedSchema: { type: 'object', properties },
  };
}

/** What the person's form comes to: the answers, one per question in order, or a no with the reason Claude reads. */
export type FormDecision = { approve: DialogReply[] } | { deny: string };

const GO_ON = 'Go on with your best judgment and say what you assumed.';

/** The decision the person's form (`result`) makes on `questions`. */
export function decisionOf(questions: readonly ClaudeQuestion[], result: ElicitResult): FormDecision {
  if (result.action === 'decline') return { deny: `The person declined to answer your questions. ${GO_ON}` };
  if (result.action === 'cancel') return { deny: `Your questions were dismissed without an answer. ${GO_ON}` };
  const content = result.content ?? {};
  const replies = questions.map((_, i) => replyOf(content[wordsField(i)], content[optionsField(i)]));
  if (replies.every((reply) => reply !== null)) return { approve: replies };
  if (replies.every((reply) => reply === null)) return { deny: `The person gave no answer to your questions. ${GO_ON}` };
  // Some left blank: Claude hears what was answered, and which were not.
  const said = questions.map((question, i) => {
    const reply = replies[i];
    if (!reply) return `"${question.question}" was not answered`;
    return `"${question.question}"="${'text' in reply ? reply.text : labels(question, reply.option)}"`;
  });
  return { deny: `The person answered only some of your questions: ${said.join(', ')}. ${GO_ON}` };
}

/** One question's answer: its words if given, else the option(s) picked, else null (left blank). */
function replyOf(words: unknown, picked: unknown): DialogReply | null {
  if (typeof words === 'string' && words.trim() !== '') return { text: words.trim() };
  const keys = typeof picked === 'string' ? [picked] : Array.isArray(picked) ? picked.filter((key) => typeof key === 'string') : [];
  return keys.length > 0 ? { option: keys.join(',') } : null;
}

/** The labels of the options `keys` names, as the CLI joins a pick-any's answer. */
function labels(question: ClaudeQuestion, keys: string): string {
  return keys
    .split(',')
    .map((key) => question.options[Number(key) - 1]?.label ?? key)
    .join(', ');
}
