#!/usr/bin/env bash
# Quick start: set everything up, start wharfd on its default socket if it is not running,
# import the built-in default image if it is not there, and run a container from it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
sock=/var/run/wharf.sock
export DOCKER_HOST="unix://$sock"
if ! bin/wharf version >/dev/null 2>&1; then
  echo "quickstart: starting wharfd (log: /var/log/wharfd.log)" >&2
  nohup bin/wharfd -H "unix://$sock" >>/var/log/wharfd.log 2>&1 &
  for _ in $(seq 1 100); do bin/wharf version >/dev/null 2>&1 && break; sleep 0.1; done
fi
if ! bin/wharf image inspect busybox:latest >/dev/null 2>&1; then
  bin/wharf import build/busybox.tar busybox:latest >/dev/null
fi
exec bin/wharf run --rm busybox sh -c 'echo "Hello from Wharf! This container is $(hostname), and it sees $(ls /proc | grep -c "^[0-9]") process(es)."' 
