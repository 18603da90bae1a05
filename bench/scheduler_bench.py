#!/usr/bin/env python3
"""Scheduler throughput the way kube-scheduler's scheduler_perf SchedulingBasic measures it, against a real
`skiff server` with 5000 hollow nodes (which heartbeat and report every pod Running, as kubelets would).

Phase 1: 10 000 pods (100m cpu, 64Mi memory) are created while the server runs with --disable-scheduler; the server
is then restarted with its scheduler, and a watcher process records when each pod is first seen bound: pods/s
overall and per one-second window (scheduler_perf's throughput collector). The Python clients cannot create pods as
fast as a Go client, so measuring on a backlog keeps them from being the limit.
Phase 2: 2000 more pods created as fast as the clients can, each timed from its create call to its binding (p50/p99).
RSS is the server's. The clients share the machine's two cores with the server. Not a test: it asserts nothing.

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


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def create_and_watch(skiff, namespace_names, processes, threads, watch=True):
    """Creates the pods from several processes; returns creation and (if watching) binding times."""
    context = multiprocessing.get_context("fork")
    messages = context.Queue()
    helpers = []
    if watch:
        watcher = context.Process(target=watch_bindings, args=(skiff, len(namespace_names), messages))
        watcher.start()
        assert messages.get(timeout=60)[0] == "ready"
        helpers.append(watcher)
    creators = [context.Process(target=create_share, args=(skiff, namespace_names[i::processes], threads, messages))
                for i in range(processes)]
    for creator in creators:
        creator.start()
    created, bound = {}, {}
    for _ in range(len(creators) + len(helpers)):
        kind, part = messages.get(timeout=900)
        (bound if kind == "bound" else created).update(part)
    for process in creators + helpers:
        process.join(10)
    return created, bound


def throughput(bound):
    """Pods/s overall and per one-second window, as scheduler_perf's throughput collector samples it."""
    first, last = min(bound.values()), max(bound.values())
    windows = [0] * (int(last - first) + 1)
    for at in bound.values():
        windows[int(at - first)] += 1
    full = windows[:-1] or windows
    return {"overall": round(len(bound) / max(last - first, 1e-9)), "per_second_average": round(statistics.mean(full)),
            "per_second_p50": percentile(full, 0.5), "per_second_max": max(full)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--pods", type=int, default=10000)
    parser.add_argument("--latency-pods", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=3, help="client processes creating pods")
    parser.add_argument("--threads", type=int, default=16, help="connections per client process")
    args = parser.parse_args()
    node_args = ["--hollow-nodes", str(args.nodes), "--cluster-cidr", "10.64.0.0/10"]
    results = {"binary": BIN, "nodes": args.nodes, "pods": args.pods}

    # Phase 1, throughput: the pods are created while no scheduler runs, then a server with its scheduler starts
    # on the same data and places the whole backlog.
    skiff = Skiff(node_args + ["--disable-scheduler"])
    skiff.start()
    results["nodes_registered_s"] = round(wait_for_nodes(skiff, args.nodes), 1)
    skiff.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench"}})
    names = [f"pod-{index}" for index in range(args.pods)]
    created, _ = create_and_watch(skiff, names, args.processes, args.threads, watch=False)
    results["backlog_created_per_s"] = round(len(created) / (max(created.values()) - min(created.values())))
    skiff.stop(keep_data=True)

    skiff.extra_args = node_args
    context = multiprocessing.get_context("fork")
    messages = context.Queue()
    skiff.start()
    watcher = context.Process(target=watch_bindings, args=(skiff, len(names), messages))
    watcher.start()
    assert messages.get(timeout=60)[0] == "ready"
    # For profilers: the server's process id while it schedules.
    print(f"server pid {skiff.process.pid}", file=sys.stderr, flush=True)
    kind, bound = messages.get(timeout=900)
    watcher.join(10)
    results["backlog_scheduled"] = len(bound)
    results["backlog_scheduled_per_s"] = throughput(bound)
    time.sleep(2)
    results["rss_mib_with_pods"] = round(skiff.rss_mib(), 1)

    # Phase 2, latency: pods created as fast as the clients can, each timed from its create call to its binding.
    latency_names = [f"pod-{index}" for index in range(args.pods, args.pods + args.latency_pods)]
    created, bound = create_and_watch(skiff, latency_names, args.processes, args.threads)
    latencies = [bound[name] - created[name] for name in latency_names if name in bound and name in created]
    results["steady_created_per_s"] = round(len(created) / (max(created.values()) - min(created.values())))
    results["steady_scheduled_per_s"] = throughput(bound)["overall"]
    results["create_to_bound_p50_ms"] = round(percentile(latencies, 0.50) * 1000, 1)
    results["create_to_bound_p99_ms"] = round(percentile(latencies, 0.99) * 1000, 1)
    results["rss_mib_after"] = round(skiff.rss_mib(), 1)
    skiff.stop()
    results["shutdown_s"] = round(skiff.shutdown_seconds, 1)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
