import { describe, expect, it } from 'vitest';
import { cliPermissionSettings } from './cliSettings.ts';

describe('cliPermissionSettings', () => {
  it("gives the CLI a role's allow, confirm (ask) and deny rules as its own permission settings", () => {
    const rules = { allow: ['Bash(echo:*)', 'Bash(ls:*)'], confirm: ['Edit'], deny: ['Bash(rm:*)', 'Read(*.env)'], sandbox: null };
    expect(cliPermissionSettings(rules)).toEqual({
      permissions: { allow: ['Bash(echo:*)', 'Bash(ls:*)'], ask: ['Edit'], deny: ['Bash(rm:*)', 'Read(*.env)'] },
    });
    expect(cliPermissionSettings({ allow: [], confirm: [], deny: ['Bash(rm:*)'], sandbox: null })).toEqual({
      permissions: { deny: ['Bash(rm:*)'] },
    });
    expect(cliPermissionSettings({ allow: [], confirm: [], deny: [], sandbox: null })).toEqual({});
  });

  it("turns a role's sandbox into the CLI's: no unsandboxed escape, no auto-allow, only the listed hosts", () => {
    expect(
      cliPermissionSettings({ allow: ['Bash'], confirm: [], deny: [], sandbox: { network: ['registry.npmjs.org'], writable: [] } }),
    ).toEqual({
      permissions: { allow: ['Bash'] },
      sandbox: {
        enabled: true,
        failIfUnavailable: true,
        autoAllowBashIfSandboxed: false,
        allowUnsandboxedCommands: false,
        network: { allowedDomains: ['registry.npmjs.org'] },
      },
    });
    expect(
      cliPermissionSettings({ allow: [], confirm: [], deny: [], sandbox: { network: [], writable: ['~/.cache'] } }).sandbox,
    ).toMatchObject({ network: { allowedDomains: [] }, filesystem: { allowWrite: ['~/.cache'] } });
  });
});
