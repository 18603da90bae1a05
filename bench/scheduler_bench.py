#!/usr/bin/env python3
"""Scheduler throughput the way kube-scheduler's scheduler_perf SchedulingBasic measures it, against a real
`skiff server` with hollow nodes.

5000 hollow nodes; 10 000 pods (100m cpu, 64Mi memory each) created by several client processes while a watcher
process records when each pod is first seen bound. Reports pods/s scheduled (sampled once a second, as
scheduler_perf's throughput collector does, and overall from first to last binding), create→bound latency p50/p99,
and the server's RSS. The clients share the machine's two cores with the server. Not a test: it asserts nothing.

Usage: SKIFF_BIN=.build-release/release/skiff python3 bench/scheduler_bench.py [--nodes 5000] [--pods 10000]
"""
import argparse
import json
import multiprocessing
import pathlib
import re
import statistics
import sys
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from api_server_bench import BIN, Skiff  # noqa: E402


def pod(name):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "bench"},
            "spec": {"containers": [{"name": "pause", "image": "registry.k8s.io/pause:3.10",
                                     "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}]}}


def wait_for_nodes(skiff, count, timeout=600):
    began = time.perf_counter()
    while time.perf_counter() - began < timeout:
        status, body = skiff.request("GET", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases?limit=1")
        listed = json.loads(body)
        if len(listed.get("items", [])) + listed["metadata"].get("remainingItemCount", 0) >= count:
            return time.perf_counter() - began
        time.sleep(0.5)
    raise RuntimeError(f"{count} hollow nodes did not register in {timeout}s")


def watch_bindings(skiff, expected, results):
    """In its own process: records when each pod is first seen bound, parsing as little as it can."""
    status, body = skiff.request("GET", "/api/v1/namespaces/bench/pods?limit=1")
    revision = json.loads(body)["metadata"]["resourceVersion"]
    connection = skiff.connection()
    connection.request("GET", f"/api/v1/namespaces/bench/pods?watch=true&resourceVersion={revision}&timeoutSeconds=3600")
    response = connection.getresponse()
    results.put(("ready", None))
    bound = {}
    name_pattern = re.compile(rb'"name":"(pod-[0-9]+)"')
    while len(bound) < expected:
        line = response.readline()
        if not line:
            break
        if b'"nodeName":"' not in line:
            continue
        match = name_pattern.search(line)
        if match and match.group(1) not in bound:
            bound[match.group(1)] = time.perf_counter()
    results.put(("bound", {name.decode(): at for name, at in bound.items()}))


def create_share(skiff, names, threads, results):
    """In its own process: creates its share of the pods over several connections."""
    created = {}

    def client(chunk):
        connection = skiff.connection()
        for name in chunk:
            body = pod(name)
            created[name] = time.perf_counter()
            status, reply = skiff.request("POST", "/api/v1/namespaces/bench/pods", body, connection)
            if status != 201:
                print("create failed", status, reply[:200], file=sys.stderr)

    workers = [threading.Thread(target=client, args=(names[i::threads],)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    results.put(("created", created))


def count_bound(skiff):
    status, body = skiff.request("GET", "/api/v1/namespaces/bench/pods?fieldSelector=spec.nodeName%21%3D&limit=1")
    listed = json.loads(body)
    return len(listed.get("items", [])) + listed["metadata"].get("remainingItemCount", 0)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--pods", type=int, default=10000)
    parser.add_argument("--processes", type=int, default=3, help="client processes creating pods")
    parser.add_argument("--threads", type=int, default=16, help="connections per client process")
    args = parser.parse_args()

    skiff = Skiff(["--hollow-nodes", str(args.nodes), "--cluster-cidr", "10.64.0.0/10"])
    skiff.start()
    results = {"binary": BIN, "nodes": args.nodes, "pods": args.pods}
    results["nodes_registered_s"] = round(wait_for_nodes(skiff, args.nodes), 1)
    # For profilers: the server's process id, once the nodes are up.
    print(f"server pid {skiff.process.pid}", file=sys.stderr, flush=True)
    time.sleep(2)
    results["rss_mib_with_nodes"] = round(skiff.rss_mib(), 1)
    skiff.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench"}})

    names = [f"pod-{index}" for index in range(args.pods)]
    context = multiprocessing.get_context("fork")
    messages = context.Queue()
    watcher = context.Process(target=watch_bindings, args=(skiff, len(names), messages))
    watcher.start()
    assert messages.get(timeout=60)[0] == "ready"
    creators = [context.Process(target=create_share, args=(skiff, names[i::args.processes], args.threads, messages))
                for i in range(args.processes)]
    began = time.perf_counter()
    for creator in creators:
        creator.start()
    # As scheduler_perf's throughput collector: the number of scheduled pods, sampled once a second.
    samples = []
    previous = 0
    while previous < len(names) and time.perf_counter() - began < 600:
        time.sleep(1)
        current = count_bound(skiff)
        samples.append(current - previous)
        previous = current
    created, bound = {}, {}
    for _ in range(len(creators) + 1):
        kind, part = messages.get(timeout=120)
        (bound if kind == "bound" else created).update(part)
    for process in creators + [watcher]:
        process.join(10)

    latencies = [bound[name] - created[name] for name in names if name in bound and name in created]
    results["created_per_s"] = round(len(created) / (max(created.values()) - min(created.values())))
    results["scheduled"] = len(bound)
    results["scheduled_per_s_overall"] = round(len(bound) / (max(bound.values()) - min(bound.values())))
    busy = [sample for sample in samples if sample > 0]
    results["scheduled_per_s_sampled"] = {"average": round(statistics.mean(busy)), "p50": percentile(busy, 0.5),
                                          "max": max(busy)}
    results["create_to_bound_p50_ms"] = round(percentile(latencies, 0.50) * 1000, 1)
    results["create_to_bound_p99_ms"] = round(percentile(latencies, 0.99) * 1000, 1)
    time.sleep(3)
    results["rss_mib_after_pods"] = round(skiff.rss_mib(), 1)
    skiff.stop()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
