#!/usr/bin/env bash
# Remove what an interrupted test run left behind: wharfd daemons, containers, conmon
# monitors, mounts and temp dirs under /tmp/wharf-test-* (tests clean up after themselves;
# this is for runs that were killed).
set -u
for dir in /tmp/wharf-test-*; do
  [ -d "$dir" ] || continue
  pkill -KILL -f "wharfd .*$dir" 2>/dev/null
  if [ -d "$dir/run/runc" ]; then
    for id in $(ls "$dir/run/runc"); do runc --root "$dir/run/runc" delete --force "$id" >/dev/null 2>&1; done
  fi
  pkill -KILL -f "conmon .*$dir" 2>/dev/null
  awk -v d="$dir" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf "$dir"
done
