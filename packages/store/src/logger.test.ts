import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactUrl } from './logger.ts';

describe('log redaction', () => {
  it('keeps tokens out of every log line: query tokens, Authorization, cookies, token fields', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) });
    const logger = createLogger({ level: 'info', name: 't' }, sink);
    logger.info(
      {
        req: {
          method: 'GET',
          url: '/v1/sessions/ses_1/attach?access_token=msn.tok_1.SECRET1',
          headers: { authorization: 'Bearer SECRET2', cookie: 'mission_token=SECRET3' },
        },
      },
      'incoming request',
    );
    logger.info({ headers: { authorization: 'Bearer SECRET4' }, grant: { token: 'SECRET5' } }, 'other');
    const text = lines.join('');
    expect(text).not.toMatch(/SECRET/);
    expect(text).toContain('/v1/sessions/ses_1/attach?access_token=[redacted]');
    expect(redactUrl('/approvals/x?a=1&token=abc&b=2')).toBe('/approvals/x?a=1&token=[redacted]&b=2');
    // A database's or Redis's password in the URL (logged when storage is ready).
    expect(redactUrl('postgres://mission:s3cret@postgres:5432/mission')).toBe('postgres://mission:[redacted]@postgres:5432/mission');
    expect(redactUrl('redis://:s3cret@127.0.0.1:6379')).toBe('redis://:[redacted]@127.0.0.1:6379');
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });
});
