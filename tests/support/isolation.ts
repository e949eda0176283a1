import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { inject } from 'vitest';
import { withDatabase } from './globalSetup.ts';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database cloned from the run's template: one per test file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('adminDatabaseUrl');
  const template = inject('templateDatabase');
  const name = `${template.replace(/_template$/, '')}_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, {
    max: 1,
    onnotice: () => {
      /* notices ("does not exist, skipping") are no news */
    },
  });
  try {
    await admin.unsafe(`create database ${name} template ${template}`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(adminUrl, name),
    async drop() {
      const sql = postgres(adminUrl, {
        max: 1,
        onnotice: () => {
          /* notices ("does not exist, skipping") are no news */
        },
      });
      await sql.unsafe(`drop database if exists ${name} with (force)`);
      await sql.end();
    },
  };
}

/** A queue prefix (and so channel namespace) of its own, so tests never overhear each other in Redis. */
export function uniquePrefix(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

export const redisUrl = (): string => inject('redisUrl');
