#!/usr/bin/env bash
# Proves the README's set-up works on a fresh machine. In a minimal Debian 12 root (mmdebstrap --variant=apt: apt and
# the essential packages, plus sudo) it runs `scripts/setup.sh --tests` from this checkout twice over, once as root and
# once in a second root as a user with sudo, and checks afterwards that every tool Skiff and its tests need is there
# and that a second run installs nothing. Given a skiff binary, it then starts `skiff server` in the root that setup
# made, in a network namespace of its own, and waits for its node (containerd, runc and the CNI plugins from that
# setup) to be Ready, as `make run` would end.
#
#   scripts/fresh-machine-check.sh [SKIFF_BINARY]
#
# Root only (chroot and mount namespaces). The Swift toolchain (at the same path, where the binary's runtime libraries
# are found) and kubectl are bound in read-only from this machine, as a user brings them. The root's tarball is cached in FRESH_ROOT_CACHE (default /var/cache/skiff-fresh-root), and so
# are the .deb files apt downloads, so later runs take a few minutes of installing, not downloading. Exits non-zero
# with the reason on the first thing that is missing.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SKIFF_BINARY=${1:-}
CACHE=${FRESH_ROOT_CACHE:-/var/cache/skiff-fresh-root}
MIRROR=${FRESH_ROOT_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${FRESH_ROOT_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
TARBALL=$CACHE/bookworm-apt-sudo.tar

log() { echo "fresh-machine-check: $*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "run as root (it makes chroots and mount namespaces)"
[ -z "$SKIFF_BINARY" ] || [ -x "$SKIFF_BINARY" ] || fail "$SKIFF_BINARY is not an executable"
SWIFT=$(command -v swift) || fail "swift is not on the PATH"
SWIFT_TOOLCHAIN=$(cd "$(dirname "$(readlink -f "$SWIFT")")/../.." && pwd)   # <toolchain>/usr/bin/swift
KUBECTL=$(command -v kubectl) || fail "kubectl is not on the PATH"
KUBECTL=$(readlink -f "$KUBECTL")

if ! command -v mmdebstrap >/dev/null 2>&1; then
  log "installing mmdebstrap"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null
fi
mkdir -p "$CACHE/apt-archives"
if [ ! -s "$TARBALL" ]; then
  log "making a minimal Debian 12 root (mmdebstrap --variant=apt) in $TARBALL"
  # stdin from /dev/null: without it mmdebstrap would read extra sources from it.
  mmdebstrap --quiet --format=tar --variant=apt --include=sudo bookworm "$TARBALL.partial" \
    "deb $MIRROR bookworm main" "deb $MIRROR bookworm-updates main" "deb $SECURITY_MIRROR bookworm-security main" \
    </dev/null
  mv "$TARBALL.partial" "$TARBALL"
fi

WORK=$(mktemp -d /var/tmp/skiff-fresh-check.XXXXXX)
trap 'rm -rf --one-file-system "$WORK"' EXIT

# The checkout as git sees it (tracked and untracked files, not ignored ones such as .build and .venv), so what is
# checked is the working tree's setup.sh, edits included.
SOURCE_TAR=$WORK/source.tar
git -C "$ROOT" ls-files -z --cached --others --exclude-standard \
  | (cd "$ROOT" && xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' _) \
  | tar -C "$ROOT" --null -T - -cf "$SOURCE_TAR"

# Network settings that are this machine's, not packages: the resolver, and what pip needs to reach PyPI here.
PASS_ENV=()
for name in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY PIP_INDEX_URL PIP_EXTRA_INDEX_URL \
    PIP_TRUSTED_HOST PIP_DEFAULT_TIMEOUT; do
  [ -n "${!name:-}" ] && PASS_ENV+=("$name=${!name}")
done
PIP_CA=${PIP_CERT:-}
if [ -z "$PIP_CA" ] && [ -f /etc/pip.conf ]; then PIP_CA=$(sed -n 's/^ *cert *= *//p' /etc/pip.conf | head -1); fi
if [ -n "$PIP_CA" ] && [ -f "$PIP_CA" ]; then PASS_ENV+=("PIP_CERT=/etc/skiff-fresh-check/pip-ca.crt"); else PIP_CA=; fi

# new_root DIR USER: unpacks the tarball into DIR and puts the checkout in USER's home (root: /root).
new_root() {
  local dir=$1 user=$2 home
  mkdir -p "$dir"
  tar -C "$dir" -xf "$TARBALL"
  cp /etc/resolv.conf "$dir/etc/resolv.conf"
  echo "127.0.1.1 $(hostname)" >>"$dir/etc/hosts"   # sudo looks the host's name up
  if [ "$user" = root ]; then
    home=/root
  else
    home=/home/$user
    chroot "$dir" useradd --create-home --shell /bin/bash "$user"
    echo "$user ALL=(ALL) NOPASSWD: ALL" >"$dir/etc/sudoers.d/$user"
    chmod 0440 "$dir/etc/sudoers.d/$user"
  fi
  mkdir -p "$dir$home/skiff"
  tar -C "$dir$home/skiff" -xf "$SOURCE_TAR"
  chroot "$dir" chown -R "$user:" "$home/skiff"
  mkdir -p "$dir$SWIFT_TOOLCHAIN" "$dir/etc/skiff-fresh-check"
  touch "$dir/usr/local/bin/kubectl"
  [ -z "$PIP_CA" ] || cp "$PIP_CA" "$dir/etc/skiff-fresh-check/pip-ca.crt"
}

# in_root DIR USER [--net] SCRIPT: runs the bash SCRIPT in DIR as USER, in a mount and PID namespace of its own (and a
# network namespace with only loopback, given --net), so every mount and process ends with it.
in_root() {
  local dir=$1 user=$2 unshare_net=() home=/root
  shift 2
  if [ "$1" = --net ]; then unshare_net=(--net); shift; fi
  [ "$user" = root ] || home=/home/$user
  unshare --mount --pid --fork --kill-child "${unshare_net[@]}" bash -euo pipefail -c '
    dir=$1 user=$2 home=$3 toolchain=$4 kubectl=$5 archives=$6 script=$7
    shift 7
    mount -t proc proc "$dir/proc"
    mount --rbind /dev "$dir/dev"
    mount --rbind /sys "$dir/sys"
    mount -t tmpfs tmpfs "$dir/run"
    mount --bind "$archives" "$dir/var/cache/apt/archives"
    mount --bind "$toolchain" "$dir$toolchain" && mount -o remount,bind,ro "$dir$toolchain"
    mount --bind "$kubectl" "$dir/usr/local/bin/kubectl" && mount -o remount,bind,ro "$dir/usr/local/bin/kubectl"
    exec chroot --userspec="$user:$user" "$dir" env -i HOME="$home" USER="$user" TERM=dumb LANG=C.UTF-8 \
      PATH=$toolchain/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@" \
      bash -euo pipefail -c "cd \"$home/skiff\"; $script"
  ' in_root "$dir" "$user" "$home" "$SWIFT_TOOLCHAIN" "$KUBECTL" "$CACHE/apt-archives" "$1" "${PASS_ENV[@]}"
}

# What setup.sh must leave behind, checked as a user of the machine would: the commands on the PATH, the files the
# build and the node agent open, and the test clients importable from the environment the Makefile uses.
CHECK_TOOLS='
missing=()
for tool in swift kubectl containerd runc iptables nft ip docker-registry skopeo umoci gcc curl dnsmasq dig; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
for file in /usr/lib/cni/bridge /usr/lib/cni/host-local /usr/lib/cni/portmap /usr/lib/cni/loopback \
    /usr/include/sqlite3.h /usr/include/zlib.h /usr/lib/x86_64-linux-gnu/libc.a; do
  [ -e "$file" ] || missing+=("$file")
done
dpkg -s busybox-static >/dev/null 2>&1 || missing+=("busybox-static")
.venv/bin/python -c "import kubernetes, yaml, pytest, cryptography" || missing+=("the Python test clients in .venv")
if [ ${#missing[@]} -gt 0 ]; then echo "missing after setup: ${missing[*]}" >&2; exit 1; fi
echo "all there: containerd $(containerd --version | cut -d" " -f3), runc $(runc --version | head -1 | cut -d" " -f3), kubernetes client $(.venv/bin/python -c "import kubernetes; print(kubernetes.__version__)")"
'

# setup_round USER: setup.sh in a new root as USER, the tools checked, and setup.sh again, which must install nothing.
setup_round() {
  local user=$1 dir=$WORK/$1 started second
  log "[$user] new root; running scripts/setup.sh --tests as $user"
  new_root "$dir" "$user"
  started=$SECONDS
  in_root "$dir" "$user" "bash scripts/setup.sh --tests" || fail "[$user] scripts/setup.sh --tests exited with $?"
  log "[$user] setup took $((SECONDS - started)) s"
  in_root "$dir" "$user" "$CHECK_TOOLS" || fail "[$user] setup.sh left tools missing"
  started=$SECONDS
  second=$(in_root "$dir" "$user" "bash scripts/setup.sh --tests 2>&1") || fail "[$user] the second setup.sh run failed: $second"
  grep -q "everything is in place" <<<"$second" || fail "[$user] the second setup.sh run installed again: $second"
  log "[$user] a second run installed nothing ($((SECONDS - started)) s)"
}

# The node: `skiff server` with its agent in the root setup made, until `kubectl get nodes` shows the node Ready.
node_round() {
  local dir=$WORK/root
  log "[root] starting skiff server in the fresh root until its node is Ready"
  # The binary with the resource bundles SwiftPM puts beside it (the API catalog's OpenAPI document), as make run runs it.
  cp "$SKIFF_BINARY" "$dir/usr/local/bin/skiff"
  for bundle in "$(dirname "$SKIFF_BINARY")"/*.resources; do
    [ ! -d "$bundle" ] || cp -r "$bundle" "$dir/usr/local/bin/"
  done
  in_root "$dir" root --net '
ip link set lo up
skiff server --data-dir /var/lib/skiff --node-name fresh-machine --stop-pods-on-exit >/tmp/server.out 2>/tmp/server.log &
server=$!
for _ in $(seq 600); do
  if grep -q "running at" /tmp/server.out 2>/dev/null \
      && KUBECONFIG=/var/lib/skiff/kubeconfig.yaml kubectl get node fresh-machine \
         -o jsonpath="{.status.conditions[?(@.type==\"Ready\")].status}" 2>/dev/null | grep -qx True; then
    cat /tmp/server.out
    KUBECONFIG=/var/lib/skiff/kubeconfig.yaml kubectl get nodes -o wide
    kill -TERM $server; wait $server || true
    exit 0
  fi
  kill -0 $server 2>/dev/null || break
  sleep 0.2
done
echo "the node never became Ready; the server log says:" >&2
grep -m 10 -i -E "fatal|error" /tmp/server.log >&2 || true
echo "and ends:" >&2
tail -15 /tmp/server.log >&2
exit 1
' || fail "[root] skiff server's node did not become Ready in the fresh root"
}

setup_round root
setup_round dev
[ -z "$SKIFF_BINARY" ] || node_round
log "passed"
