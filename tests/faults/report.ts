import type { Invariant } from './checker.ts';
import type { PhaseReport } from './phase.ts';

const seconds = (ms: number | undefined): string => (ms === undefined ? 'never' : `${(ms / 1000).toFixed(1)} s`);

/** The results as a Markdown table (one row per fault) and the violations found, one line each. */
export function renderReport(reports: PhaseReport[], header: string): string {
  const rows = reports.map((r) => {
    const { ops, violations } = r.result;
    const byInvariant = new Map<Invariant, number>();
    for (const v of violations) byInvariant.set(v.invariant, (byInvariant.get(v.invariant) ?? 0) + 1);
    const found = [...byInvariant].map(([invariant, n]) => `${invariant} ×${n}`).join(', ') || 'none';
    return `| ${r.fault} | ${ops.total} (${ops.ok} ok, ${ops.fail} fail, ${ops.info} unknown) | ${r.result.expectedFailures} | ${found} | ${seconds(r.result.maxOverlapMs)} | ${seconds(r.recoveryMs)} |`;
  });
  const details = reports.flatMap((r) => r.result.violations.map((v) => `- ${r.fault}: **${v.invariant}** ${v.subject} — ${v.detail}`));
  return [
    header,
    '',
    '| fault | client ops | failures expected by policy | invariant violations | longest overlap | recovery |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    ...(details.length > 0 ? ['Violations:', '', ...details] : ['No invariant was violated.']),
  ].join('\n');
}

export const RESULTS_START = '<!-- fault results: written by npm run test:faults -->';
export const RESULTS_END = '<!-- end of fault results -->';

/** `document` with the text between the results markers replaced by `results`. */
export function replaceResults(document: string, results: string): string {
  const start = document.indexOf(RESULTS_START);
  const end = document.indexOf(RESULTS_END);
  if (start < 0 || end < start) throw new Error(`the document has no ${RESULTS_START} … ${RESULTS_END} section`);
  return `${document.slice(0, start + RESULTS_START.length)}\n${results}\n${document.slice(end)}`;
}
