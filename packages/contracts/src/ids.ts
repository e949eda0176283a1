import { randomBytes } from 'node:crypto';

const alphabet = '0123456789abcdefghijklmnopqrstuv'; // the digits of base 32, as Number#toString(32) writes them

/** A short, time-ordered, prefixed id such as `task_1jb0s6ho0k4u2mc9vf1a3d`. */
export function newId(prefix: 'task' | 'ses' | 'evt' | 'appr' | 'tok' | 'msg' | 'ntf' | 'rcpt'): string {
  const time = Date.now().toString(32).padStart(9, '0');
  const random = Array.from(randomBytes(10), (byte) => alphabet[byte % 32]).join('');
  return `${prefix}_${time}${random}`;
}
