/** One word of a simple command, evaluated as far as its text allows. */
export interface Arg {
  /** After quote removal; a run-time part is {@link HOLE}, an unquoted glob or brace stays as written. */
  value: string;
  /** As written. */
  raw: string;
  /** Whether the value is only known at run time (an expansion, a substitution, a glob, a brace list). */
  varies: boolean;
  /** Whether it may become several words at run time (an unquoted expansion, glob or brace list). */
  splits: boolean;
  /** The start of the value known for certain (all of it when nothing varies). */
  fixed: string;
  /** As a path glob: `*` wherever the value is only known at run time. */
  glob: string;
}

/** A word known in full as written (no quotes, expansions or globs). */
export function literalArg(text: string): Arg {
  return { value: text, raw: text, varies: false, splits: false, glob: text.replace(/[*?[]/g, '?'), fixed: text };
}
