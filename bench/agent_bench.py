#!/usr/bin/env python3
"""The node agent with real containers: a `skiff server` and a separate `skiff agent` (its own process, so its
memory is its own) running pods through containerd + runc, images from scripts/test-images.sh's local registry.

Reports: the agent's memory (RSS, its own pages, PSS) idle and with 50 and 100 running pods, containerd's RSS (a
separate process, as with the kubelet), and pod create → Running latency (p50/p99, as seen by a watch, image already present) for 100 pods created in a
burst (queueing included: throughput) and for 100 pods created one after another, each once the one before runs
(one pod's start on a node that is not busy, as the Kubernetes pod-startup SLO measures it). Not a test: it asserts nothing. Needs root, containerd, runc and the CNI plugins.

Usage: SKIFF_BIN=.build-release/release/skiff python3 bench/agent_bench.py
"""
import json
import pathlib
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from api_server_bench import BIN, Skiff  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
PODS = 100


def rss_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def memory_rollup(pid):
    fields = {}
    for line in open(f"/proc/{pid}/smaps_rollup"):
        parts = line.split()
        if len(parts) >= 2 and parts[1].isdigit():
            fields[parts[0].rstrip(":")] = int(parts[1])
    return fields


def private_mib(pid):
    """The process's own pages (USS): RSS without the clean file pages it shares, which for a Swift binary are most
    of RSS — the code of the one `skiff` binary (shared with a server on the same machine) and the Swift runtime."""
    fields = memory_rollup(pid)
    return (fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)) / 1024


def proportional_mib(pid):
    """PSS: the process's own pages plus its share of each page it shares with other processes."""
    return memory_rollup(pid).get("Pss", 0) / 1024


def child_pid(parent, name):
    for line in subprocess.run(["ps", "-o", "pid=,comm=", "--ppid", str(parent)], capture_output=True, text=True).stdout.splitlines():
        pid, command = line.split(None, 1)
        if command.strip() == name:
            return int(pid)
    return None


def pod(name):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default", "labels": {"bench": "agent"}},
            "spec": {"nodeName": "bench-node", "terminationGracePeriodSeconds": 1,
                     "containers": [{"name": "app", "image": "busybox", "imagePullPolicy": "IfNotPresent", "command": ["sleep", "3600"]}]}}


def running(skiff, name):
    code, body = skiff.request("GET", f"/api/v1/namespaces/default/pods/{name}")
    return code == 200 and json.loads(body).get("status", {}).get("phase") == "Running"


def wait(predicate, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise RuntimeError("timed out")


def main():
    subprocess.run(["bash", str(ROOT / "scripts" / "test-images.sh")], check=True, capture_output=True)
    work = pathlib.Path(tempfile.mkdtemp(prefix="skiff-agent-bench-"))
    registries = work / "registries.yaml"
    registries.write_text('mirrors:\n  docker.io:\n    endpoint: ["http://127.0.0.1:5000"]\n'
                          '  registry.k8s.io:\n    endpoint: ["http://127.0.0.1:5000"]\n')
    skiff = Skiff(["--disable-scheduler"])
    skiff.start()
    token = (skiff.dir / "server" / "token").read_text().strip()
    agent_log = open(work / "agent.log", "w")
    agent = subprocess.Popen([BIN, "agent", "--server", f"https://127.0.0.1:{skiff.port}", "--token", token, "--data-dir", str(work),
                              "--node-name", "bench-node", "--private-registry", str(registries), "--stop-pods-on-exit"],
                             stdout=subprocess.PIPE, stderr=agent_log, text=True)
    results = {"binary": BIN, "pods": PODS, "agent_log": str(work / "agent.log")}
    try:
        agent.stdout.readline()
        wait(lambda: skiff.request("GET", "/api/v1/nodes/bench-node")[0] == 200)
        # The image is present before timing starts (the target is for pods whose image is on the node).
        skiff.request("POST", "/api/v1/namespaces/default/pods", pod("warm"))
        wait(lambda: running(skiff, "warm"))
        skiff.request("DELETE", "/api/v1/namespaces/default/pods/warm")
        wait(lambda: skiff.request("GET", "/api/v1/namespaces/default/pods/warm")[0] == 404)
        time.sleep(15)
        containerd = child_pid(agent.pid, "containerd")
        results["agent_idle_rss_mib"] = round(rss_mib(agent.pid), 1)
        results["agent_idle_private_mib"] = round(private_mib(agent.pid), 1)
        results["agent_idle_pss_mib"] = round(proportional_mib(agent.pid), 1)
        results["containerd_idle_rss_mib"] = round(rss_mib(containerd), 1) if containerd else None

        seen = {}
        watch_ready = threading.Event()

        def watch():
            watcher = skiff.connection()
            watcher.request("GET", "/api/v1/namespaces/default/pods?watch=true&labelSelector=bench%3Dagent")
            response = watcher.getresponse()
            watch_ready.set()
            buffer = b""
            while True:
                chunk = response.read1(65536)
                if not chunk:
                    break
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    item = json.loads(line)["object"]
                    name = item["metadata"]["name"]
                    if item.get("status", {}).get("phase") == "Running" and name not in seen:
                        seen[name] = time.perf_counter()

        threading.Thread(target=watch, daemon=True).start()
        watch_ready.wait(10)
        connection = skiff.connection()

        def percentiles(prefix, created):
            latencies = sorted(seen[name] - created[name] for name in created)
            results[f"{prefix}_p50_ms"] = round(latencies[len(latencies) // 2] * 1000)
            results[f"{prefix}_p99_ms"] = round(latencies[int(len(latencies) * 0.99) - 1] * 1000)

        # A burst: every pod created at once, so later pods queue behind earlier ones (throughput).
        burst = {}
        began = time.perf_counter()
        for index in range(PODS):
            name = f"burst-{index}"
            skiff.request("POST", "/api/v1/namespaces/default/pods", pod(name), connection=connection)
            burst[name] = time.perf_counter()
        wait(lambda: all(name in seen for name in burst), timeout=300)
        results["burst_all_running_s"] = round(max(seen[name] for name in burst) - began, 2)
        percentiles("burst_create_to_running", burst)
        skiff.request("DELETE", "/api/v1/namespaces/default/pods?labelSelector=bench%3Dagent", connection=connection)
        wait(lambda: not json.loads(skiff.request("GET", "/api/v1/namespaces/default/pods?labelSelector=bench%3Dagent")[1])["items"],
             timeout=300)

        # Paced: each pod created once the one before it runs — one pod's start on a node that is not busy
        # (the pod startup latency the Kubernetes SLO measures).
        paced = {}
        for index in range(PODS):
            name = f"paced-{index}"
            skiff.request("POST", "/api/v1/namespaces/default/pods", pod(name), connection=connection)
            paced[name] = time.perf_counter()
            wait(lambda: name in seen, timeout=60)
            if index + 1 == PODS // 2:
                results[f"agent_rss_with_{PODS // 2}_pods_mib"] = round(rss_mib(agent.pid), 1)
        percentiles("paced_create_to_running", paced)
        time.sleep(10)
        results["agent_rss_with_pods_mib"] = round(rss_mib(agent.pid), 1)
        results["agent_private_with_pods_mib"] = round(private_mib(agent.pid), 1)
        results["agent_pss_with_pods_mib"] = round(proportional_mib(agent.pid), 1)
        results["containerd_rss_with_pods_mib"] = round(rss_mib(containerd), 1) if containerd else None
    finally:
        began = time.perf_counter()
        agent.terminate()
        try:
            agent.wait(120)
            results["agent_shutdown_with_pods_s"] = round(time.perf_counter() - began, 1)
        except subprocess.TimeoutExpired:
            agent.kill()
            results["agent_shutdown_with_pods_s"] = "did not stop within 120 s"
        skiff.stop()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
