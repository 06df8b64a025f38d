#!/usr/bin/env bash
# Everything Wharf needs on a fresh Debian 12 machine, as root: apt packages, npm packages,
# the TypeScript build and the built-in default image's archive. Idempotent, and quick when
# everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v runc >/dev/null || need+=(runc)
command -v conmon >/dev/null || need+=(conmon)
[ -x /bin/busybox ] && /bin/busybox --list >/dev/null 2>&1 && dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
command -v ip >/dev/null || need+=(iproute2)
command -v nft >/dev/null || need+=(nftables)
command -v iptables >/dev/null || need+=(iptables)
# The network tests fetch from published ports with curl.
command -v curl >/dev/null || need+=(curl)
# docker save/load are checked against skopeo (docker-archive:, oci-archive:).
command -v skopeo >/dev/null || need+=(skopeo)
command -v tmux >/dev/null || need+=(tmux)
# --init: a static init (tini) mounted as /sbin/docker-init.
[ -x /usr/bin/tini-static ] || need+=(tini)
# docker-compose 1.29: the networks tests bring a compose project up and down against wharfd.
command -v docker-compose >/dev/null || need+=(docker-compose)
command -v tar >/dev/null || need+=(tar)
# Build contexts and ADD archives may be bzip2- or xz-compressed (decompressed with these).
command -v bzip2 >/dev/null || need+=(bzip2)
command -v xz >/dev/null || need+=(xz-utils)
# docker-py (python3-docker, which docker-compose brings) drives builds in the client tests.
/usr/bin/python3 -c 'import docker' 2>/dev/null || need+=(python3-docker)
# pull/push/login are tested against the real registry (distribution 2.8), with htpasswd auth.
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v htpasswd >/dev/null || need+=(apache2-utils)
# openssl: the token server of the bearer-auth test signs with a throwaway certificate.
command -v openssl >/dev/null || need+=(openssl)
# getfattr/setfattr: overlay opaque dirs for docker diff and commit, and unpacking layers with deletions.
command -v getfattr >/dev/null && command -v setfattr >/dev/null || need+=(attr)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

# A node_modules that is a link (a git worktree sharing another checkout's) is managed there.
if [ ! -L node_modules ] && { [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi

# Rebuild when any source is newer than the last build.
stamp=dist/.tsbuildinfo
if [ ! -f "$stamp" ] || [ -n "$(find src test tsconfig.json -newer "$stamp" -print -quit)" ]; then
  echo "setup: building" >&2
  npx --no-install tsc -p tsconfig.json
fi

# Who asked for each journal record: the SO_PEERCRED addon (optional; ss(8) answers without it).
scripts/build-native.sh
scripts/make-busybox-image.sh >/dev/null
