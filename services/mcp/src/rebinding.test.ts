import { describe, expect, it } from 'vitest';
import { rebindingPolicy, rebindingRefusal } from './rebinding.ts';

type PolicyConfig = Parameters<typeof rebindingPolicy>[0];
const base: PolicyConfig = {
  host: '127.0.0.1',
  publicUrl: undefined,
  apiUrl: 'http://127.0.0.1:7070',
  mcpAllowedHosts: [],
  mcpAllowedOrigins: [],
};
const refused = (config: Partial<PolicyConfig>, headers: { host?: string; origin?: string }) =>
  rebindingRefusal(rebindingPolicy({ ...base, ...config }), headers);

describe('the DNS rebinding guard of /mcp', () => {
  it('answers the local names on any port', () => {
    for (const host of ['localhost:7070', '127.0.0.1:41234', '[::1]:7070', 'LOCALHOST', '127.0.0.1'])
      expect(refused({}, { host }), host).toBeUndefined();
  });

  it('refuses a rebound name, and a request without a Host', () => {
    expect(refused({}, { host: 'evil.example.com', origin: 'http://evil.example.com' })).toMatch(
      /not served under the name 'evil\.example\.com'.*MISSION_MCP_ALLOWED_HOSTS/,
    );
    expect(refused({}, { host: 'evil.example.com:7070' })).toMatch(/MISSION_MCP_ALLOWED_HOSTS/);
    expect(refused({}, {})).toMatch(/not served under the name ''/);
    expect(refused({}, { host: 'bad host' })).toMatch(/DNS rebinding/);
  });

  it('answers the names of the public URL, the API URL, HOST and MISSION_MCP_ALLOWED_HOSTS', () => {
    const config = {
      host: '10.1.2.3',
      publicUrl: 'https://mission.example.com',
      apiUrl: 'http://mission-api:7070',
      mcpAllowedHosts: ['proxy.internal'],
    };
    for (const host of ['mission.example.com', 'mission-api:7070', '10.1.2.3:7070', 'proxy.internal:8080', 'localhost:7070'])
      expect(refused(config, { host }), host).toBeUndefined();
    expect(refused(config, { host: 'other.example.com' })).toBeDefined();
  });

  it('takes no name from a HOST that binds every interface', () => {
    expect(refused({ host: '0.0.0.0' }, { host: '0.0.0.0:7070' })).toBeDefined();
    expect(refused({ host: '::' }, { host: '[::]:7070' })).toBeDefined();
    expect(refused({ host: '::1' }, { host: '[::1]:7070' })).toBeUndefined();
  });

  it('lets pages from the allowed hosts and the listed origins call it, and no others', () => {
    const host = 'localhost:7070';
    expect(refused({}, { host, origin: 'http://localhost:6274' })).toBeUndefined();
    expect(refused({}, { host, origin: 'http://evil.example.com' })).toMatch(
      /web pages from http:\/\/evil\.example\.com .*MISSION_MCP_ALLOWED_ORIGINS/,
    );
    expect(refused({}, { host, origin: 'null' })).toBeDefined();
    expect(refused({}, { host, origin: 'not a url' })).toBeDefined();
    expect(
      refused({ mcpAllowedOrigins: ['https://inspector.example.com'] }, { host, origin: 'https://inspector.example.com' }),
    ).toBeUndefined();
    expect(
      refused({ mcpAllowedOrigins: ['https://inspector.example.com'] }, { host, origin: 'http://inspector.example.com' }),
    ).toBeDefined();
  });

  it('"*" turns each check off', () => {
    expect(refused({ mcpAllowedHosts: ['*'] }, { host: 'anything.example.com' })).toBeUndefined();
    expect(refused({ mcpAllowedHosts: ['*'] }, { host: 'anything.example.com', origin: 'http://evil.example.com' })).toBeDefined();
    expect(refused({ mcpAllowedOrigins: ['*'] }, { host: 'localhost', origin: 'http://evil.example.com' })).toBeUndefined();
  });
});
