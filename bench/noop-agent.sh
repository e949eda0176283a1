#!/bin/sh
# A stand-in for `claude -p --output-format stream-json`: reads the prompt, answers at once.
cat >/dev/null
echo '{"type":"system","subtype":"init","session_id":"noop"}'
echo '{"type":"assistant","message":{"role":"assistant","content":[{"type":"text","text":"ok"}]}}'
echo '{"type":"result","subtype":"success","is_error":false,"result":"ok","session_id":"noop","total_cost_usd":0,"usage":{"input_tokens":1,"output_tokens":1},"duration_ms":0,"num_turns":1}'
