#!/usr/bin/env bash
# The native addons into build/native/: peercred.node (SO_PEERCRED, src/native/peercred.c: who
# asked for each journal record) and sysmount.node (mount(2)/umount2(2), src/native/sysmount.c:
# a container's root mounted without an exec of mount(8)) and spawnpipes.node (posix_spawn,
# src/native/spawnpipes.c: conmon started without a fork of the daemon) and netlink.node (rtnetlink,
# src/native/netlink.c: a container's veth pair without execs of ip and nsenter). Optional: without a C compiler or
# node's headers wharfd reads the credentials through ss(8) and mounts with mount(8) instead
# (slower). Quick when they are up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
inc=""
for d in "$(dirname "$(dirname "$(command -v node)")")/include/node" /usr/include/node /usr/local/include/node; do
  [ -f "$d/node_api.h" ] && { inc=$d; break; }
done
for name in peercred sysmount spawnpipes netlink; do
  out=build/native/$name.node
  src=src/native/$name.c
  [ -f "$out" ] && [ "$out" -nt "$src" ] && [ "$out" -nt src/native/napi-args.h ] && continue
  if ! command -v cc >/dev/null || [ -z "$inc" ]; then
    echo "build-native: no C compiler or node headers; peer credentials will be read through ss(8), mounts made by mount(8)" >&2
    exit 0
  fi
  mkdir -p build/native
  # One that does not compile here (a missing kernel header) is left out: its caller falls back.
  if ! cc -O2 -shared -fPIC -DNODE_GYP_MODULE_NAME="$name" -I"$inc" -o "$out.tmp" "$src"; then
    echo "build-native: $name.node not built; wharfd does without it" >&2
    rm -f "$out.tmp"
    continue
  fi
  mv "$out.tmp" "$out"
done
