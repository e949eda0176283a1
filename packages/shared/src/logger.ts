import { pino, type Logger } from 'pino';
import { logText } from './logText.ts';

export type { Logger };

/**
 * Mission's logger: JSON lines (pino) when stdout is a pipe or a file, for log collectors; lines for people when it is
 * a terminal (colored unless NO_COLOR is set).
 */
export function createLogger(options: { level: string; name?: string }): Logger {
  const settings = { level: options.level, ...(options.name ? { name: options.name } : {}) };
  if (!process.stdout.isTTY) return pino(settings);
  const color = !process.env.NO_COLOR;
  return pino(settings, { write: (line: string) => void process.stdout.write(`${logText(JSON.parse(line) as Record<string, unknown>, color)}\n`) });
}
