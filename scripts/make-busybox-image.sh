#!/usr/bin/env bash
# Build the built-in default image's root filesystem: Debian's busybox-static with every
# applet linked into /bin, a minimal /etc/passwd and /etc/group. Writes build/busybox.tar.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out="${1:-$here/build/busybox.tar}"
bb=/bin/busybox
[ -x "$bb" ] || { echo "busybox-static is not installed (apt-get install busybox-static)" >&2; exit 1; }
if [ -f "$out" ] && [ "$out" -nt "$bb" ] && [ "$out" -nt "$0" ]; then exit 0; fi
mkdir -p "$(dirname "$out")"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,etc,dev,proc,sys,tmp,root,home,var/log,usr/bin,usr/sbin,sbin}
chmod 1777 "$root/tmp"
cp "$bb" "$root/bin/busybox"
for applet in $("$bb" --list); do
  [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
cat > "$root/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
PW
cat > "$root/etc/group" <<'GR'
root:x:0:
daemon:x:1:
wheel:x:10:root
nogroup:x:65534:
GR
echo 'hosts: files dns' > "$root/etc/nsswitch.conf"
# A fixed mtime keeps the archive (and so the layer digest) the same from build to build.
tar --sort=name --mtime='2024-01-01 00:00:00Z' --owner=0 --group=0 --numeric-owner -C "$root" -cf "$out.tmp" .
mv "$out.tmp" "$out"
echo "built $out"
