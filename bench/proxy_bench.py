#!/usr/bin/env python3
"""The service proxy (kube-proxy in nftables mode) on a real node: a `skiff server` and a separate `skiff agent` (its
own process, so its memory is its own) whose proxy programs the node's nftables table.

Reports:
- sync latency: an EndpointSlice change to the rule being live in the kernel, probed with connections to the
  ClusterIP (an endpoint added: until a connection is accepted; removed: until one is refused), p50/p99, with 1 000
  Services of 10 endpoints each already programmed;
- a full resync of 10 000 Services (10 endpoints each): from the agent's start to every Service in the kernel;
- the data path: requests/s and p99 latency through the ClusterIP and straight to a pod, same client (wrk) and
  backend image (two pods of it, see below), in one run; the ratio is the figure (target >= 0.95);
- the table's size (rules and map entries) and the agent's RSS with 10 000 Services.
Not a test: it asserts nothing. Needs root, containerd, runc, the CNI plugins, nftables and wrk (`apt-get install
wrk`).

Usage: SKIFF_BIN=.build-release/release/skiff python3 bench/proxy_bench.py
"""
import json
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from agent_bench import rss_mib, wait  # noqa: E402
from api_server_bench import BIN, Skiff  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
NODE = "proxy-bench-node"
# A pod range of its own, so that the benchmark can run beside a test cluster on the same machine.
CLUSTER_CIDR = "10.53.0.0/16"
SERVICES_SMALL, SERVICES_LARGE, ENDPOINTS = 1000, 10000, 10
PROBES = 50


def table_name():
    value = 0xcbf29ce484222325
    for byte in NODE.encode():
        value = ((value ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return "skiff-" + "".join("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[(value >> (5 * index)) & 31] for index in range(8)).lower()


def programmed_services():
    """How many ClusterIP entries the kernel's service map holds."""
    result = subprocess.run(["nft", "-j", "list", "map", "ip", table_name(), "service-ips"], capture_output=True, text=True)
    if result.returncode != 0:
        return 0
    for item in json.loads(result.stdout)["nftables"]:
        if "map" in item:
            return len(item["map"].get("elem", []))
    return 0


def table_size():
    listing = subprocess.run(["nft", "list", "table", "ip", table_name()], capture_output=True, text=True).stdout
    rules = sum(1 for line in listing.splitlines() if line.startswith("\t\t") and not line.strip().startswith(("type ", "policy ", "comment ", "flags ", "timeout ", "elements")))
    entries = listing.count(" : goto ")
    return rules, entries


def selectorless(index, endpoints):
    """A Service without a selector and its EndpointSlice, whose endpoints are made-up pod addresses."""
    name = f"bulk-{index}"
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "default"},
               "spec": {"ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}}
    # Made-up addresses no packet is ever sent to (nothing connects to these Services).
    numbers = [index * endpoints + offset for offset in range(endpoints)]
    addresses = [f"10.{60 + number // 65536}.{number // 256 % 256}.{number % 256}" for number in numbers]
    slice_ = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
              "metadata": {"name": f"{name}-manual", "namespace": "default", "labels": {"kubernetes.io/service-name": name}},
              "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
              "endpoints": [{"addresses": [address], "conditions": {"ready": True}} for address in addresses]}
    return service, slice_


def create_bulk(skiff, start, stop):
    connection = skiff.connection()
    for index in range(start, stop):
        service, slice_ = selectorless(index, ENDPOINTS)
        skiff.request("POST", "/api/v1/namespaces/default/services", service, connection=connection)
        skiff.request("POST", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices", slice_, connection=connection)


def connects(address, port):
    try:
        socket.create_connection((address, port), timeout=1).close()
        return True
    except OSError:
        return False


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def wrk(url):
    out = subprocess.run(["wrk", "-t2", "-c20", "-d10s", "--latency", url], capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    return rate, float(p99.group(1)) * scale


def registries_file(work):
    """A registries.yaml sending the public registries to the local one of scripts/test-images.sh."""
    registries = work / "registries.yaml"
    registries.write_text('mirrors:\n  docker.io:\n    endpoint: ["http://127.0.0.1:5000"]\n'
                          '  registry.k8s.io:\n    endpoint: ["http://127.0.0.1:5000"]\n')
    return registries


def start_agent(skiff, work, registries, node=NODE, cluster_cidr=CLUSTER_CIDR):
    token = (skiff.dir / "server" / "token").read_text().strip()
    agent = subprocess.Popen([BIN, "agent", "--server", f"https://127.0.0.1:{skiff.port}", "--token", token, "--data-dir", str(work),
                              "--node-name", node, "--cluster-cidr", cluster_cidr, "--private-registry", str(registries),
                              "--stop-pods-on-exit"],
                             stdout=subprocess.PIPE, stderr=open(work / "agent.log", "a"), text=True)
    agent.stdout.readline()
    return agent


def stop_agent(agent):
    agent.terminate()
    try:
        agent.wait(60)
    except subprocess.TimeoutExpired:
        agent.kill()


def main():
    if not shutil.which("wrk"):
        sys.exit("wrk is needed for the data-path figures: apt-get install wrk")
    subprocess.run(["bash", str(ROOT / "scripts" / "test-images.sh")], check=True, capture_output=True)
    work = pathlib.Path(tempfile.mkdtemp(prefix="skiff-proxy-bench-"))
    registries = registries_file(work)
    skiff = Skiff(["--cluster-cidr", CLUSTER_CIDR])
    skiff.start()
    agent = start_agent(skiff, work, registries)
    results = {"binary": BIN, "agent_log": str(work / "agent.log")}
    try:
        wait(lambda: skiff.request("GET", f"/api/v1/nodes/{NODE}")[0] == 200)
        # Two identical backends: one behind the ClusterIP, one asked directly. Every connection from the node to a
        # pod holds its (address, port) pair in conntrack for two minutes after it closes, so a run against the same
        # pod would find the first run's pairs still taken.
        pod_ips = {}
        for name in ("backend", "backend-direct"):
            backend = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default", "labels": {"app": name}},
                       "spec": {"nodeName": NODE, "containers": [{"name": "web", "image": "nginx", "imagePullPolicy": "IfNotPresent"}]}}
            skiff.request("POST", "/api/v1/namespaces/default/pods", backend)
        for name in ("backend", "backend-direct"):
            wait(lambda: json.loads(skiff.request("GET", f"/api/v1/namespaces/default/pods/{name}")[1]).get("status", {}).get("podIP"))
            pod_ips[name] = json.loads(skiff.request("GET", f"/api/v1/namespaces/default/pods/{name}")[1])["status"]["podIP"]
            wait(lambda: connects(pod_ips[name], 80))
        pod_ip = pod_ips["backend"]

        create_bulk(skiff, 0, SERVICES_SMALL)
        wait(lambda: programmed_services() >= SERVICES_SMALL, timeout=300)

        # Sync latency: a selectorless Service whose one endpoint (the backend) comes and goes.
        probe = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "probe", "namespace": "default"},
                 "spec": {"ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}}
        _, body = skiff.request("POST", "/api/v1/namespaces/default/services", probe)
        cluster_ip = json.loads(body)["spec"]["clusterIP"]
        slice_ = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
                  "metadata": {"name": "probe-manual", "namespace": "default", "labels": {"kubernetes.io/service-name": "probe"}},
                  "ports": [{"name": "http", "port": 80, "protocol": "TCP"}], "endpoints": []}
        skiff.request("POST", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices", slice_)
        path = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/probe-manual"
        added, removed = [], []
        # Changes a little more than the proxy's minimum sync interval (kube-proxy's --min-sync-period, 1 s) apart:
        # what is measured is one change's way into the kernel, not the batching of a burst.
        spacing = 1.1
        for _ in range(PROBES):
            time.sleep(spacing)
            current = json.loads(skiff.request("GET", path)[1])
            current["endpoints"] = [{"addresses": [pod_ip], "conditions": {"ready": True}}]
            began = time.perf_counter()
            skiff.request("PUT", path, current)
            wait(lambda: connects(cluster_ip, 80), timeout=30)
            added.append(time.perf_counter() - began)
            time.sleep(spacing)
            current = json.loads(skiff.request("GET", path)[1])
            current["endpoints"] = []
            began = time.perf_counter()
            skiff.request("PUT", path, current)
            wait(lambda: not connects(cluster_ip, 80), timeout=30)
            removed.append(time.perf_counter() - began)
        results[f"sync_endpoint_added_p50_ms_with_{SERVICES_SMALL}_services"] = round(percentile(added, 0.5) * 1000, 1)
        results[f"sync_endpoint_added_p99_ms_with_{SERVICES_SMALL}_services"] = round(percentile(added, 0.99) * 1000, 1)
        results[f"sync_endpoint_removed_p50_ms_with_{SERVICES_SMALL}_services"] = round(percentile(removed, 0.5) * 1000, 1)
        results[f"sync_endpoint_removed_p99_ms_with_{SERVICES_SMALL}_services"] = round(percentile(removed, 0.99) * 1000, 1)

        # The data path: the same backend through the ClusterIP and straight to the pod.
        current = json.loads(skiff.request("GET", path)[1])
        current["endpoints"] = [{"addresses": [pod_ip], "conditions": {"ready": True}}]
        skiff.request("PUT", path, current)
        wait(lambda: connects(cluster_ip, 80))
        service_rate, service_p99 = wrk(f"http://{cluster_ip}/")
        direct_rate, direct_p99 = wrk(f"http://{pod_ips['backend-direct']}/")
        results.update({
            "pod_direct_requests_per_s": round(direct_rate), "pod_direct_p99_ms": direct_p99,
            "cluster_ip_requests_per_s": round(service_rate), "cluster_ip_p99_ms": service_p99,
            "cluster_ip_to_direct_ratio": round(service_rate / direct_rate, 3),
        })

        # 10 000 Services: the table's size, the agent's memory, and a full resync by a restarted agent.
        create_bulk(skiff, SERVICES_SMALL, SERVICES_LARGE)
        wait(lambda: programmed_services() >= SERVICES_LARGE, timeout=600)
        time.sleep(5)
        results[f"agent_rss_mib_with_{SERVICES_LARGE}_services"] = round(rss_mib(agent.pid), 1)
        rules, entries = table_size()
        results[f"kernel_rules_with_{SERVICES_LARGE}_services"] = rules
        results[f"kernel_map_entries_with_{SERVICES_LARGE}_services"] = entries
        agent.terminate()
        agent.wait(60)
        began = time.perf_counter()
        agent = start_agent(skiff, work, registries)
        # The restarted agent replaces the table: wait for it to be gone from the map count, then complete.
        wait(lambda: programmed_services() >= SERVICES_LARGE + 1, timeout=600)
        results[f"full_resync_s_{SERVICES_LARGE}_services_from_agent_start"] = round(time.perf_counter() - began, 2)
    finally:
        stop_agent(agent)
        skiff.stop()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
