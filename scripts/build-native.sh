#!/usr/bin/env bash
# The SO_PEERCRED addon (src/native/peercred.c) into build/native/peercred.node: who asked for
# each journal record. Optional: without a C compiler or node's headers wharfd reads the
# credentials through ss(8) instead (slower, per connection). Quick when it is up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/native/peercred.node
src=src/native/peercred.c
[ -f "$out" ] && [ "$out" -nt "$src" ] && exit 0
inc=""
for d in "$(dirname "$(dirname "$(command -v node)")")/include/node" /usr/include/node /usr/local/include/node; do
  [ -f "$d/node_api.h" ] && { inc=$d; break; }
done
if ! command -v cc >/dev/null || [ -z "$inc" ]; then
  echo "build-native: no C compiler or node headers; peer credentials will be read through ss(8)" >&2
  exit 0
fi
mkdir -p build/native
cc -O2 -shared -fPIC -DNODE_GYP_MODULE_NAME=peercred -I"$inc" -o "$out.tmp" "$src"
mv "$out.tmp" "$out"
