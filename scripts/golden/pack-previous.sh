#!/usr/bin/env bash
# Packs the compiled daemon and CLI of an earlier commit as a small tarball for the upgrade
# test (test/upgrade.test.ts): test/fixtures/wharfd-<short commit>.tar.gz, holding only what
# it needs to run (dist/src without tests and source maps, bin/, journal/schemas,
# package.json). It runs with the checkout's node_modules (the test links them in), so pack a
# commit whose dependencies are those of today's package.json.
#
#   scripts/golden/pack-previous.sh COMMIT
#
# Then point PREVIOUS_RELEASE in test/upgrade.test.ts at the new file and remove the old one.
set -euo pipefail
commit=${1:?usage: pack-previous.sh COMMIT}
root=$(cd "$(dirname "$0")/../.." && pwd)
short=$(git -C "$root" rev-parse --short=7 "$commit^{commit}")
out="$root/test/fixtures/wharfd-$short.tar.gz"
wt=$(mktemp -d /tmp/wharf-pack-XXXXXX)
cleanup() { git -C "$root" worktree remove --force "$wt" >/dev/null 2>&1 || rm -rf "$wt"; }
trap cleanup EXIT
git -C "$root" worktree add --detach "$wt" "$short" >/dev/null
ln -s "$root/node_modules" "$wt/node_modules"
(cd "$wt" && npx tsc -p .)
mkdir -p "$(dirname "$out")"
# Reproducible: sorted names, one mtime, no owners.
tar -C "$wt" --sort=name --mtime='2000-01-01 00:00Z' --owner=0 --group=0 --numeric-owner \
  --exclude='*.map' --exclude='*.test.js' --exclude='.tsbuildinfo' \
  -cf - dist/src bin journal/schemas package.json | gzip -n -9 > "$out"
echo "$out: $(du -h "$out" | cut -f1) ($short, $(git -C "$root" log -1 --format=%s "$short" | cut -c1-60))"
