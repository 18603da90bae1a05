#!/usr/bin/env python3
"""The cluster DNS on a real node against unbound, side by side in one run: a `skiff server` and a separate
`skiff agent` (its own process, so its memory is its own) whose DNS answers from its informer cache, and unbound
(Debian's) serving the same names from local data on a loopback address of its own, also the node's upstream.

Reports, for each server, from dnsperf (Debian's; a fixed number of queries in flight, 15 s):
- queries/s and p50/p99 latency for cluster names (`svc-N.default.svc.cluster.local A`, 1 000 Services), and the
  latency at a steady 20 000 queries/s;
- the same for names outside the cluster, which the node forwards to unbound and then answers from its cache;
- the node's answers through the kube-dns ClusterIP (the path pods take) beside its own address;
- the agent's RSS with 1 000 and with 10 000 Services.
Not a test: it asserts nothing. Needs root, containerd, runc, the CNI plugins, nftables, unbound and dnsperf
(`apt-get install unbound dnsperf`).

Usage: SKIFF_BIN=.build/release/skiff python3 bench/dns_bench.py
"""
import json
import os
import pathlib
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from agent_bench import rss_mib, wait  # noqa: E402
from api_server_bench import BIN, Skiff  # noqa: E402

NODE = "dns-bench-node"
# A pod range and an upstream address of their own, so that the benchmark can run beside a test cluster.
CLUSTER_CIDR = "10.58.0.0/16"
UPSTREAM = "127.0.0.78"
CLUSTER_DNS = "10.43.0.10"
SERVICES_SMALL = int(os.environ.get("DNS_BENCH_SERVICES", "1000"))
SERVICES_LARGE = int(os.environ.get("DNS_BENCH_SERVICES_LARGE", "10000"))
OUTSIDE_NAMES = 100
SECONDS = 15
# A steady load well below either server's limit, where latency is the server's and not a queue's.
STEADY_RATE = 20000


def create_services(skiff, start, stop):
    """Selectorless ClusterIP Services `svc-<i>`; their addresses by name."""
    connection = skiff.connection()
    addresses = {}
    for index in range(start, stop):
        service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"svc-{index}", "namespace": "default"},
                   "spec": {"ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}}
        _, body = skiff.request("POST", "/api/v1/namespaces/default/services", service, connection=connection)
        addresses[f"svc-{index}"] = json.loads(body)["spec"]["clusterIP"]
    return addresses


def start_unbound(work, addresses):
    """unbound on UPSTREAM:53 with the cluster's names as local data, and OUTSIDE_NAMES names of a zone of its own."""
    lines = ["server:", f"  interface: {UPSTREAM}", "  port: 53", "  do-daemonize: no", "  use-syslog: no", "  username: \"\"",
             "  chroot: \"\"", "  num-threads: 1", "  access-control: 127.0.0.0/8 allow", "  do-ip6: no", "  logfile: \"\"",
             f"  pidfile: \"{work}/unbound.pid\"", "  local-zone: \"cluster.local.\" static", "  local-zone: \"bench.test.\" static"]
    lines += [f"  local-data: \"{name}.default.svc.cluster.local. 5 IN A {address}\"" for name, address in addresses.items()]
    lines += [f"  local-data: \"host-{index}.bench.test. 300 IN A 192.0.2.{index % 250 + 1}\"" for index in range(OUTSIDE_NAMES)]
    config = work / "unbound.conf"
    config.write_text("\n".join(lines) + "\n")
    process = subprocess.Popen(["unbound", "-d", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=open(work / "unbound.log", "w"))
    wait(lambda: "192.0.2.1" in dig(UPSTREAM, "host-0.bench.test"))
    return process


def dig(server, name, record_type="A"):
    return subprocess.run(["dig", f"@{server}", "+short", "+time=1", "+tries=1", name, record_type], capture_output=True, text=True).stdout


def dnsperf(server, names, rate=None):
    """Queries/s and p50/p99 latency (ms) from one dnsperf run over `names` in random order: as fast as the server
    answers, or at `rate` queries/s."""
    data = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
    shuffled = list(names)
    random.shuffle(shuffled)
    data.write("".join(f"{name} A\n" for name in shuffled))
    data.close()
    result = subprocess.run(["dnsperf", "-s", server, "-d", data.name, "-l", str(SECONDS), "-c", "4", "-q", "64", "-v"]
                            + (["-Q", str(rate)] if rate else []),
                            capture_output=True, text=True)
    os.unlink(data.name)
    latencies = sorted(float(match) for match in re.findall(r"^> \S+ \S+ \S+ ([\d.]+)$", result.stdout, re.MULTILINE))
    measured = float(re.search(r"Queries per second:\s+([\d.]+)", result.stdout).group(1))
    lost = re.search(r"Queries lost:\s+(\d+)", result.stdout).group(1)

    def percentile(fraction):
        return round(latencies[min(len(latencies) - 1, int(len(latencies) * fraction))] * 1000, 3) if latencies else None
    return {"qps": round(measured), "p50_ms": percentile(0.5), "p99_ms": percentile(0.99), "lost": int(lost)}


def main():
    for tool in ("unbound", "dnsperf", "dig"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is needed: apt-get install unbound dnsperf bind9-dnsutils")
    work = pathlib.Path(tempfile.mkdtemp(prefix="skiff-dns-bench-"))
    (work / "resolv.conf").write_text(f"nameserver {UPSTREAM}\n")
    skiff = Skiff(["--cluster-cidr", CLUSTER_CIDR])
    skiff.start()
    token = (skiff.dir / "server" / "token").read_text().strip()
    agent = subprocess.Popen([BIN, "agent", "--server", f"https://127.0.0.1:{skiff.port}", "--token", token, "--data-dir", str(work / "agent"),
                              "--node-name", NODE, "--cluster-cidr", CLUSTER_CIDR, "--resolv-conf", str(work / "resolv.conf"),
                              "--proxy-metrics-address", "", "--stop-pods-on-exit"],
                             stdout=subprocess.PIPE, stderr=open(work / "agent.log", "w"), text=True)
    agent.stdout.readline()
    unbound = None
    results = {"binary": BIN, "agent_log": str(work / "agent.log")}
    try:
        def node_dns():
            status, body = skiff.request("GET", f"/api/v1/nodes/{NODE}")
            return json.loads(body)["metadata"].get("annotations", {}).get("skiff.dev/cluster-dns") if status == 200 else None
        wait(lambda: node_dns(), timeout=120)
        node_address = node_dns()
        began = time.perf_counter()
        addresses = create_services(skiff, 0, SERVICES_SMALL)
        results[f"create_{SERVICES_SMALL}_services_s"] = round(time.perf_counter() - began, 1)
        unbound = start_unbound(work, addresses)
        last = f"svc-{SERVICES_SMALL - 1}.default.svc.cluster.local"
        wait(lambda: dig(node_address, last).strip() == addresses[f"svc-{SERVICES_SMALL - 1}"], timeout=120)
        wait(lambda: dig(CLUSTER_DNS, last).strip() == addresses[f"svc-{SERVICES_SMALL - 1}"], timeout=120)

        cluster_names = [f"{name}.default.svc.cluster.local" for name in addresses]
        outside_names = [f"host-{index}.bench.test" for index in range(OUTSIDE_NAMES)]
        for name in outside_names:
            dig(node_address, name)
        results["cluster_names"] = {
            "skiff_node_address": dnsperf(node_address, cluster_names),
            "skiff_through_cluster_ip": dnsperf(CLUSTER_DNS, cluster_names),
            "unbound_local_data": dnsperf(UPSTREAM, cluster_names),
        }
        results[f"cluster_names_at_{STEADY_RATE}_qps"] = {
            "skiff_node_address": dnsperf(node_address, cluster_names, STEADY_RATE),
            "unbound_local_data": dnsperf(UPSTREAM, cluster_names, STEADY_RATE),
        }
        results["outside_names_cached"] = {
            "skiff_node_address": dnsperf(node_address, outside_names),
            "unbound_local_data": dnsperf(UPSTREAM, outside_names),
        }
        results["cluster_names_qps_ratio_skiff_to_unbound"] = round(
            results["cluster_names"]["skiff_node_address"]["qps"] / results["cluster_names"]["unbound_local_data"]["qps"], 2)
        results[f"agent_rss_mib_with_{SERVICES_SMALL}_services"] = round(rss_mib(agent.pid), 1)
        results[f"unbound_rss_mib_with_{SERVICES_SMALL}_names"] = round(rss_mib(unbound.pid), 1)

        if SERVICES_LARGE > SERVICES_SMALL:
            began = time.perf_counter()
            more = create_services(skiff, SERVICES_SMALL, SERVICES_LARGE)
            results[f"create_{SERVICES_LARGE - SERVICES_SMALL}_more_services_s"] = round(time.perf_counter() - began, 1)
            name, address = list(more.items())[-1]
            wait(lambda: dig(node_address, f"{name}.default.svc.cluster.local").strip() == address, timeout=300)
            time.sleep(5)
            results[f"agent_rss_mib_with_{SERVICES_LARGE}_services"] = round(rss_mib(agent.pid), 1)
    finally:
        agent.terminate()
        try:
            agent.wait(60)
        except subprocess.TimeoutExpired:
            agent.kill()
        if unbound:
            unbound.terminate()
            unbound.wait(10)
        skiff.stop()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
