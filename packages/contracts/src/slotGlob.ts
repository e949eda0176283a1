/** Whether a slot name matches a pattern: a slot name, or a glob with `*` (any run of characters, e.g. `worker-*`). */
export function slotMatches(pattern: string, slot: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`).test(slot);
}
