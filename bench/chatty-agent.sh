#!/bin/sh
# A stand-in for `claude -p --output-format stream-json` that talks a lot: once the file CHATTY_GO exists
# (the benchmark creates it when its event-stream subscribers are connected), CHATTY_MESSAGES assistant
# messages CHATTY_GAP seconds apart, then the result.
# The session id it reports is the one `--session-id` gave it, as the CLI's is.
session="chatty"
while [ "$#" -gt 0 ]; do
  if [ "$1" = "--session-id" ] && [ "$#" -gt 1 ]; then session="$2"; fi
  shift
done
cat >/dev/null
echo '{"type":"system","subtype":"init","session_id":"'"$session"'"}'
while [ ! -e "$CHATTY_GO" ]; do sleep 0.05; done
i=0
while [ "$i" -lt "${CHATTY_MESSAGES:-200}" ]; do
  echo "{\"type\":\"assistant\",\"message\":{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"message $i\"}]}}"
  sleep "${CHATTY_GAP:-0.02}"
  i=$((i + 1))
done
echo '{"type":"result","subtype":"success","is_error":false,"result":"done","session_id":"'"$session"'","total_cost_usd":0,"usage":{"input_tokens":1,"output_tokens":1},"duration_ms":0,"num_turns":1}'
