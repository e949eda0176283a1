import { describe, expect, it } from 'vitest';
import { type CookieRequest, cookieOriginProblem } from './cookieOrigin.ts';

const base: CookieRequest = {
  method: 'POST',
  websocket: false,
  origin: undefined,
  referer: undefined,
  host: 'mission.internal:3000',
  publicUrl: undefined,
  allowedOrigins: [],
};
const problem = (over: Partial<CookieRequest>) => cookieOriginProblem({ ...base, ...over });

describe('the Origin check of cookie-signed requests', () => {
  it('reads pass from anywhere; writes and the WebSocket are checked', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS']) expect(problem({ method, origin: 'https://evil.example' })).toBeUndefined();
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'delete'])
      expect(problem({ method, origin: 'https://evil.example' })).toMatch(/came from https:\/\/evil\.example \(Origin\)/);
    expect(problem({ method: 'GET', websocket: true, origin: 'https://evil.example' })).toMatch(/^the attach WebSocket signed in/);
  });

  it("the API's own origin: the Host the browser addressed (any scheme), or MISSION_PUBLIC_URL behind a proxy", () => {
    expect(problem({ origin: 'http://mission.internal:3000' })).toBeUndefined();
    expect(problem({ origin: 'https://mission.internal:3000' })).toBeUndefined();
    expect(problem({ origin: 'http://mission.internal:3001' })).toBeDefined();
    expect(problem({ origin: 'https://mission.example.com', publicUrl: 'https://mission.example.com/base' })).toBeUndefined();
    expect(problem({ origin: 'https://mission.example.com:8443', publicUrl: 'https://mission.example.com' })).toBeDefined();
    expect(problem({ host: 'mission.example.com', origin: 'http://mission.example.com' })).toBeUndefined();
  });

  it('Referer stands in for a missing Origin; neither, an opaque or a garbled one is refused', () => {
    expect(problem({ referer: 'http://mission.internal:3000/console/tasks?x=1' })).toBeUndefined();
    expect(problem({ referer: 'https://evil.example/' })).toMatch(/\(Referer\)/);
    expect(problem({})).toMatch(/must say where it comes from/);
    expect(problem({ origin: 'null' })).toMatch(/came from 'null'/);
    expect(problem({ origin: 'file:///etc/passwd' })).toBeDefined();
  });

  it('MISSION_ALLOWED_ORIGINS are trusted exactly', () => {
    expect(problem({ origin: 'https://console.example.com', allowedOrigins: ['https://console.example.com'] })).toBeUndefined();
    expect(problem({ origin: 'https://console.example.com.evil.example', allowedOrigins: ['https://console.example.com'] })).toBeDefined();
  });
});
