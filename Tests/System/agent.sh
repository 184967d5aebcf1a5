#!/bin/bash
# The system test's hands inside the booted box (installed into the test's copy of the
# image only, never into the image itself): one command per line from the third serial
# port (ttyS2), run by bash as root; its output answered base64 on one line, then
# "@@rc N". The test reads nothing else from this port (it connects with a ping).
port=/dev/ttyS2
stty -F $port raw -echo -ixon 115200
exec <$port >$port 2>/dev/null
while IFS= read -r line; do
  out=$(timeout 120 bash -c "$line" 2>&1 </dev/null)
  rc=$?
  printf '%s' "$out" | base64 -w0
  printf '\n@@rc %d\n' "$rc"
done
