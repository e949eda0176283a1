import { ElicitRequestFormParamsSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { toolUseDecisionOf, toolUseForm } from './toolUseForm.ts';

describe('toolUseForm', () => {
  it('says what Claude wants to use, with its input and the rule that asks, and offers allow or refuse with a reason; the SDK takes it', () => {
    const form = toolUseForm({ tool: 'Write', input: { file_path: 'notes.txt', content: 'hi' }, rule: 'Edit' }, 'writer');
    expect(ElicitRequestFormParamsSchema.parse(form)).toEqual(form);
    expect(form.message).toBe(
      'Claude, working on your ask on slot writer, wants to use Write (the rule Edit asks a person): {"file_path":"notes.txt","content":"hi"}. Allow it?',
    );
    expect(form.requestedSchema).toEqual({
      type: 'object',
      properties: {
        decision: {
          type: 'string',
          title: 'Your decision',
          oneOf: [
            { const: 'allow', title: 'Allow Write' },
            { const: 'deny', title: 'Refuse Write' },
          ],
        },
        reason: { type: 'string', title: 'Why (if you refuse)', description: 'Claude reads it' },
      },
      required: ['decision'],
    });
  });

  it('says why a person is asked when no rule did, and shows a long input cut', () => {
    const form = toolUseForm({ tool: 'Bash', input: { command: 'x'.repeat(1_000) }, rule: null, why: 'no rule allows it' }, 'default');
    expect(form.message).toMatch(
      /^Claude, working on your ask on slot default, wants to use Bash \(no rule allows it\): \{"command":"x+…\. Allow it\?$/,
    );
    expect(form.message.length).toBeLessThan(520);
  });
});

describe('toolUseDecisionOf', () => {
  it('accepted: the choice decides, a refusal with the reason Claude reads; declined: refused; dismissed: nothing decided', () => {
    expect(toolUseDecisionOf({ action: 'accept', content: { decision: 'allow' } })).toEqual({ allow: true });
    expect(toolUseDecisionOf({ action: 'accept', content: { decision: 'deny', reason: ' not on a Friday ' } })).toEqual({
      deny: 'The person at the asker refused it: not on a Friday',
    });
    expect(toolUseDecisionOf({ action: 'accept', content: { decision: 'deny' } })).toEqual({ deny: 'The person at the asker refused it.' });
    expect(toolUseDecisionOf({ action: 'decline' })).toEqual({ deny: 'The person at the asker refused it.' });
    expect(toolUseDecisionOf({ action: 'cancel' })).toBeNull();
  });
});
