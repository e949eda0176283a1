import { describe, expect, it } from 'vitest';
import { combineLaunches, NOTHING_TO_LAUNCH } from './cliLaunch.ts';

describe('combineLaunches', () => {
  it('gives the CLI one --mcp-config with every server and one --allowedTools, then the other arguments; the settings of all', () => {
    const prompts = {
      mcpServers: { mission_permissions: { type: 'http', url: 'http://127.0.0.1:1/${KEY}' } },
      allowedTools: [],
      settings: { hooks: { PreToolUse: [] } },
      args: ['--permission-prompt-tool', 'x'],
      env: { KEY: 'k' },
    };
    const mission = {
      mcpServers: { mission: { type: 'http', url: 'http://api/mcp' } },
      allowedTools: ['mcp__mission'],
      settings: {},
      args: [],
      env: { TOKEN: 't' },
    };
    expect(combineLaunches([prompts, mission], ['Read', 'Bash(ls)'])).toEqual({
      args: [
        '--mcp-config',
        JSON.stringify({
          mcpServers: { mission_permissions: prompts.mcpServers.mission_permissions, mission: mission.mcpServers.mission },
        }),
        '--allowedTools',
        'Read',
        'Bash(ls)',
        'mcp__mission',
        '--permission-prompt-tool',
        'x',
      ],
      env: { KEY: 'k', TOKEN: 't' },
      settings: { hooks: { PreToolUse: [] } },
    });
  });

  it('adds nothing when there is nothing to add', () => {
    expect(combineLaunches([NOTHING_TO_LAUNCH])).toEqual({ args: [], env: {}, settings: {} });
    expect(combineLaunches([NOTHING_TO_LAUNCH], ['Read'])).toEqual({ args: ['--allowedTools', 'Read'], env: {}, settings: {} });
  });
});
