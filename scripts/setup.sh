#!/usr/bin/env bash
# Installs what Skiff needs on a Debian 12 machine, as root or as a user with sudo. Safe to run again: when everything
# is in place it installs nothing and takes about a second.
#
#   scripts/setup.sh            what building and running `skiff server` needs (make run)
#   scripts/setup.sh --tests    that, and what the tests need (make test): the Python test clients in a virtual
#                               environment (.venv in the checkout, or SKIFF_VENV) made with Debian's python3, and the
#                               tools scripts/test-images.sh builds and serves the stand-in images with
#
# Swift 6.3 itself is not installed here (swift.org's installer does that); kubectl is only recommended.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${SKIFF_VENV:-$ROOT/.venv}
REQUIREMENTS=$ROOT/tests/requirements.txt

with_tests=false
case "${1:-}" in
  "") ;;
  --tests) with_tests=true ;;
  *) echo "usage: scripts/setup.sh [--tests]" >&2; exit 2 ;;
esac

log() { echo "setup: $*" >&2; }

# Debian packages, each as `package [command or file that shows it is there]`. Without the second field the package
# must be installed; with it, a containerd or runc installed some other way counts too.
RUN_PACKAGES=(
  "libsqlite3-dev"                                   # the embedded store: GRDB builds against the system's SQLite
  "zlib1g-dev"                                       # SPDY header blocks (exec, attach, cp, port-forward)
  "containerd containerd"                            # runs the node's containers through its CRI plugin
  "runc runc"                                        # containerd's OCI runtime
  "containernetworking-plugins /usr/lib/cni/bridge"  # pod networking: bridge, host-local, portmap, loopback
  "iptables iptables"                                # the portmap plugin and the node's pod masquerade rule
  "nftables /usr/sbin/nft"                           # the service proxy's table
  "iproute2 ip"                                      # the node's pod bridge, made before its first pod
)
TEST_PACKAGES=(
  "python3 /usr/bin/python3"                         # the test clients' virtual environment is made from Debian's
  "python3-venv"                                     #   python3, which refuses `pip install` outside one (PEP 668)
  "dnsmasq-base dnsmasq"                             # the cluster DNS tests' stand-in for the node's resolver
  "bind9-dnsutils dig"                               #   and asking the cluster DNS from the node
  "docker-registry docker-registry"                  # scripts/test-images.sh: the local registry,
  "skopeo skopeo"                                    #   pushing to it,
  "umoci umoci"                                      #   building OCI layers,
  "busybox-static"                                   #   the stand-ins' userland (Debian's `busybox` is not static),
  "gcc gcc"                                          #   the static pause binary
  "libc6-dev"                                        #   (libc.a),
  "curl curl"                                        #   and asking the registry what it holds
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    log "installing packages needs root: run this as root or install sudo"
    exit 1
  fi
}

present() {  # package [command or /path]
  case "${2:-}" in
    "") [[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" == ii* ]] ;;
    /*) [ -e "$2" ] ;;
    *) command -v "$2" >/dev/null 2>&1 ;;
  esac
}

if ! command -v swift >/dev/null 2>&1; then
  log "Swift 6.3 is required (https://swift.org/install); it was not found on the PATH"
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
  log "this script installs Debian packages with apt-get; on another system install the packages it lists by hand"
  exit 1
fi

wanted=("${RUN_PACKAGES[@]}")
$with_tests && wanted+=("${TEST_PACKAGES[@]}")
missing=()
for entry in "${wanted[@]}"; do
  # shellcheck disable=SC2086 # the entry is split into package and probe on purpose
  present $entry || missing+=("${entry%% *}")
done

installed_something=false
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  for entry in "${wanted[@]}"; do
    # shellcheck disable=SC2086
    present $entry || { log "package ${entry%% *} was installed but ${entry#* } is still missing"; exit 1; }
  done
  installed_something=true
fi

if $with_tests; then
  # The environment is made again whenever tests/requirements.txt changes, or when it no longer imports the clients.
  stamp=$(sha256sum "$REQUIREMENTS" | cut -c1-16)
  if [ "$(cat "$VENV/.skiff-requirements" 2>/dev/null)" != "$stamp" ] \
      || ! "$VENV/bin/python" -c "import kubernetes, yaml, pytest, cryptography" 2>/dev/null; then
    log "installing the Python test clients (tests/requirements.txt) into $VENV"
    /usr/bin/python3 -m venv --clear "$VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$REQUIREMENTS"
    echo "$stamp" >"$VENV/.skiff-requirements"
    installed_something=true
  fi
fi

if ! command -v kubectl >/dev/null 2>&1; then
  log "note: kubectl is not on the PATH; install it to talk to Skiff"
fi
$installed_something || log "everything is in place"
