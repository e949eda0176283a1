import { describe, expect, it } from 'vitest';
import { approvalSecretProblem, ConfigError, loadConfig } from './config.ts';

describe('the MCP settings of the config', () => {
  it('defaults: no extra hosts or origins, sessions idle for 30 minutes expire', () => {
    expect(loadConfig({})).toMatchObject({ mcpAllowedHosts: [], mcpAllowedOrigins: [], mcpSessionTtlMs: 30 * 60_000 });
  });

  it('reads comma-separated lists, trimmed, and * as such', () => {
    const config = loadConfig({
      MISSION_MCP_ALLOWED_HOSTS: ' mission-api , proxy.internal:8080,',
      MISSION_MCP_ALLOWED_ORIGINS: 'https://inspector.example.com,*',
      MISSION_MCP_SESSION_TTL_MS: '60000',
    });
    expect(config).toMatchObject({
      mcpAllowedHosts: ['mission-api', 'proxy.internal:8080'],
      mcpAllowedOrigins: ['https://inspector.example.com', '*'],
      mcpSessionTtlMs: 60_000,
    });
  });

  it('refuses what is not a host name, an origin or a sane TTL, naming the variable', () => {
    expect(() => loadConfig({ MISSION_MCP_ALLOWED_HOSTS: 'bad host' })).toThrow(
      /MISSION_MCP_ALLOWED_HOSTS: a comma-separated list of host names/,
    );
    expect(() => loadConfig({ MISSION_MCP_ALLOWED_ORIGINS: 'inspector.example.com' })).toThrow(
      /MISSION_MCP_ALLOWED_ORIGINS: a comma-separated list of origins/,
    );
    expect(() => loadConfig({ MISSION_MCP_SESSION_TTL_MS: '10' })).toThrow(ConfigError);
  });
});

describe("how often an agent's claude reports its cost", () => {
  it('every 5 s by default; 0 turns it off; a shorter period than a second is refused, naming the variable', () => {
    expect(loadConfig({}).costReportMs).toBe(5_000);
    expect(loadConfig({ MISSION_COST_REPORT_MS: '0' }).costReportMs).toBe(0);
    expect(loadConfig({ MISSION_COST_REPORT_MS: '1000' }).costReportMs).toBe(1_000);
    expect(() => loadConfig({ MISSION_COST_REPORT_MS: '50' })).toThrow(/MISSION_COST_REPORT_MS: 0 \(off\) or at least 1000/);
  });
});

describe('the approval link secret', () => {
  it('accepts 32+ random characters and refuses a missing, short or placeholder one, saying how to make a good one', () => {
    expect(approvalSecretProblem('Zq3v9Yc1mN8xR2tL6pW0bH4kJ7sD5fGa')).toBeUndefined();
    expect(approvalSecretProblem(undefined)).toMatch(/^MISSION_APPROVAL_SECRET is not set.*openssl rand -base64 48/);
    expect(approvalSecretProblem('short-but-random-9f2c')).toMatch(/^MISSION_APPROVAL_SECRET has 21 characters: too short/);
    for (const placeholder of ['change-me', 'replace-me-with-a-long-random-string', 'CHANGEME-CHANGEME-CHANGEME-CHANGEME-1']) {
      expect(approvalSecretProblem(placeholder)).toMatch(/is a placeholder/);
    }
  });
});
