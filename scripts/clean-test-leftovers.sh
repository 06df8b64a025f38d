#!/usr/bin/env bash
# Remove what an interrupted test run left behind: wharfd daemons, containers, conmon
# monitors, mounts and temp dirs (tests clean up after themselves; this is for runs that
# were killed).
#
#   clean-test-leftovers.sh            every /tmp/wharf-test-* dir (manual use only: it also
#                                      kills the daemons of test runs still going)
#   clean-test-leftovers.sh DIR...     only these dirs (what a benchmark uses for its own)
set -u
if [ $# -gt 0 ]; then dirs=("$@"); else dirs=(/tmp/wharf-test-*); fi
for dir in "${dirs[@]}"; do
  [ -d "$dir" ] || continue
  dir=$(cd "$dir" && pwd -P)
  [ "$dir" != / ] || continue
  pkill -KILL -f "wharfd .*$dir" 2>/dev/null
  if [ -d "$dir/run/runc" ]; then
    for id in $(ls "$dir/run/runc"); do runc --root "$dir/run/runc" delete --force "$id" >/dev/null 2>&1; done
  fi
  pkill -KILL -f "conmon .*$dir" 2>/dev/null
  awk -v d="$dir" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf "$dir"
done
