#!/usr/bin/env python3
"""Workload controllers at scale, against a real `skiff server` with 100 hollow nodes.

Reports: a Deployment of 1000 replicas from create to all Available; a rolling update of it (new image) to
complete; the same Deployment scaled to 10 000 replicas; then the server's CPU seconds over 30 idle seconds with
10 000 pods (the controllers are level-triggered and should not poll), and its RSS. Then, on a fresh server with 100
hollow nodes, 1000 claims of the default `local-path` class and 1000 pods using one each: the time from the first
create until every claim is Bound (the scheduler tells each claim its pod's node, the PV controller hands it to the
provisioner, which makes a directory and a volume, and the PV controller binds them) and until every pod runs, and
the server's CPU seconds over that time. Not a test: it asserts nothing.

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


def claims_to_bound(count):
    """1000 local-path claims and a pod for each on hollow nodes: seconds until all are Bound and all pods Running."""
    skiff = Skiff(["--hollow-nodes", "100"])
    skiff.start()
    time.sleep(3)
    skiff.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "claims"}})
    began, cpu_before = time.perf_counter(), cpu_seconds(skiff.process.pid)
    for index in range(count):
        skiff.request("POST", "/api/v1/namespaces/claims/persistentvolumeclaims", {
            "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": f"data-{index}"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}})
        skiff.request("POST", "/api/v1/namespaces/claims/pods", {
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"app-{index}"},
            "spec": {"containers": [{"name": "app", "image": "busybox", "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
                     "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": f"data-{index}"}}]}})
    created = time.perf_counter() - began
    result = {"claims": count, "create_requests_s": round(created, 1)}

    def count_where(path, predicate):
        code, body = skiff.request("GET", path)
        return sum(1 for item in json.loads(body)["items"] if predicate(item))

    bound_at = running_at = None
    while time.perf_counter() - began < 900 and running_at is None:
        if bound_at is None and count_where("/api/v1/namespaces/claims/persistentvolumeclaims",
                                            lambda claim: claim.get("status", {}).get("phase") == "Bound") == count:
            bound_at = time.perf_counter() - began
        if bound_at is not None and count_where("/api/v1/namespaces/claims/pods",
                                                lambda pod: pod.get("status", {}).get("phase") == "Running") == count:
            running_at = time.perf_counter() - began
        time.sleep(0.5)
    result["first_create_to_all_bound_s"] = round(bound_at, 1) if bound_at else None
    result["first_create_to_all_running_s"] = round(running_at, 1) if running_at else None
    result["server_cpu_s"] = round(cpu_seconds(skiff.process.pid) - cpu_before, 1)
    result["volumes_made"] = len(list((skiff.dir / "storage").glob("pvc-*"))) if (skiff.dir / "storage").exists() else 0
    skiff.stop()
    return result


def main():
    claims = int(os.environ.get("BENCH_CLAIMS", "1000"))
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
    results["local_path_claims"] = claims_to_bound(claims)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
