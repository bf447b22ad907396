#!/usr/bin/env bash
# Makes this machine able to build and run the Dockerfile with podman, for
# `pnpm test:containers` (and .ci/run). Idempotent; quick when all is in place.
#
# 1. Debian's podman and runc, and debootstrap, when missing.
# 2. podman's engine settings for this kind of machine (a container without
#    systemd, cgroups v1): crun refuses hybrid cgroups and the default rlimits
#    are not permitted, so runc, cgroupfs, no default ulimits, no pids limit.
#    Written as a drop-in of its own; the machine's containers.conf, if any, is
#    left as it is.
# 3. A STAND-IN for the Dockerfile's base image `docker.io/library/node:<tag>`,
#    when podman's storage does not have it: no registry is reachable here, so
#    it is made from Debian bookworm (debootstrap --variant=minbase), this
#    machine's Node 20 (the files of its `nodejs` package, npm included), a
#    `node` user uid/gid 1000 as in the official image, ca-certificates and this
#    machine's CA bundle (the npm registry is reached through a proxy whose CA
#    only that bundle holds; NODE_EXTRA_CA_CERTS points npm at it). It is not
#    the official image, and its label says so. podman's storage keeps it
#    across runs.
#
# Needs root and Debian's package mirror the first time.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "podman-setup: $*"; }
die() {
  echo "podman-setup: $*" >&2
  exit 1
}
[ "$(id -u)" = 0 ] || die "must run as root (installs packages, makes a chroot)"

# --- 1. Packages ---------------------------------------------------------------
missing=()
command -v podman >/dev/null || missing+=(podman)
command -v runc >/dev/null || missing+=(runc)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "${missing[@]}" >/dev/null ||
    { apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; } ||
    die "cannot install ${missing[*]} with apt-get"
fi

# --- 2. Engine settings ------------------------------------------------------
CONF=/etc/containers/containers.conf.d/50-sms-podman.conf
if [ ! -e "$CONF" ]; then
  mkdir -p "$(dirname "$CONF")"
  cat >"$CONF" <<'TOML'
# Written by the SMS service's scripts/podman-setup.sh: podman in a container
# without systemd and with cgroups v1 (crun refuses hybrid cgroups; the
# default rlimits are not permitted there).
[containers]
default_ulimits = []
pids_limit = 0

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
TOML
  say "wrote $CONF"
fi

# --- 3. The stand-in base image ----------------------------------------------
# The tag the Dockerfile builds FROM by default (ARG NODE_IMAGE=node:<tag>).
node_image=$(sed -n 's/^ARG NODE_IMAGE=//p' Dockerfile)
[ -n "$node_image" ] || die "the Dockerfile has no 'ARG NODE_IMAGE=' line"
BASE=docker.io/library/$node_image
exec 9>/run/lock/sms-podman-base.lock
flock 9 # two runs must not make it at once
if podman image exists "$BASE"; then
  say "base image $BASE present ($(podman image inspect --format '{{index .Labels "org.opencontainers.image.description"}}' "$BASE"))"
  exit 0
fi

node_version=$(node --version)
wanted=${node_image#node:}
[ "${wanted%%-*}" = "${node_version#v}" ] ||
  say "note: the Dockerfile wants Node ${wanted%%-*}, this machine has $node_version; the stand-in gets $node_version"
dpkg -s nodejs >/dev/null 2>&1 || die "the stand-in needs this machine's Node from the nodejs package (dpkg -L nodejs)"

started=$(date +%s)
# Debian's part is kept as a tarball, so the image can be made again without
# the mirror (and in seconds) after `podman rmi`.
CACHE=${SMS_PODMAN_CACHE:-/var/cache/sms-podman}
debian=$CACHE/bookworm-minbase.tar
log=$CACHE/base-image.log
mkdir -p "$CACHE"
rootfs=$(mktemp -d /var/tmp/sms-node-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
say "making the STAND-IN base image $BASE (Debian bookworm + this machine's Node $node_version; log in $log)"
{
  if [ ! -e "$debian" ]; then
    debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" http://deb.debian.org/debian
    chroot "$rootfs" apt-get clean
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log "$rootfs"/var/cache/debconf/*-old
    tar -C "$rootfs" --numeric-owner -cf "$debian.tmp" . && mv "$debian.tmp" "$debian"
  else
    tar -C "$rootfs" --numeric-owner -xf "$debian"
  fi
  # Node as this machine has it: the nodejs package's files, and npm as
  # installed now (it may have been updated since the package: its directory).
  npm_dir=/usr/lib/node_modules/npm
  { dpkg -L nodejs | grep -v -e '^/\.$' -e "^$npm_dir/"; find "$npm_dir"; } |
    tar -C / --no-recursion -cf - -T - | tar -C "$rootfs" -xf -
  # The official image's user: uid and gid 1000, named node.
  chroot "$rootfs" groupadd --gid 1000 node
  chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
  chroot "$rootfs" node --version
  chroot "$rootfs" npm --version
} >"$log" 2>&1 || die "cannot make the base image's root file system: $(tail -1 "$log") (full log: $log)"

tar -C "$rootfs" --numeric-owner -cf - . | podman import \
  --change 'CMD ["node"]' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=${node_version#v}" \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change "LABEL org.opencontainers.image.description=\"STAND-IN for the official $node_image, made by scripts/podman-setup.sh from Debian bookworm and this machine's Node $node_version\"" \
  --quiet - "$BASE" >/dev/null || die "podman import of the base image failed"
say "base image $BASE made in $(($(date +%s) - started)) s ($(podman image inspect --format '{{.Size}}' "$BASE" | numfmt --to=si)B)"
