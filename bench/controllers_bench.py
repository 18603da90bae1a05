#!/usr/bin/env python3
"""Workload controllers at scale, against a real `skiff server` with 100 hollow nodes.

Reports: a Deployment of 1000 replicas from create to all Available; a rolling update of it (new image) to
complete; the same Deployment scaled to 10 000 replicas; then the server's CPU seconds over 30 idle seconds with
10 000 pods (the controllers are level-triggered and should not poll), and its RSS. Not a test: it asserts nothing.

Usage: SKIFF_BIN=.build-release/release/skiff python3 bench/controllers_bench.py
"""
import json
import os
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from api_server_bench import BIN, Skiff  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def deployment(replicas, image):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "bench"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "web", "image": image}]}}}}


def status(skiff):
    code, body = skiff.request("GET", "/apis/apps/v1/namespaces/bench/deployments/web")
    return json.loads(body)


def wait_rolled_out(skiff, replicas, timeout=900):
    began = time.perf_counter()
    while time.perf_counter() - began < timeout:
        current = status(skiff)
        s = current.get("status", {})
        if (s.get("observedGeneration", 0) >= current["metadata"].get("generation", 1) and s.get("updatedReplicas") == replicas
                and s.get("availableReplicas") == replicas and s.get("replicas") == replicas):
            return time.perf_counter() - began
        time.sleep(0.2)
    raise RuntimeError("rollout did not finish")


def main():
    skiff = Skiff(["--hollow-nodes", "100"])
    skiff.start()
    results = {"binary": BIN, "nodes": 100}
    time.sleep(3)
    skiff.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench"}})

    skiff.request("POST", "/apis/apps/v1/namespaces/bench/deployments", deployment(1000, "nginx:1.25"))
    results["create_1000_to_available_s"] = round(wait_rolled_out(skiff, 1000), 1)

    current = status(skiff)
    current["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26"
    skiff.request("PUT", "/apis/apps/v1/namespaces/bench/deployments/web", current)
    results["rolling_update_1000_s"] = round(wait_rolled_out(skiff, 1000), 1)

    current = status(skiff)
    current["spec"]["replicas"] = 10000
    skiff.request("PUT", "/apis/apps/v1/namespaces/bench/deployments/web", current)
    results["scale_to_10000_s"] = round(wait_rolled_out(skiff, 10000), 1)

    time.sleep(5)
    before = cpu_seconds(skiff.process.pid)
    time.sleep(30)
    results["idle_cpu_seconds_per_30s_with_10000_pods"] = round(cpu_seconds(skiff.process.pid) - before, 2)
    results["rss_mib"] = round(skiff.rss_mib(), 1)
    skiff.stop()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
