#!/usr/bin/env python3
"""The built-in ingress on a real node against nginx, side by side in one run: a `skiff server` with its own node
agent serving an Ingress (host bench.example.com, path / Prefix, TLS from a `kubernetes.io/tls` Secret) in front of
a Deployment of two pods of Debian's nginx (scripts/test-images.sh's skiff-test/nginx-real), and Debian's nginx on
the host (a process of its own, not the system service) as a reverse proxy to the same two pods: an upstream with
`keepalive 64`, HTTP/1.1, the forwarding headers ingress-nginx sets, as many workers as cores (Skiff runs one event
loop per core). Both terminate TLS (1.2 and 1.3) with the same self-signed certificate for bench.example.com, chosen
by SNI (wrk connects to 127.0.0.1 but names bench.example.com: its resolver is replaced by a Lua script), and serve
plain HTTP too (the Ingress says `ssl-redirect: "false"`).

Reports, for each proxy, from wrk (Debian's; 2 threads, 64 connections, 15 s, keep-alive, GET /1k.bin with Host
bench.example.com, a 1024-byte file):
- requests/s, p50/p90/p99 latency, socket errors and non-2xx/3xx answers, over HTTP and over HTTPS, and the same
  for one pod asked directly (the backend's own ceiling, one pod where the proxies spread over two);
- the proxy's CPU time per request (the Skiff server process, whose other parts are idle meanwhile; nginx's master
  and workers), a figure less disturbed than requests/s by other work on the machine, and the CPU time processes
  not this benchmark's used during the run (all cores, out of 2 x 15 s here): a sign of such work;
- the ratios Skiff/nginx of requests/s, p99 and CPU per request;
- memory: the Skiff server's RSS idle (after setup, before load) and right after its HTTP and HTTPS runs — the
  ingress runs inside the server process, so this is the API server, controllers, node agent and ingress together
  (containerd is a process of its own, not counted) — and nginx's RSS (master + workers) likewise;
- the ingress' own request counts by status from its /metrics, and the TLS version and cipher each side chose.
The pods' nginx logs no requests (a ConfigMap replaces conf.d/default.conf with `access_log off`), nor does the host
nginx, as the Skiff ingress keeps no access log. Not a test: it asserts nothing. Needs root, containerd, runc, the
CNI plugins, nftables, openssl, curl, kubectl, wrk (`apt-get install wrk`) and nginx (`apt-get install nginx`; without
it, the nginx binary is unpacked from the .deb scripts/test-images.sh keeps, which runs on Debian 12).

Usage: SKIFF_BIN=.build/release/skiff python3 bench/ingress_bench.py
"""
import glob
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from agent_bench import rss_mib, wait  # noqa: E402
from api_server_bench import BIN, Skiff  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
NODE = "ingress-bench-node"
# A pod range and ports of their own, so that the benchmark can run beside a test cluster on the same machine.
CLUSTER_CIDR = "10.59.0.0/16"
SKIFF_HTTP, SKIFF_HTTPS, SKIFF_METRICS = 18080, 18443, 18254
NGINX_HTTP, NGINX_HTTPS = 18081, 18444
HOST = "bench.example.com"
IMAGE = "127.0.0.1:5000/skiff-test/nginx-real:1.22"
URL_PATH = "/1k.bin"
SECONDS = int(os.environ.get("INGRESS_BENCH_SECONDS", "15"))
WARMUP_SECONDS = 3
THREADS, CONNECTIONS = 2, 64
TEST_REGISTRY_DIR = os.environ.get("SKIFF_TEST_REGISTRY_DIR", "/var/lib/skiff-test-registry")

# wrk connects to the address its resolver returns and sends the URL's host as the TLS server name: resolving
# bench.example.com to 127.0.0.1 lets it ask for https://bench.example.com:PORT without /etc/hosts.
WRK_RESOLVER = f"""
function wrk.resolve(host, service)
   if host == "{HOST}" then host = "127.0.0.1" end
   wrk.addrs = wrk.lookup(host, service)
end
"""

BACKEND_CONF = """server {
    listen       80;
    server_name  localhost;
    access_log   off;

    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }
}
"""


def manifests(tls_secret):
    """The ConfigMap, Deployment, Service and Ingress, as one kubectl List."""
    labels = {"app": "web"}
    items = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-conf"}, "data": {"default.conf": BACKEND_CONF}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
         "spec": {"replicas": 2, "selector": {"matchLabels": labels},
                  "template": {"metadata": {"labels": labels},
                               "spec": {"nodeName": NODE, "terminationGracePeriodSeconds": 2,
                                        "containers": [{"name": "nginx", "image": IMAGE, "imagePullPolicy": "IfNotPresent",
                                                        "ports": [{"name": "http", "containerPort": 80}],
                                                        "readinessProbe": {"httpGet": {"path": URL_PATH, "port": 80}, "periodSeconds": 1},
                                                        "volumeMounts": [{"name": "conf", "mountPath": "/etc/nginx/conf.d"}]}],
                                        "volumes": [{"name": "conf", "configMap": {"name": "web-conf"}}]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
         "spec": {"selector": labels, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}},
        # Plain HTTP is served, not redirected to HTTPS (ingress-nginx's default for a host with TLS).
        {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
         "metadata": {"name": "web", "annotations": {"nginx.ingress.kubernetes.io/ssl-redirect": "false"}},
         "spec": {"ingressClassName": "skiff", "tls": [{"hosts": [HOST], "secretName": tls_secret}],
                  "rules": [{"host": HOST, "http": {"paths": [{"path": "/", "pathType": "Prefix",
                                                               "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}},
    ]
    return {"apiVersion": "v1", "kind": "List", "items": items}


class NodeSkiff(Skiff):
    """api_server_bench's Skiff with the server's own node agent (the ingress runs only beside it) and its log kept."""

    def __init__(self, extra_args, log):
        super().__init__(extra_args)
        self.log = log

    def start(self):
        self.process = subprocess.Popen([BIN, "server", "--data-dir", str(self.dir), "--https-listen-port", str(self.port)] + self.extra_args,
                                        stdout=subprocess.PIPE, stderr=open(self.log, "w"), text=True)
        line = self.process.stdout.readline()
        if "running at" not in line:
            raise RuntimeError(f"skiff server did not start: {line!r}; see {self.log}")
        self._load_tls()
        wait(lambda: self._ready(), timeout=60)

    def _ready(self):
        try:
            return self.request("GET", "/readyz") == (200, b"ok")
        except OSError:
            return False

    def kubectl(self, *args, input=None, check=True):
        result = subprocess.run(["kubectl", *args], input=input, capture_output=True, text=True, timeout=60,
                                env={**os.environ, "KUBECONFIG": str(self.dir / "kubeconfig.yaml")})
        if check and result.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)} failed: {result.stderr.strip()}")
        return result


def own_processes(data_dir):
    """(pid, command line) of the containerd and shims started for this data directory."""
    found = []
    for line in subprocess.run(["pgrep", "-fa", "containerd"], capture_output=True, text=True).stdout.splitlines():
        pid, _, command = line.partition(" ")
        if f"{data_dir}/" in command:
            found.append((int(pid), command))
    return found


def kill_leftovers(data_dir):
    """After a server that did not stop cleanly: its containerd, the shims and the containers under them."""
    for pid, command in own_processes(data_dir):
        if "containerd-shim" in command:
            for child in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split():
                try:
                    os.kill(int(child), signal.SIGKILL)
                except ProcessLookupError:
                    pass
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def nginx_binary(work):
    """The host's nginx, or the one from the .deb scripts/test-images.sh downloaded, unpacked under `work`."""
    if shutil.which("nginx"):
        return shutil.which("nginx"), "installed"
    debs = sorted(glob.glob(f"{TEST_REGISTRY_DIR}/debs/nginx_*.deb"))
    if not debs:
        sys.exit("nginx is needed: apt-get install nginx (or run scripts/test-images.sh, which keeps its .deb)")
    subprocess.run(["dpkg-deb", "-x", debs[-1], str(work / "nginx-root")], check=True)
    return str(work / "nginx-root" / "usr" / "sbin" / "nginx"), f"unpacked from {debs[-1]}"


def start_nginx(binary, work, pod_ips, certificate, key):
    """nginx as a reverse proxy to the pods on NGINX_HTTP and NGINX_HTTPS, its files under work/nginx."""
    prefix = work / "nginx"
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / "temp" / name).mkdir(parents=True, exist_ok=True)
    servers = "".join(f"        server {ip}:80;\n" for ip in pod_ips)
    forwarding = "".join(f"            proxy_set_header {name} {value};\n" for name, value in (
        ("Host", "$host"), ("Connection", '""'), ("X-Real-IP", "$remote_addr"), ("X-Forwarded-For", "$remote_addr"),
        ("X-Forwarded-Host", "$host"), ("X-Forwarded-Port", "$server_port"), ("X-Forwarded-Proto", "$scheme"),
        ("X-Forwarded-Scheme", "$scheme"), ("X-Scheme", "$scheme")))
    config = prefix / "nginx.conf"
    config.write_text(f"""user root;
worker_processes {os.cpu_count()};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;

events {{
    worker_connections 4096;
}}

http {{
    access_log off;
    client_body_temp_path {prefix}/temp/body;
    proxy_temp_path {prefix}/temp/proxy;
    fastcgi_temp_path {prefix}/temp/fastcgi;
    uwsgi_temp_path {prefix}/temp/uwsgi;
    scgi_temp_path {prefix}/temp/scgi;

    upstream web {{
{servers}        keepalive 64;
    }}

    server {{
        listen 127.0.0.1:{NGINX_HTTP};
        listen 127.0.0.1:{NGINX_HTTPS} ssl;
        server_name {HOST};
        # As ingress-nginx: nginx 1.22 offers no TLS 1.3 unless told.
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_certificate {certificate};
        ssl_certificate_key {key};

        location / {{
            proxy_pass http://web;
            proxy_http_version 1.1;
{forwarding}        }}
    }}
}}
""")
    return subprocess.Popen([binary, "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(config), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=open(prefix / "stderr.log", "w"))


def process_tree(pid):
    return [pid] + [int(child) for child in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()]


def processes():
    """{pid: (parent pid, CPU seconds of all its threads, the same with its reaped children's)} of every process."""
    table = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            own = (int(fields[11]) + int(fields[12])) / tick
            table[int(entry)] = (int(fields[1]), own, own + (int(fields[13]) + int(fields[14])) / tick)
    return table


def descendants(roots, table):
    found, todo = set(), list(roots)
    while todo:
        pid = todo.pop()
        if pid in table and pid not in found:
            found.add(pid)
            todo += [child for child, (parent, _, _) in table.items() if parent == pid]
    return found


class CPUAccount:
    """CPU time during a run: the proxy's, and that of the processes that are not this benchmark's (the Skiff server
    with its containerd, the pods' shims and containers, nginx, this script with wrk), with the children they reaped
    meanwhile (compilers, test clients), kernel threads left out: a sign of other work on the machine disturbing it."""

    def __init__(self, data_dir, roots):
        self.data_dir, self.roots = data_dir, list(roots) + [os.getpid()]

    def snapshot(self):
        table = processes()
        shims = [pid for pid, command in own_processes(self.data_dir) if "containerd-shim" in command]
        return {"table": table, "ours": descendants(self.roots + shims, table)}

    @staticmethod
    def used(before, after, pids, column=1):
        return sum(after["table"][pid][column] - (before["table"][pid][column] if pid in before["table"] else 0)
                   for pid in pids if pid in after["table"])

    def other_seconds(self, before, after):
        others = [pid for pid, (parent, _, _) in after["table"].items()
                  if pid not in after["ours"] and pid not in before["ours"] and pid != 2 and parent != 2]
        return self.used(before, after, others, column=2)


def fetch(url, port=None, certificate=None):
    """(HTTP status, body bytes) of one curl request with Host bench.example.com; (0, 0) when it failed."""
    command = ["curl", "-s", "-o", "/dev/null", "-m", "5", "-w", "%{http_code} %{size_download}", "-H", f"Host: {HOST}"]
    if certificate:
        command += ["--cacert", str(certificate), "--resolve", f"{HOST}:{port}:127.0.0.1"]
    output = subprocess.run(command + [url], capture_output=True, text=True).stdout.split()
    return (int(output[0]), int(output[1])) if len(output) == 2 else (0, 0)


def wait_for_file(url, port=None, certificate=None, timeout=60):
    """Until `url` answers 200 with the 1024 bytes; fails naming the last answer."""
    last = []

    def answered():
        last[:] = [fetch(url, port, certificate)]
        return last[0] == (200, 1024)
    try:
        wait(answered, timeout=timeout)
    except RuntimeError:
        raise RuntimeError(f"{url} did not answer 200 with 1024 bytes in {timeout} s; the last answer (status, bytes): {last[0]}") from None


def tls_choice(port):
    """The protocol and cipher a client offering what OpenSSL offers by default gets, with SNI bench.example.com."""
    result = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", HOST, "-brief"],
                            input="", capture_output=True, text=True, timeout=10)
    protocol = re.search(r"Protocol version: (\S+)", result.stderr)
    cipher = re.search(r"Ciphersuite: (\S+)", result.stderr)
    subject = re.search(r"Peer certificate: (.*)", result.stderr)
    return {"protocol": protocol and protocol.group(1), "cipher": cipher and cipher.group(1),
            "certificate": subject and subject.group(1).strip()}


def wrk(url, script, seconds):
    result = subprocess.run(["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-H", f"Host: {HOST}", "-s", str(script), url],
                            capture_output=True, text=True)
    return result.stdout + result.stderr


def milliseconds(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return round(float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit], 3)


def measure(url, script, account, proxy=None):
    """One warm-up, then one measured wrk run: requests/s, latency percentiles, errors, the CPU time the processes
    `proxy` returns used, and that of processes not this benchmark's."""
    wrk(url, script, WARMUP_SECONDS)
    before = account.snapshot()
    output = wrk(url, script, SECONDS)
    after = account.snapshot()
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if not rate:
        return {"url": url, "failed": output.strip()[-500:]}
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    result = {"url": url, "requests_per_s": round(float(rate.group(1))), "requests": requests,
              "other_processes_cpu_s": round(account.other_seconds(before, after), 2)}
    for percent in ("50", "90", "99"):
        match = re.search(rf"^\s+{percent}(?:\.0+)?%\s+(\S+)", output, re.MULTILINE)
        result[f"p{percent}_ms"] = milliseconds(match.group(1)) if match else None
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    result["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"), map(int, errors.groups()))) if errors else {}
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["non_2xx_3xx"] = int(non_2xx.group(1)) if non_2xx else 0
    if proxy:
        cpu = account.used(before, after, proxy())
        result["proxy_cpu_s"] = round(cpu, 2)
        result["proxy_cpu_us_per_request"] = round(cpu / requests * 1e6, 1) if requests else None
    return result


def ingress_requests(skiff):
    """The ingress' request counts by status from its /metrics."""
    text = subprocess.run(["curl", "-s", "-m", "5", f"http://127.0.0.1:{SKIFF_METRICS}/metrics"], capture_output=True, text=True).stdout
    counts = {}
    for status, count in re.findall(r'^nginx_ingress_controller_requests\{[^}]*status="(\d+)"\} (\d+)', text, re.MULTILINE):
        counts[status] = counts.get(status, 0) + int(count)
    return counts


def main():
    for tool in ("wrk", "curl", "openssl", "kubectl", "containerd"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is needed: apt-get install wrk curl openssl kubectl containerd")
    subprocess.run(["bash", str(ROOT / "scripts" / "test-images.sh")], check=True, capture_output=True)
    work = pathlib.Path(tempfile.mkdtemp(prefix="skiff-ingress-bench-"))
    nginx_bin, nginx_origin = nginx_binary(work)
    registries = work / "registries.yaml"
    registries.write_text('mirrors:\n  docker.io:\n    endpoint: ["http://127.0.0.1:5000"]\n'
                          '  registry.k8s.io:\n    endpoint: ["http://127.0.0.1:5000"]\n')
    certificate, key = work / "tls.crt", work / "tls.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={HOST}",
                    "-addext", f"subjectAltName=DNS:{HOST}", "-keyout", str(key), "-out", str(certificate)],
                   check=True, capture_output=True)
    script = work / "resolve.lua"
    script.write_text(WRK_RESOLVER)

    skiff = NodeSkiff(["--node-name", NODE, "--cluster-cidr", CLUSTER_CIDR, "--private-registry", str(registries),
                       "--ingress-http-port", str(SKIFF_HTTP), "--ingress-https-port", str(SKIFF_HTTPS),
                       "--ingress-metrics-address", f"127.0.0.1:{SKIFF_METRICS}", "--proxy-metrics-address", "", "--stop-pods-on-exit"],
                      log=work / "server.log")
    results = {"binary": BIN, "server_log": str(skiff.log), "nginx": f"{nginx_bin} ({nginx_origin})",
               "wrk": f"-t{THREADS} -c{CONNECTIONS} -d{SECONDS}s --latency, GET {URL_PATH} (1024 bytes), Host {HOST}, keep-alive",
               "cpus": os.cpu_count()}
    nginx = None
    try:
        skiff.start()
        wait(lambda: skiff.kubectl("get", "node", NODE, "-o", "jsonpath={.status.conditions[?(@.type=='Ready')].status}", check=False).stdout == "True",
             timeout=120)
        skiff.kubectl("create", "secret", "tls", "bench-tls", "--cert", str(certificate), "--key", str(key))
        skiff.kubectl("apply", "-f", "-", input=json.dumps(manifests("bench-tls")))

        def ready_pod_ips():
            pods = json.loads(skiff.kubectl("get", "pods", "-l", "app=web", "-o", "json").stdout)["items"]
            return sorted(pod["status"]["podIP"] for pod in pods
                          if any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", [])))
        wait(lambda: len(ready_pod_ips()) == 2, timeout=180)
        pod_ips = ready_pod_ips()
        results["pod_ips"] = pod_ips
        nginx = start_nginx(nginx_bin, work, pod_ips, certificate, key)

        skiff_http, nginx_http = f"http://127.0.0.1:{SKIFF_HTTP}{URL_PATH}", f"http://127.0.0.1:{NGINX_HTTP}{URL_PATH}"
        # The URL's host is the TLS server name; WRK_RESOLVER sends the connections to 127.0.0.1.
        skiff_https, nginx_https = f"https://{HOST}:{SKIFF_HTTPS}{URL_PATH}", f"https://{HOST}:{NGINX_HTTPS}{URL_PATH}"
        wait_for_file(skiff_http)
        wait_for_file(nginx_http, timeout=30)
        # Verified against the bench certificate: the ingress chose the Secret's certificate by SNI.
        wait_for_file(skiff_https, SKIFF_HTTPS, certificate)
        wait_for_file(nginx_https, NGINX_HTTPS, certificate, timeout=30)
        results["tls"] = {"skiff": tls_choice(SKIFF_HTTPS), "nginx": tls_choice(NGINX_HTTPS)}

        time.sleep(5)
        results["rss_mib"] = {"skiff_server_idle": round(rss_mib(skiff.process.pid), 1),
                              "nginx_idle": round(sum(rss_mib(pid) for pid in process_tree(nginx.pid)), 1)}
        nginx_pids = process_tree(nginx.pid)
        account = CPUAccount(skiff.dir, [skiff.process.pid, nginx.pid])

        def skiff_pids():
            return [skiff.process.pid]

        def nginx_tree():
            return nginx_pids

        runs = results["runs"] = {}
        runs["pod_direct_http"] = measure(f"http://{pod_ips[0]}{URL_PATH}", script, account)
        runs["skiff_http"] = measure(skiff_http, script, account, skiff_pids)
        results["rss_mib"]["skiff_server_after_http"] = round(rss_mib(skiff.process.pid), 1)
        runs["nginx_http"] = measure(nginx_http, script, account, nginx_tree)
        results["rss_mib"]["nginx_after_http"] = round(sum(rss_mib(pid) for pid in nginx_pids), 1)
        runs["skiff_https"] = measure(skiff_https, script, account, skiff_pids)
        results["rss_mib"]["skiff_server_after_https"] = round(rss_mib(skiff.process.pid), 1)
        runs["nginx_https"] = measure(nginx_https, script, account, nginx_tree)
        results["rss_mib"]["nginx_after_https"] = round(sum(rss_mib(pid) for pid in nginx_pids), 1)
        results["skiff_ingress_requests_by_status"] = ingress_requests(skiff)

        def ratio(a, b, field):
            return round(runs[a][field] / runs[b][field], 2) if runs[a].get(field) and runs[b].get(field) else None
        results["ratio_skiff_to_nginx"] = {
            "http_requests_per_s": ratio("skiff_http", "nginx_http", "requests_per_s"),
            "https_requests_per_s": ratio("skiff_https", "nginx_https", "requests_per_s"),
            "http_p99": ratio("skiff_http", "nginx_http", "p99_ms"),
            "https_p99": ratio("skiff_https", "nginx_https", "p99_ms"),
            "http_cpu_per_request": ratio("skiff_http", "nginx_http", "proxy_cpu_us_per_request"),
            "https_cpu_per_request": ratio("skiff_https", "nginx_https", "proxy_cpu_us_per_request"),
        }
        results["nginx_http_to_pod_direct"] = ratio("nginx_http", "pod_direct_http", "requests_per_s")
        results["skiff_http_to_pod_direct"] = ratio("skiff_http", "pod_direct_http", "requests_per_s")
    finally:
        if nginx:
            nginx.terminate()
            try:
                nginx.wait(15)
            except subprocess.TimeoutExpired:
                nginx.kill()
                nginx.wait()
        crashed = getattr(skiff, "process", None) is not None and skiff.process.poll() is not None
        if crashed:
            results["server_exited_during_run"] = skiff.process.returncode
        elif getattr(skiff, "process", None) is not None:
            skiff.kubectl("delete", "deployment", "web", "--ignore-not-found", check=False)
            try:
                wait(lambda: not json.loads(skiff.kubectl("get", "pods", "-l", "app=web", "-o", "json", check=False).stdout or '{"items": []}')["items"],
                     timeout=90)
            except RuntimeError:
                results["pods_left_at_shutdown"] = True
            skiff.process.terminate()
            began = time.perf_counter()
            try:
                skiff.process.wait(120)
                results["server_shutdown_s"] = round(time.perf_counter() - began, 1)
                results["server_exit_status"] = skiff.process.returncode
            except subprocess.TimeoutExpired:
                skiff.process.kill()
                skiff.process.wait()
                results["server_shutdown_s"] = "did not stop within 120 s: killed"
        clean = not crashed and results.get("server_exit_status") == 0
        if not clean:
            kill_leftovers(skiff.dir)
        time.sleep(1)
        # This server's containerd and shims (their command lines name its data directory), as `pgrep -fa` lists them.
        left = own_processes(skiff.dir)
        results["containerd_and_shims_left"] = [command for _, command in left]
        errors = [line for line in (open(skiff.log, errors="replace") if skiff.log.exists() else []) if re.search(r"\b(error|critical|fatal|panic)\b", line, re.IGNORECASE)]
        results["server_log_error_lines"] = len(errors)
        results["server_log_error_sample"] = [line.rstrip()[:300] for line in errors[:10]]
        if clean and not left:
            shutil.rmtree(skiff.dir, ignore_errors=True)
        else:
            results["data_dir_kept"] = str(skiff.dir)
        # Also after a failure: what was measured, and whether anything was left behind.
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
