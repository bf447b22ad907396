#!/usr/bin/env bash
# `pnpm test:containers`: builds the Dockerfile's three images with podman and
# runs them as users would (test-containers/images.test.ts). Makes the machine
# ready first (scripts/podman-setup.sh: podman, its settings, the STAND-IN base
# image). One run at a time: the images' tags are shared. Extra arguments go to tap.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

bash scripts/podman-setup.sh
exec 8>/run/lock/sms-test-containers.lock
flock 8

# Containers of this test, even if its process was killed before its teardown.
remove_containers() {
  podman ps --all --quiet --filter label=sms-test-containers | xargs --no-run-if-empty podman rm --force --time 5 >/dev/null
}
remove_containers
trap remove_containers EXIT

status=0
pnpm exec tap --timeout=2400 "${@:-test-containers/images.test.ts}" || status=$?

# Build cache: a rebuild leaves the previous images untagged. Those older than
# a day go, so the storage does not grow with every commit CI builds.
podman image prune --force --filter until=24h >/dev/null || true
echo "test-containers: finished in $(($(date +%s) - started)) s with status $status"
exit "$status"
