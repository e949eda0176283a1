#!/usr/bin/env bash
# `npm run test:stress`: the interactive tests on the real CLI (hooks, dialogs, Claude's questions, MCP servers' requests for input, blocked sessions, the screen driver,
# resume) RUNS times in a row (20 unless set) under MISSION_TEST_STRESS (`both` unless set: one busy process per
# core, and every claude process stopped and continued in bursts). Stops at the first run that fails.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-20}
export MISSION_TEST_STRESS=${MISSION_TEST_STRESS:-both}
for run in $(seq 1 "$runs"); do
  echo "stress run $run of $runs (MISSION_TEST_STRESS=$MISSION_TEST_STRESS)"
  npx vitest run tests/sessions-hooks.test.ts tests/session-questions.test.ts tests/session-mcp-input.test.ts tests/sessions-e2e.test.ts tests/session-resume.test.ts tests/blocking-dialog.test.ts "$@"
done
echo "$runs runs in a row passed"
