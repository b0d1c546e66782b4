#!/usr/bin/env bash
# Drives `rmlx-host chat` in a real terminal (tmux) as a person would: ask a
# question, watch the streamed answer and its speed line, /clear, /exit.
# Usage: chat_tmux_test.sh RMLX_HOST MODEL_DIR
set -euo pipefail
host=$1 model=$2
command -v tmux >/dev/null || { echo "tmux not installed"; exit 77; }
session="rmlx-chat-$$"
log=$(mktemp)
trap 'tmux kill-session -t "$session" 2>/dev/null || true; rm -f "$log"' EXIT

tmux new-session -d -s "$session" -x 120 -y 40 \
  "$host chat --model '$model' --max-tokens 48 --threads 1; echo CHAT-EXITED-\$?; sleep 30"
wait_for() {  # pattern, seconds
  for _ in $(seq 1 $(($2 * 5))); do
    tmux capture-pane -p -t "$session" -S -200 > "$log"
    if grep -q -- "$1" "$log"; then return 0; fi
    sleep 0.2
  done
  echo "timed out waiting for: $1"; cat "$log"; return 1
}
wait_for "/help for commands" 120
tmux send-keys -t "$session" "What is the capital of France?" Enter
wait_for "tok/s\]" 120
grep -q "Paris" "$log" || { echo "answer lacks 'Paris'"; cat "$log"; exit 1; }
tmux send-keys -t "$session" "/clear" Enter
wait_for "(conversation cleared)" 20
tmux send-keys -t "$session" "/exit" Enter
wait_for "CHAT-EXITED-0" 20
echo "chat session OK"
cat "$log"
