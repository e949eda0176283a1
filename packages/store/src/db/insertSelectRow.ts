import { getTableColumns, is, SQL, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';

/**
 * One row of `table` as the select list of an `insert … select` (drizzle's `insert().select(sql)` lists every
 * column of the table): each value given, cast to its column's type (a parameter of a select has none of its own),
 * and each column left out given what an insert's `values` would give it — its default function's value, its
 * default, or null. So an insert can be made conditional (`… select <row> from … where …`) and stay one statement.
 */
export function insertSelectRow(table: PgTable, values: Record<string, unknown>): SQL {
  const items = Object.entries(getTableColumns(table))
    // As drizzle's insert lists them: without the generated columns (`Column.shouldDisableInsert`, internal).
    .filter(([, column]) => column.generated === undefined || column.generated.type === 'byDefault')
    .map(([key, column]) => {
      const value = values[key] !== undefined ? values[key] : column.defaultFn ? column.defaultFn() : column.default;
      if (is(value, SQL)) return value;
      return sql`${value === undefined ? null : sql.param(value, column)}::${sql.raw(column.getSQLType())}`;
    });
  return sql.join(items, sql`, `);
}
