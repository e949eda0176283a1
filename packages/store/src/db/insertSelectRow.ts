import { type Column, getTableColumns, is, SQL, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';

/**
 * One row of `table` as the select list of an `insert … select` (drizzle's `insert().select(sql)` lists every
 * column of the table), for a statement built once and run many times (`.prepare()`): each column of `keys` is the
 * placeholder of its key, cast to the column's type (a parameter of a select has no type of its own), and each other
 * column gets what an insert's `values` would give it (its default, or null). `values` answers the placeholders for a
 * row: its values as the driver takes them, a column's default for one left undefined. So an insert can be made
 * conditional (`… select <row> from … where …`) and stay one statement.
 */
export function insertSelectRow<T extends PgTable>(
  table: T,
  keys: readonly (keyof T['$inferInsert'] & string)[],
): { select: SQL; values(row: Partial<T['$inferInsert']>): Record<string, unknown> } {
  const named = new Set<string>(keys);
  // As drizzle's insert lists them: without the generated columns (`Column.shouldDisableInsert`, internal).
  const columns = Object.entries(getTableColumns(table)).filter(
    ([, column]) => column.generated === undefined || column.generated.type === 'byDefault',
  );
  const items = columns.map(([key, column]) => {
    if (named.has(key)) return sql`${sql.placeholder(key)}::${sql.raw(column.getSQLType())}`;
    if (column.defaultFn) throw new Error(`insertSelectRow: ${key} has a default function, so it must be one of the keys`);
    if (is(column.default, SQL)) return column.default;
    return sql`${column.default === undefined ? null : sql.param(column.default, column)}::${sql.raw(column.getSQLType())}`;
  });
  const byKey = new Map<string, Column>(columns);
  return {
    select: sql.join(items, sql`, `),
    values: (row) =>
      Object.fromEntries(
        keys.map((key) => {
          const column = byKey.get(key)!;
          const given = (row as Record<string, unknown>)[key];
          const value = given !== undefined ? given : column.defaultFn ? column.defaultFn() : column.default;
          if (is(value, SQL)) throw new Error(`insertSelectRow: ${key} needs a value (its default is an SQL expression)`);
          // Not a Param's encoder: it would store a null of a json column as the JSON `null`, not as SQL NULL.
          return [key, value === undefined || value === null ? null : column.mapToDriverValue(value)];
        }),
      ),
  };
}
