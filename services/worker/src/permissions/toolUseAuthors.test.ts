import { describe, expect, it } from 'vitest';
import { ToolUseAuthors } from './toolUseAuthors.ts';

const agent = { id: 'a1', type: 'general-purpose' };

describe('ToolUseAuthors', () => {
  it("tells a subagent's tool use once, and nothing for one never told (Claude's own)", () => {
    const authors = new ToolUseAuthors();
    authors.note('toolu_1', agent);
    expect(authors.take('toolu_2')).toBeUndefined();
    expect(authors.take(undefined)).toBeUndefined();
    expect(authors.take('toolu_1')).toEqual(agent);
    expect(authors.take('toolu_1')).toBeUndefined();
  });

  it("hears a subagent's PreToolUse, not Claude's own nor another event's", () => {
    const authors = new ToolUseAuthors();
    const common = { session_id: 's', tool_name: 'Write', tool_input: {} };
    authors.heard({ ...common, hook_event_name: 'PreToolUse', tool_use_id: 'toolu_claude' });
    authors.heard({ ...common, hook_event_name: 'PreToolUse', tool_use_id: 'toolu_agent', agent_id: 'a1', agent_type: 'general-purpose' });
    authors.heard({ ...common, hook_event_name: 'PostToolUse', tool_use_id: 'toolu_after', tool_response: {}, agent_id: 'a1' });
    expect(authors.take('toolu_claude')).toBeUndefined();
    expect(authors.take('toolu_agent')).toEqual(agent);
    expect(authors.take('toolu_after')).toBeUndefined();
  });

  it('keeps the 256 tool uses told last: the oldest, allowed without a prompt, are let go first', () => {
    const authors = new ToolUseAuthors();
    for (let n = 0; n <= 256; n++) authors.note(`toolu_${n}`, { id: `a${n}` });
    expect(authors.take('toolu_0')).toBeUndefined();
    expect(authors.take('toolu_1')).toEqual({ id: 'a1' });
    expect(authors.take('toolu_256')).toEqual({ id: 'a256' });
  });

  it('a tool use told again is the newest: it outlives those told after it first was', () => {
    const authors = new ToolUseAuthors();
    authors.note('toolu_again', agent);
    for (let n = 0; n < 255; n++) authors.note(`toolu_${n}`, { id: `a${n}` });
    authors.note('toolu_again', agent);
    authors.note('toolu_last', agent);
    expect(authors.take('toolu_again')).toEqual(agent);
    expect(authors.take('toolu_0')).toBeUndefined();
  });
});
