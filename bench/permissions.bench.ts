import { decide, roleRulesSchema, SHELL_LIMITS } from '@mission/contracts';
import { ownCpuMsSince } from './lib/procStat.ts';
import { splitterDecide } from './lib/splitterMatcher.ts';
import { ratio, report } from './lib/stats.ts';

/**
 * How long each command is decided over and over, per side, in rounds taken in turn: 90 ms in the quick run (three
 * rounds of 30 ms each side, interleaved), a second with `--full` (ten of 100 ms). CPU is read with microseconds
 * (`process.cpuUsage`), so a round of 30 ms holds thousands of decisions of a typical command and its CPU is read whole.
 */
const FULL = process.argv.includes('--full');
const MEASURE_MS = Number(process.env.BENCH_PERMISSIONS_MS ?? (FULL ? 1_000 : 90));
const ROUNDS = FULL ? 10 : 3;
const context = { cwd: '/work/app', home: '/home/agent' };
/** The role issue 14 was attacked with, and a few everyday rules. */
const role = roleRulesSchema.parse({
  allow: [
    'Bash(echo:*)',
    'Bash(ls:*)',
    'Bash(cat:*)',
    'Bash(grep:*)',
    'Bash(find:*)',
    'Bash(git status:*)',
    'Bash(git diff:*)',
    'Bash(head:*)',
    'Bash(tail:*)',
    'Bash(wc:*)',
    'Bash(npm test:*)',
    'Bash(npx vitest:*)',
    'Edit(src/**)',
  ],
  confirm: ['Bash(git push:*)'],
  deny: ['Bash(rm:*)', 'Read(*.env)', 'Edit(//etc/**)'],
});

const typical: [string, string][] = [
  ['npm test', 'npm test'],
  ['git status && git diff --stat | head -20', 'status, diff, head'],
  ['ls -la src/ 2>/dev/null; echo "done: $(date +%s)"', 'list, then echo with $(…)'],
  ["git commit -m \"$(cat <<'EOF'\nFix the parser\n\nIt's better now.\nEOF\n)\"", 'commit message in a heredoc'],
  ['for f in $(find . -name "*.ts"); do grep -n TODO "$f" || true; done', 'for loop over find'],
  ["find . -name '*.ts' -not -path './node_modules/*' | xargs wc -l | sort -n | tail -5", 'find | xargs wc | sort | tail'],
  ['cd packages/shared && npx vitest run src/permissions 2>&1 | tail -20', 'cd && vitest | tail'],
];

const nest = (depth: number) => `echo ${'$(echo '.repeat(depth)}x${')'.repeat(depth)}`;
const adversarial: [string, string][] = [
  ['echo $(rm -rf victims/v31)', 'issue 14: rm in $(…)'],
  ['bash -c "eval \'echo \\$(rm -rf x)\'"', 'rm in eval in bash -c'],
  [nest(SHELL_LIMITS.maxNesting - 2), `$(…) nested ${SHELL_LIMITS.maxNesting - 2} deep`],
  [nest(SHELL_LIMITS.maxNesting + 1), `$(…) nested ${SHELL_LIMITS.maxNesting + 1} deep (over the limit)`],
  [`${'echo a; '.repeat(2_000)}rm x`, '2,000 commands, then rm'],
  [`cat <<EOF > src/big.ts\n${'const x = "$HOME" + `${y}`;\n'.repeat(1_400)}EOF`, '~45 KB expanding heredoc'],
  [`echo ${'$x '.repeat(SHELL_LIMITS.maxNodes)}`, `${SHELL_LIMITS.maxNodes.toLocaleString('en')} words (over the node limit)`],
  ['echo a; '.repeat(SHELL_LIMITS.maxChars / 8 + 1), `${SHELL_LIMITS.maxChars / 1024 + 1} KB (over the length limit)`],
];

/**
 * `decide` on Bash commands, the shell analysis against the splitter it replaced, on the same
 * commands in the same run. CPU time per decision (user + system) is the figure to compare: on a shared,
 * loaded machine wall time mostly measures waiting for a core.
 */
export async function benchPermissions(): Promise<void> {
  const rows = [...typical.map((entry) => ['typical', ...entry]), ...adversarial.map((entry) => ['adversarial', ...entry])].map(
    ([kind, command, label]) => {
      const [splitter, analysis] = measurePair(
        () => splitterDecide(role, command!),
        () => decide(role, { tool: 'Bash', input: { command: command! } }, context).verdict,
      );
      return [
        `${kind}: ${label}`,
        us(splitter.cpu),
        us(analysis.cpu),
        ratio(analysis.cpu, splitter.cpu),
        us(analysis.wall),
        `${splitter.verdict} → ${analysis.verdict}`,
      ];
    },
  );
  report(
    `decide() on a Bash command: shell analysis (unbash) vs the old splitter; CPU per decision (this process's user + system), ${ROUNDS} interleaved rounds of ${MEASURE_MS / ROUNDS} ms each side`,
    ['command', 'splitter CPU', 'analysis CPU', 'analysis / splitter', 'analysis wall', 'verdict (splitter → analysis)'],
    rows,
  );
}

interface Measured {
  wall: number;
  cpu: number;
  verdict: string;
}

/**
 * Milliseconds of wall time and of CPU (this process's, all its threads: the collector's work counts) per call of each side, after a warm-up:
 * the sides take turns in short rounds so that both meet the same load on a shared machine.
 */
function measurePair(...sides: [() => string, () => string]): [Measured, Measured] {
  const totals = sides.map(() => ({ wall: 0, cpu: 0, calls: 0, verdict: '' }));
  for (const [i, call] of sides.entries()) {
    const warm = performance.now();
    while (performance.now() - warm < MEASURE_MS / ROUNDS) totals[i]!.verdict = call();
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, call] of sides.entries()) {
      const total = totals[i]!;
      const cpuStart = process.cpuUsage();
      const start = performance.now();
      while (performance.now() - start < MEASURE_MS / ROUNDS) {
        total.verdict = call();
        total.calls++;
      }
      total.wall += performance.now() - start;
      total.cpu += ownCpuMsSince(cpuStart);
    }
  }
  const per = (total: (typeof totals)[number]) => ({
    wall: total.wall / total.calls,
    cpu: total.cpu / total.calls,
    verdict: total.verdict,
  });
  return [per(totals[0]!), per(totals[1]!)];
}

const us = (ms: number) => (ms >= 1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(1)} µs`);
