/** pino's numeric levels by name, for people. */
const LEVELS: Record<number, { name: string; color: number }> = {
  10: { name: 'TRACE', color: 90 },
  20: { name: 'DEBUG', color: 36 },
  30: { name: 'INFO', color: 32 },
  40: { name: 'WARN', color: 33 },
  50: { name: 'ERROR', color: 31 },
  60: { name: 'FATAL', color: 35 },
};
/** Fields every line has, shown in their own place or not at all. */
const SHOWN_APART = new Set(['level', 'time', 'msg', 'name', 'pid', 'hostname', 'err']);

/**
 * One pino JSON log record as a line for a terminal: `12:01:02.345 INFO  mission: storage ready database=… kind=pglite`,
 * an error's stack indented under it; the level colored when `color`.
 */
export function logText(record: Record<string, unknown>, color: boolean): string {
  const level = LEVELS[Number(record.level)] ?? { name: String(record.level), color: 0 };
  const time = typeof record.time === 'number' ? new Date(record.time).toISOString().slice(11, 23) : '';
  const levelText = color ? `\x1b[${level.color}m${level.name.padEnd(5)}\x1b[39m` : level.name.padEnd(5);
  const fields = Object.entries(record)
    .filter(([key]) => !SHOWN_APART.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' && !/\s/.test(value) ? value : JSON.stringify(value)}`);
  const err = record.err as { message?: unknown; stack?: unknown } | undefined;
  const stack = typeof err?.stack === 'string' ? `\n    ${err.stack.split('\n').join('\n    ')}` : '';
  const head = [time, levelText, `${record.name ? `${String(record.name)}: ` : ''}${String(record.msg ?? '')}`].filter(Boolean).join(' ');
  return `${[head, ...fields].join(' ')}${stack}`;
}
