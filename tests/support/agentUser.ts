import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** A user of its own for the agents of a test (`useradd`, so the tests must run as root); `remove` deletes it. */
export interface TestAgentUser {
  name: string;
  uid: number;
  remove(): void;
}

/** Whether this process may create users and run processes as them. */
export const canSwitchUsers = process.getuid?.() === 0;

export function createAgentUser(): TestAgentUser {
  const name = `mission-t-${randomBytes(4).toString('hex')}`;
  execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name]);
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  return { name, uid, remove: () => execFileSync('userdel', [name]) };
}
