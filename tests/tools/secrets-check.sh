#!/bin/sh
# Fails when a tracked file holds something shaped like a real provider key.
# Mock keys in this kit look fake on purpose ("mock-key-...", "test-...").
PATTERN='sk-ant-api03-[A-Za-z0-9_-]{20,}|sk-proj-[A-Za-z0-9_-]{20,}|AIza[0-9A-Za-z_-]{35}'
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    hits=$(git grep -nIE "$PATTERN" -- . 2>/dev/null)
else
    hits=$(grep -rnIE "$PATTERN" --exclude-dir=build --exclude-dir=.git . 2>/dev/null)
fi
if [ -n "$hits" ]; then
    echo "secrets-check: these lines hold something shaped like a real API key:" >&2
    echo "$hits" | cut -c1-60 | sed 's/$/.../' >&2
    exit 1
fi
echo "secrets-check: no real-looking provider keys in tracked files"
