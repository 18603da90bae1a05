#!/usr/bin/env bash
# Serves small stand-in images for the public ones Skiff's tests and seed documents name (nginx, busybox,
# python:3.8, postgres:15-alpine, registry.k8s.io/pause, ...) from a local registry on 127.0.0.1:5000, for machines
# without internet access. A registry mirror (docker.io and registry.k8s.io -> http://127.0.0.1:5000) makes the
# names resolve here unchanged. The stand-ins are busybox, not the real software: they start, listen on the real
# image's port and stop on SIGTERM, which is what an orchestrator's tests need. Real users pull real images.
# One image is real software: skiff-test/nginx-real is Debian 12's nginx 1.22, built from its .deb files (apt-get
# download, kept in DIR/debs so later builds do not download again), for tests and benchmarks that need a real server.
#
#   scripts/test-images.sh [DIR]    (or SKIFF_TEST_REGISTRY_DIR=DIR; default /var/lib/skiff-test-registry)
#
# Runs as root (as containerd does). DIR holds the registry's config, storage, log and pid file and the OCI layout the
# images are built in. A registry already answering on http://127.0.0.1:5000/v2/ is used as it is. Safe to run
# again, also concurrently: images already pushed from this version of the script (label dev.skiff.test-images) are
# not rebuilt.
set -euo pipefail

DIR="${1:-${SKIFF_TEST_REGISTRY_DIR:-/var/lib/skiff-test-registry}}"
REGISTRY=127.0.0.1:5000
STAMP=$(sha256sum "$0" | cut -c1-16)    # a change to this script rebuilds and re-pushes every image
PATH_ENV=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# Repository path in the local registry, tags, stand-in. Docker Hub names gain `library/`; names under another
# registry (registry.k8s.io) lose the registry host, as a mirror asks for them.
IMAGES=(
  "library/busybox   latest                                  busybox"
  "library/nginx     latest 1.25 1.26 1.27 1.14.2 alpine 1.25-alpine nginx"
  "library/python    3.8 alpine                              python"
  "library/postgres  15-alpine 13 latest                     postgres"
  "library/mysql     5.7                                     mysql"
  "library/redis     alpine                                  redis"
  "pause             3.6 3.9                                 pause"
  "skiff-test/nginx-real 1.22 latest                          nginx-real"
)

log() { echo "test-images: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  log "run as root (the images' files must be owned by root)"
  exit 1
fi

# The tools come from `scripts/setup.sh --tests` (make test, make test-images), which lists the packages once.
require_tools() {
  local missing=() tool package
  for tool in docker-registry skopeo umoci gcc curl apt-get apt-cache dpkg-deb; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  for package in busybox-static libc6-dev; do   # a static /bin/busybox; libc.a for the static pause
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return
  log "missing: ${missing[*]}; run scripts/setup.sh --tests first"
  exit 1
}

registry_answers() {
  [ "$(curl -s -o /dev/null -w '%{http_code}' -m 2 "http://$REGISTRY/v2/" || true)" = 200 ]
}

start_registry() {
  if registry_answers; then return; fi
  mkdir -p "$DIR/storage"
  cat >"$DIR/registry.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $DIR/storage
  delete:
    enabled: true
http:
  addr: $REGISTRY
EOF
  log "starting docker-registry on $REGISTRY (storage $DIR/storage, log $DIR/registry.log)"
  # 9>&-: the registry outlives this script and must not hold the run lock, or the next run waits for ever.
  setsid docker-registry serve "$DIR/registry.yml" >>"$DIR/registry.log" 2>&1 </dev/null 9>&- &
  echo $! >"$DIR/registry.pid"
  for _ in $(seq 100); do
    registry_answers && return
    kill -0 "$(cat "$DIR/registry.pid")" 2>/dev/null || break
    sleep 0.1
  done
  log "docker-registry did not answer on http://$REGISTRY/v2/; see $DIR/registry.log"
  tail -5 "$DIR/registry.log" >&2
  exit 1
}

# True when REPO:TAG is in the registry and was pushed by this version of the script.
pushed() {
  local manifest config
  manifest=$(curl -sf -m 5 -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$REGISTRY/v2/$1/manifests/$2") || return 1
  config=$(grep -o '"config":{[^}]*}' <<<"$manifest" | grep -o 'sha256:[0-9a-f]*') || return 1
  curl -sf -m 5 "http://$REGISTRY/v2/$1/blobs/$config" | grep -q "\"dev.skiff.test-images\":\"$STAMP\""
}

# --- building ----------------------------------------------------------------------------------------------------

# Unpacks tag $1 of the layout into $BUILD/$2 (a runtime bundle; the files go to its rootfs/).
unpack() { umoci unpack --image "$LAYOUT:$1" "$BUILD/$2" >/dev/null; }
repack() { umoci repack --image "$LAYOUT:$1" "$BUILD/$2"; }

# A file in a rootfs with mode $3 and the content of standard input.
put() { mkdir -p "$(dirname "$1/$2")"; cat >"$1/$2"; chmod "$3" "$1/$2"; }

# The layer every stand-in but pause shares: static busybox and its applets, root and nobody, /tmp.
build_base() {
  umoci new --image "$LAYOUT:base"
  unpack base base
  local root=$BUILD/base/rootfs
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,root,tmp,var/run}
  chmod 1777 "$root/tmp"
  chmod 0700 "$root/root"
  cp /bin/busybox "$root/bin/busybox"
  # What `busybox --install -s` does inside the rootfs, without needing a chroot: a symlink per applet.
  local applet
  for applet in $(/bin/busybox --list-full); do
    [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$root/etc/group"
  repack base base
}

# The server stand-ins keep running in the foreground as PID 1 and exit 0 on SIGTERM/SIGINT. busybox's httpd and nc
# install no SIGTERM handler, and PID 1 of a PID namespace ignores every signal it does not handle, so each runs
# under a shell whose trap ends it; when PID 1 exits the kernel kills the rest of the container.

# busybox: the shell, as the real image (CMD sh).
build_busybox() {
  umoci config --image "$LAYOUT:base" --tag busybox --config.env "$PATH_ENV" --config.cmd sh \
    --config.label "dev.skiff.test-images=$STAMP" --history.comment "stand-in: busybox sh"
}

# nginx: busybox httpd serving /usr/share/nginx/html on port 80 (STANDIN_PORT overrides it, for tests that cannot
# have port 80). `nginx` accepts and ignores nginx's arguments, so `command: [nginx, -g, "daemon off;"]` works.
# The real image stops on SIGQUIT; this one exits on SIGTERM, SIGINT and SIGQUIT alike.
build_nginx() {
  unpack base nginx
  local root=$BUILD/nginx/rootfs
  put "$root" usr/share/nginx/html/index.html 0644 <<'EOF'
<!DOCTYPE html>
<html>
<head><title>Welcome to nginx!</title></head>
<body>
<h1>Welcome to nginx!</h1>
<p>A stand-in: busybox httpd in a local test image, not nginx. Real clusters pull the real nginx image.</p>
</body>
</html>
EOF
  put "$root" usr/sbin/nginx 0755 <<'EOF'
#!/bin/sh
# Stand-in for nginx (a Skiff test image): busybox httpd on port ${STANDIN_PORT:-80}; arguments are ignored.
pid=
trap 'kill $pid 2>/dev/null; exit 0' TERM INT QUIT
httpd -f -p "${STANDIN_PORT:-80}" -h /usr/share/nginx/html &
pid=$!
wait $pid
EOF
  repack nginx nginx
  umoci config --image "$LAYOUT:nginx" --config.env "$PATH_ENV" --config.exposedports 80/tcp \
    --config.cmd nginx --config.cmd -g --config.cmd 'daemon off;' \
    --config.label "dev.skiff.test-images=$STAMP" --history.comment "stand-in: busybox httpd on port 80"
}

# nginx-real: Debian's nginx, laid out as the official image is: CMD nginx -g 'daemon off;', port 80, STOPSIGNAL
# SIGQUIT (a graceful stop), /etc/nginx/nginx.conf including /etc/nginx/conf.d/*.conf (a ConfigMap mounted over
# conf.d replaces default.conf), logs to the container's stdout and stderr, workers as user nginx (101). Files are
# extracted with `dpkg-deb -x`, no maintainer scripts run; the busybox base stays underneath for probes and debugging.
# The packages: nginx, nginx-common (mime.types, the *_params files) and, recursively, the libraries (Section libs)
# they depend on. Other dependencies (iproute2, debconf) serve Debian's init script and maintainer scripts only.

# Sets NGINX_DEBS to the paths of the packages' .debs in DIR/debs, downloading the ones not there yet. (An array,
# not output: `set -e` does not reach into a $(...).) Two apt-cache calls, as each takes most of a second.
nginx_debs() {
  local cache=$DIR/debs packages=(nginx nginx-common) todo=(nginx) missing=() pkg dep sec debs
  local -A seen=([nginx]=1 [nginx-common]=1) depends=() section=()
  while read -r pkg dep; do
    depends[$pkg]+=" $dep"
  done < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
             --no-enhances nginx 2>/dev/null \
           | awk '/^[^ ]/ { pkg = $1 } /^ *[|]?(Pre)?Depends: [^<]/ { print pkg, $2 }')
  if [ -z "${depends[nginx]:-}" ]; then
    log "apt knows no nginx package; run apt-get update"
    exit 1
  fi
  # shellcheck disable=SC2086  # the names, one word each
  while read -r pkg sec; do
    section[$pkg]=$sec
  done < <(apt-cache show --no-all-versions ${depends[*]} \
           | awk '/^Package:/ { pkg = $2 } /^Section:/ { print pkg, $2 }')
  while [ ${#todo[@]} -gt 0 ]; do
    pkg=${todo[-1]}
    unset 'todo[-1]'
    for dep in ${depends[$pkg]:-}; do
      [ -z "${seen[$dep]:-}" ] && [ "${section[$dep]:-}" = libs ] || continue
      seen[$dep]=1
      todo+=("$dep")
      packages+=("$dep")
    done
  done
  mkdir -p "$cache"
  for pkg in "${packages[@]}"; do
    compgen -G "$cache/${pkg}_*.deb" >/dev/null || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "downloading ${missing[*]} into $cache"
    # As root: apt's sandbox user _apt may not write to DIR.
    (cd "$cache" && apt-get download -q -o APT::Sandbox::User=root "${missing[@]}" >/dev/null)
  fi
  NGINX_DEBS=()
  for pkg in "${packages[@]}"; do
    debs=("$cache/${pkg}_"*.deb)
    NGINX_DEBS+=("${debs[-1]}")
  done
}

build_nginx_real() {
  unpack base nginx-real
  local root=$BUILD/nginx-real/rootfs deb version check
  nginx_debs
  for deb in "${NGINX_DEBS[@]}"; do
    dpkg-deb -x "$deb" "$root"
    case $deb in */nginx_*) version=$(dpkg-deb -f "$deb" Version) ;; esac
  done
  # What a container does not use: documentation, Debian's service files and site layout, iconv's charsets (8 MB).
  rm -rf "$root"/usr/share/{doc,man,lintian,apport,vim} "$root"/usr/lib/x86_64-linux-gnu/gconv \
    "$root"/etc/{default,init.d,logrotate.d,ufw} "$root"/lib/systemd \
    "$root"/etc/nginx/{sites-*,modules-*,snippets,koi-utf,koi-win,win-utf}
  printf 'nginx:x:101:101:nginx user:/nonexistent:/bin/false\n' >>"$root/etc/passwd"
  printf 'nginx:x:101:\n' >>"$root/etc/group"
  printf '%s: files\n' passwd group shadow networks protocols services >"$root/etc/nsswitch.conf"
  printf 'hosts: files dns\n' >>"$root/etc/nsswitch.conf"
  # Debian's compiled-in paths: temporary files under /var/lib/nginx, pid in /run, the error log before the
  # configuration is read in /var/log/nginx. /var/cache/nginx is where the official image keeps them.
  mkdir -p "$root"/var/lib/nginx/{body,proxy,fastcgi,uwsgi,scgi} "$root"/var/{cache,log}/nginx "$root/run"
  chown 101:101 "$root"/var/lib/nginx/{body,proxy,fastcgi,uwsgi,scgi} "$root/var/cache/nginx"
  chmod 0700 "$root"/var/lib/nginx/{body,proxy,fastcgi,uwsgi,scgi}
  ln -sf /dev/stdout "$root/var/log/nginx/access.log"
  ln -sf /dev/stderr "$root/var/log/nginx/error.log"
  put "$root" etc/nginx/nginx.conf 0644 <<'EOF'
user  nginx;
worker_processes  auto;

error_log  /var/log/nginx/error.log notice;
pid        /run/nginx.pid;

events {
    worker_connections  1024;
}

http {
    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;

    log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';

    access_log  /var/log/nginx/access.log  main;

    sendfile        on;

    keepalive_timeout  65;

    include /etc/nginx/conf.d/*.conf;
}
EOF
  # No `listen [::]:80`: nginx would not start in a pod without IPv6 (the official image adds it when IPv6 works).
  put "$root" etc/nginx/conf.d/default.conf 0644 <<'EOF'
server {
    listen       80;
    server_name  localhost;

    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }

    error_page   500 502 503 504  /50x.html;
    location = /50x.html {
        root   /usr/share/nginx/html;
    }
}
EOF
  # index.html is nginx-common's "Welcome to nginx!" page; 50x.html as in the official image.
  put "$root" usr/share/nginx/html/50x.html 0644 <<'EOF'
<!DOCTYPE html>
<html>
<head><title>Error</title></head>
<body>
<h1>An error occurred.</h1>
<p>Sorry, the page you are looking for is currently unavailable.<br/>Please try again later.</p>
</body>
</html>
EOF
  head -c 1024 /dev/zero | put "$root" usr/share/nginx/html/1k.bin 0644   # a fixed 1 KiB response for benchmarks
  # The libraries resolve (nginx -V exits before it opens any file): a missing one would otherwise show up only
  # when a pod starts.
  check=$(chroot "$root" /usr/sbin/nginx -V 2>&1) || true
  if [[ "$check" != "nginx version: nginx/"* ]]; then
    log "the nginx from the .debs does not run in the image's root: $check"
    exit 1
  fi
  repack nginx-real nginx-real
  umoci config --image "$LAYOUT:nginx-real" --config.env "$PATH_ENV" --config.env "NGINX_VERSION=${version%%-*}" \
    --config.exposedports 80/tcp --config.stopsignal SIGQUIT \
    --config.cmd nginx --config.cmd -g --config.cmd 'daemon off;' \
    --config.label "dev.skiff.test-images=$STAMP" --history.comment "Debian nginx $version from its .debs"
}

# python: a shell, not Python. `python`/`python3` say so and exit 127, so a pod running `python app.py` fails with
# a message that explains why instead of "executable not found".
build_python() {
  unpack base python
  local root=$BUILD/python/rootfs
  put "$root" usr/local/bin/python3 0755 <<'EOF'
#!/bin/sh
echo "python3: this is a Skiff test stand-in for the python image (busybox sh only); there is no interpreter" >&2
exit 127
EOF
  ln -s python3 "$root/usr/local/bin/python"
  repack python python
  umoci config --image "$LAYOUT:python" --config.env "$PATH_ENV" --config.cmd sh \
    --config.label "dev.skiff.test-images=$STAMP" --history.comment "stand-in: busybox sh, no Python"
}

# postgres, mysql, redis: ENTRYPOINT docker-entrypoint.sh and CMD the server, as the real images. The server (or
# flags for it) becomes a TCP listener on the real port (busybox nc: it accepts each connection and closes it, so
# TCP probes and "wait for port" loops pass; no protocol is spoken); any other command runs as given.
build_listener() {  # name server port
  local name=$1 server=$2 port=$3
  unpack base "$name"
  local root=$BUILD/$name/rootfs
  put "$root" usr/local/bin/docker-entrypoint.sh 0755 <<EOF
#!/bin/sh
# Stand-in for $name's entrypoint (a Skiff test image): TCP port \${STANDIN_PORT:-$port} accepts and closes.
case "\${1:-$server}" in
  $server|-*) ;;
  *) exec "\$@" ;;
esac
pid=
trap 'kill \$pid 2>/dev/null; exit 0' TERM INT
nc -ll -p "\${STANDIN_PORT:-$port}" -e true &
pid=\$!
wait \$pid
EOF
  ln -s docker-entrypoint.sh "$root/usr/local/bin/$server"
  repack "$name" "$name"
  umoci config --image "$LAYOUT:$name" --config.env "$PATH_ENV" --config.exposedports "$port/tcp" \
    --config.entrypoint docker-entrypoint.sh --config.cmd "$server" \
    --config.label "dev.skiff.test-images=$STAMP" --history.comment "stand-in: busybox nc on port $port"
}

# registry.k8s.io/pause: the pod sandbox (containerd's `sandbox_image`). Our own pause, like Kubernetes' pause.c:
# it sleeps, exits 0 on SIGINT/SIGTERM and reaps the zombies of the pod's PID namespace. The only file in the image.
build_pause() {
  umoci new --image "$LAYOUT:pause"
  unpack pause pause
  cat >"$BUILD/pause.c" <<'EOF'
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int sig) { (void)sig; _exit(0); }
static void reap(int sig) { (void)sig; while (waitpid(-1, NULL, WNOHANG) > 0) {} }

int main(void) {
  struct sigaction term = {.sa_handler = stop}, child = {.sa_handler = reap, .sa_flags = SA_NOCLDSTOP | SA_RESTART};
  if (sigaction(SIGINT, &term, NULL) < 0 || sigaction(SIGTERM, &term, NULL) < 0 || sigaction(SIGCHLD, &child, NULL) < 0)
    return 1;
  for (;;) pause();
}
EOF
  gcc -static -Os -s -o "$BUILD/pause/rootfs/pause" "$BUILD/pause.c"
  repack pause pause
  umoci config --image "$LAYOUT:pause" --config.entrypoint /pause --config.user 65535:65535 \
    --config.label "dev.skiff.test-images=$STAMP" --history.comment "stand-in: a static pause"
}

build_all() {
  BUILD="$DIR/build"
  LAYOUT="$BUILD/oci"
  rm -rf "$BUILD"
  mkdir -p "$BUILD"
  umoci init --layout "$LAYOUT"
  build_base
  build_busybox
  build_nginx
  build_nginx_real
  build_python
  build_listener postgres postgres 5432
  build_listener mysql mysqld 3306
  build_listener redis redis-server 6379
  build_pause
}

# --- main ----------------------------------------------------------------------------------------------------------

require_tools
mkdir -p "$DIR"
exec 9>"$DIR/lock"
flock 9    # one run at a time per DIR: a second waits, then finds everything pushed
start_registry

stale=()
for entry in "${IMAGES[@]}"; do
  read -r -a words <<<"$entry"
  repo=${words[0]} standin=${words[-1]}
  for tag in "${words[@]:1:${#words[@]}-2}"; do
    pushed "$repo" "$tag" || stale+=("$standin $repo:$tag")
  done
done
if [ ${#stale[@]} -eq 0 ]; then
  log "all images are in http://$REGISTRY (version $STAMP)"
  exit 0
fi

log "building ${#stale[@]} image references (version $STAMP)"
build_all
for item in "${stale[@]}"; do
  read -r standin ref <<<"$item"
  skopeo copy -q --dest-tls-verify=false "oci:$LAYOUT:$standin" "docker://$REGISTRY/$ref"
  log "pushed $REGISTRY/$ref"
done
