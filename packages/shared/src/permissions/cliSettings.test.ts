import { describe, expect, it } from 'vitest';
import { cliPermissionSettings } from './cliSettings.ts';

describe('cliPermissionSettings', () => {
  it("gives the CLI a role's allow, confirm (ask) and deny rules as its own permission settings", () => {
    const rules = { allow: ['Bash(echo:*)', 'Bash(ls:*)'], confirm: ['Edit'], deny: ['Bash(rm:*)', 'Read(*.env)'] };
    expect(cliPermissionSettings(rules)).toEqual({ permissions: { allow: ['Bash(echo:*)', 'Bash(ls:*)'], ask: ['Edit'], deny: ['Bash(rm:*)', 'Read(*.env)'] } });
    expect(cliPermissionSettings({ allow: [], confirm: [], deny: ['Bash(rm:*)'] })).toEqual({ permissions: { deny: ['Bash(rm:*)'] } });
    expect(cliPermissionSettings({ allow: [], confirm: [], deny: [] })).toEqual({});
  });
});
