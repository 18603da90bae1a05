#!/usr/bin/env bash
# Installs what Skiff and its tests need on a fresh Debian 12 machine. Safe to run again.
set -euo pipefail

need_apt=()
command -v sqlite3 >/dev/null 2>&1 || need_apt+=(sqlite3)
dpkg -s libsqlite3-dev >/dev/null 2>&1 || need_apt+=(libsqlite3-dev)
dpkg -s zlib1g-dev >/dev/null 2>&1 || need_apt+=(zlib1g-dev)   # SPDY header blocks (port-forward)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
# Real containers: containerd (with its CRI plugin) runs them through runc, networked by the CNI plugins.
command -v containerd >/dev/null 2>&1 || need_apt+=(containerd)
command -v runc >/dev/null 2>&1 || need_apt+=(runc)
[ -x /usr/lib/cni/bridge ] || need_apt+=(containernetworking-plugins)
command -v iptables >/dev/null 2>&1 || need_apt+=(iptables)   # the CNI portmap plugin and pods' masquerade
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "setup: Swift 6.3 is required (https://swift.org/install); it was not found on the PATH" >&2
  exit 1
fi
if ! command -v kubectl >/dev/null 2>&1; then
  echo "setup: note: kubectl is not on the PATH; install it to talk to Skiff" >&2
fi

python3 -c "import kubernetes, yaml, pytest" 2>/dev/null || python3 -m pip install -q kubernetes pyyaml pytest
