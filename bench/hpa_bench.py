#!/usr/bin/env python3
"""Autoscaling latency and the cost of measuring: a `skiff server` with its node agent running real containers
(containerd + runc, images from scripts/test-images.sh's local registry).

Reports, per `--metrics-resolution` and `--horizontal-pod-autoscaler-sync-period` (60 s + 15 s: Kubernetes' reference
path, metrics-server's default resolution with the controller manager's sync; 15 s + 15 s: Skiff's defaults; 1 s +
15 s; 1 s + 1 s):
- the time from the start of a load spike (four clients requesting a CPU-burning CGI through a Service) to the
  first scale-up and to the HPA's maxReplicas (6, which that load needs: it wants 10). The spike starts half a sync
  period after the autoscaler last looked, as a spike at a random moment would on average;
and the server's and containerd's CPU while 100 idle pods are measured at 1 s and at 15 s resolution, against a
resolution of 1 h (nothing measured), each over 60 s. Not a test: it asserts nothing. Needs root, containerd, runc
and the CNI plugins.

Usage: SKIFF_BIN=.build/release/skiff python3 bench/hpa_bench.py [spike|idle]   (both by default)
"""
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = os.environ.get("SKIFF_BIN", str(ROOT / ".build" / "release" / "skiff"))
NODE = "bench-hpa"

APP = """
apiVersion: v1
kind: ConfigMap
metadata: {name: burn-cgi}
data:
  burn: |
    #!/bin/sh
    i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done
    printf 'Content-Type: text/plain\\r\\n\\r\\nburned\\n'
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: httpd
        image: busybox
        command: ["sh", "-c", "mkdir -p /www/cgi-bin && cp /cgi/burn /www/cgi-bin/ && chmod 755 /www/cgi-bin/burn && exec httpd -f -p 80 -h /www"]
        resources: {requests: {cpu: 250m, memory: 16Mi}, limits: {cpu: 500m}}
        volumeMounts: [{name: cgi, mountPath: /cgi}]
      volumes: [{name: cgi, configMap: {name: burn-cgi}}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 6
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
"""

LOAD = """
apiVersion: v1
kind: Pod
metadata: {name: load}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: load
    image: busybox
    command: ["sh", "-c", "for n in 1 2 3 4; do (while :; do timeout 5 wget -q -O- http://web/cgi-bin/burn >/dev/null; done) & done; wait"]
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, work, resolution, sync="15s"):
        self.dir = work / f"server-{resolution}-{sync}"
        registries = work / "registries.yaml"
        self.log = open(work / f"server-{resolution}-{sync}.log", "w")
        self.process = subprocess.Popen(
            [BIN, "server", "--data-dir", str(self.dir), "--https-listen-port", str(free_port()), "--node-name", NODE,
             "--cluster-cidr", "10.57.0.0/16", "--private-registry", str(registries), "--stop-pods-on-exit",
             "--ingress-http-port", "0", "--ingress-https-port", "0", "--ingress-metrics-address", "", "--proxy-metrics-address", "",
             "--kubelet-metrics-address", "", "--metrics-resolution", resolution, "--horizontal-pod-autoscaler-sync-period", sync],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.process.stdout.readline()
        self.env = dict(os.environ, KUBECONFIG=str(self.dir / "kubeconfig.yaml"))
        wait(lambda: '"True"' in self.kubectl("get", "node", NODE, "-o", "jsonpath=\"{.status.conditions[?(@.type=='Ready')].status}\"",
                                                check=False), 60)

    def kubectl(self, *args, input=None, check=True):
        result = subprocess.run(["kubectl", *args], input=input, capture_output=True, text=True, env=self.env, timeout=120)
        if check and result.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)}: {result.stderr}")
        return result.stdout

    def replicas(self):
        return int(self.kubectl("get", "deployment", "web", "-o", "jsonpath={.spec.replicas}"))

    def stop(self):
        self.process.terminate()
        self.process.wait(120)
        shutil.rmtree(self.dir, ignore_errors=True)


def wait(predicate, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise RuntimeError("timed out")


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def containerd_pid(server):
    for line in subprocess.run(["ps", "-o", "pid=,comm=", "--ppid", str(server)], capture_output=True, text=True).stdout.splitlines():
        pid, command = line.split(None, 1)
        if command.strip() == "containerd":
            return int(pid)
    return None


def scale_up(work, resolution, sync):
    cluster = Cluster(work, resolution, sync)
    try:
        cluster.kubectl("apply", "-f", "-", input=APP)
        cluster.kubectl("rollout", "status", "deployment/web", "--timeout=120s")
        # Measured at rest first, as an autoscaler in service is.
        wait(lambda: "%/50%" in cluster.kubectl("get", "hpa", "web"), 180)
        # The autoscaler has just looked; the spike comes half a period later.
        time.sleep(int(sync.removesuffix("s")) / 2)
        cluster.kubectl("apply", "-f", "-", input=LOAD)
        wait(lambda: cluster.kubectl("get", "pod", "load", "-o", "jsonpath={.status.phase}") == "Running", 60)
        began = time.monotonic()
        wait(lambda: cluster.replicas() > 2, 300)
        first = time.monotonic() - began
        wait(lambda: cluster.replicas() == 6, 300)
        needed = time.monotonic() - began
        return {"first_scale_up_s": round(first, 1), "at_max_replicas_s": round(needed, 1)}
    finally:
        cluster.stop()


def idle_cost(work, resolution, pods=100):
    cluster = Cluster(work, resolution)
    try:
        items = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"idle-{i}", "labels": {"bench": "idle"}},
                  "spec": {"terminationGracePeriodSeconds": 0,
                           "containers": [{"name": "app", "image": "busybox", "command": ["sleep", "3600"],
                                           "resources": {"requests": {"cpu": "1m", "memory": "1Mi"}}}]}} for i in range(pods)]
        cluster.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
        wait(lambda: cluster.kubectl("get", "pods", "-l", "bench=idle", "--field-selector=status.phase=Running", "--no-headers").count("\n") == pods,
             600)
        time.sleep(20)
        containerd = containerd_pid(cluster.process.pid)
        server_before, containerd_before = cpu_seconds(cluster.process.pid), cpu_seconds(containerd)
        time.sleep(60)
        return {"server_cpu_percent": round((cpu_seconds(cluster.process.pid) - server_before) / 60 * 100, 2),
                "containerd_cpu_percent": round((cpu_seconds(containerd) - containerd_before) / 60 * 100, 2)}
    finally:
        cluster.stop()


def main():
    subprocess.run(["bash", str(ROOT / "scripts" / "test-images.sh")], check=True, capture_output=True)
    work = pathlib.Path(tempfile.mkdtemp(prefix="skiff-hpa-bench-"))
    (work / "registries.yaml").write_text('mirrors:\n  docker.io:\n    endpoint: ["http://127.0.0.1:5000"]\n'
                                          '  registry.k8s.io:\n    endpoint: ["http://127.0.0.1:5000"]\n')
    results = {"binary": BIN, "logs": str(work)}
    parts = sys.argv[1:] or ["spike", "idle"]
    if "spike" in parts:
        for resolution, sync in (("60s", "15s"), ("15s", "15s"), ("1s", "15s"), ("1s", "1s")):
            results[f"load_spike_resolution_{resolution}_sync_{sync}"] = scale_up(work, resolution, sync)
            print(json.dumps(results, indent=2), flush=True)
    if "idle" in parts:
        for resolution in ("1h", "15s", "1s"):
            results[f"idle_100_pods_resolution_{resolution}"] = idle_cost(work, resolution)
            print(json.dumps(results, indent=2), flush=True)


if __name__ == "__main__":
    main()
