#!/bin/sh
# A stand-in for `claude -p --output-format stream-json`: reads the prompt, answers at once.
# The session id it reports is the one `--session-id` gave it, as the CLI's is.
session="noop"
while [ "$#" -gt 0 ]; do
  if [ "$1" = "--session-id" ] && [ "$#" -gt 1 ]; then session="$2"; fi
  shift
done
cat >/dev/null
echo '{"type":"system","subtype":"init","session_id":"'"$session"'"}'
echo '{"type":"assistant","message":{"role":"assistant","content":[{"type":"text","text":"ok"}]}}'
echo '{"type":"result","subtype":"success","is_error":false,"result":"ok","session_id":"'"$session"'","total_cost_usd":0,"usage":{"input_tokens":1,"output_tokens":1},"duration_ms":0,"num_turns":1}'
