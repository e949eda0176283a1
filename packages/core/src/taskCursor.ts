import { BadRequestError } from '@mission/contracts';

/** Keyset pagination cursor over (created_at, id), newest first. */
export interface TaskCursor {
  createdAt: Date;
  id: string;
}

export function encodeTaskCursor(cursor: TaskCursor): string {
  return Buffer.from(`${cursor.createdAt.toISOString()}|${cursor.id}`).toString('base64url');
}

export function decodeTaskCursor(text: string): TaskCursor {
  const [iso, id] = Buffer.from(text, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso ?? '');
  if (!id || Number.isNaN(createdAt.getTime())) throw new BadRequestError('invalid request: cursor is not one this API returned');
  return { createdAt, id };
}
