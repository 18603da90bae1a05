#!/usr/bin/env python3
"""Benchmarks the API server the way the foundation issue asks, against a real `skiff server`.

Reports: cold start to /readyz ok; RSS idle and after 10 000 ConfigMaps; create throughput and p50/p99 latency
with 1, 10 and 50 concurrent clients; list of 10 000 objects; watch event latency. Not a test: it asserts nothing.
"""
import base64
import http.client
import json
import os
import pathlib
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import yaml

BIN = os.environ.get("SKIFF_BIN") or str(pathlib.Path(__file__).resolve().parents[1] / ".build" / "release" / "skiff")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Skiff:
    def __init__(self, extra_args=()):
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="skiff-bench-"))
        self.port = free_port()
        self.extra_args = list(extra_args)

    def start(self):
        began = time.perf_counter()
        self.process = subprocess.Popen([BIN, "server", "--data-dir", str(self.dir), "--https-listen-port", str(self.port), "--disable-agent"] + self.extra_args,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.process.stdout.readline()
        self._load_tls()
        while True:
            try:
                status, body = self.request("GET", "/readyz")
                if status == 200 and body == b"ok":
                    return time.perf_counter() - began
            except OSError:
                pass
            time.sleep(0.005)

    def _load_tls(self):
        config = yaml.safe_load((self.dir / "kubeconfig.yaml").read_text())
        for name, field in (("ca.crt", config["clusters"][0]["cluster"]["certificate-authority-data"]),
                            ("client.crt", config["users"][0]["user"]["client-certificate-data"]),
                            ("client.key", config["users"][0]["user"]["client-key-data"])):
            (self.dir / name).write_bytes(base64.b64decode(field))
        self.context = ssl.create_default_context(cafile=str(self.dir / "ca.crt"))
        self.context.load_cert_chain(str(self.dir / "client.crt"), str(self.dir / "client.key"))

    def connection(self):
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.context, timeout=60)

    def request(self, method, path, body=None, connection=None):
        own = connection is None
        connection = connection or self.connection()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = connection.getresponse()
        data = response.read()
        if own:
            connection.close()
        return response.status, data

    def rss_mib(self):
        for line in open(f"/proc/{self.process.pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self, keep_data=False):
        self.process.terminate()
        began = time.perf_counter()
        self.process.wait(120)
        self.shutdown_seconds = time.perf_counter() - began
        if not keep_data:
            shutil.rmtree(self.dir, ignore_errors=True)


def configmap(name):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": {"bench": "yes"}},
            "data": {"key": "value", "config.yaml": "replicas: 3\nimage: nginx:1.25\n"}}


def create_load(skiff, clients, total, prefix):
    """`clients` threads, each on its own kept-alive connection, sending pre-encoded bodies back to back."""
    latencies = []
    failures = [0]
    lock = threading.Lock()
    per_client = total // clients
    headers = {"Content-Type": "application/json", "Accept": "application/json"}

    def client(index):
        connection = skiff.connection()
        bodies = [json.dumps(configmap(f"{prefix}-{index}-{item}")) for item in range(per_client)]
        mine = []
        for body in bodies:
            began = time.perf_counter()
            connection.request("POST", "/api/v1/namespaces/bench/configmaps", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            mine.append(time.perf_counter() - began)
            if response.status != 201:
                failures[0] += 1
        connection.close()
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=client, args=(index,)) for index in range(clients)]
    began = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "clients": clients, "creates": len(latencies), "failures": failures[0],
        "per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
    }


def watch_latency(skiff, events=200):
    status, body = skiff.request("GET", "/api/v1/namespaces/bench/configmaps?limit=1")
    revision = json.loads(body)["metadata"]["resourceVersion"]
    connection = skiff.connection()
    connection.request("GET", f"/api/v1/namespaces/bench/configmaps?watch=true&resourceVersion={revision}&timeoutSeconds=120")
    response = connection.getresponse()
    sent = {}
    arrived = {}
    ready = threading.Event()

    def reader():
        ready.set()
        while len(arrived) < events:
            line = response.readline()
            if not line:
                break
            name = json.loads(line)["object"]["metadata"]["name"]
            arrived[name] = time.perf_counter()

    thread = threading.Thread(target=reader)
    thread.start()
    ready.wait()
    writer = skiff.connection()
    for index in range(events):
        name = f"watched-{index}"
        sent[name] = time.perf_counter()
        skiff.request("POST", "/api/v1/namespaces/bench/configmaps", configmap(name), writer)
        time.sleep(0.005)
    thread.join(30)
    latencies = sorted(arrived[name] - sent[name] for name in sent if name in arrived)
    return {"events": len(latencies), "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
            "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2)}


def main():
    results = {"binary": BIN}
    starts = []
    for _ in range(5):
        skiff = Skiff()
        starts.append(skiff.start())
        skiff.stop()
    results["cold_start_to_readyz_ms"] = {"median": round(statistics.median(starts) * 1000, 1), "max": round(max(starts) * 1000, 1)}

    skiff = Skiff()
    skiff.start()
    time.sleep(2)
    results["rss_idle_mib"] = round(skiff.rss_mib(), 1)
    skiff.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench"}})

    results["create"] = [create_load(skiff, 1, 1000, "one"), create_load(skiff, 10, 3000, "ten"), create_load(skiff, 50, 6000, "fifty")]
    status, body = skiff.request("GET", "/api/v1/namespaces/bench/configmaps?limit=1")
    total = 1 + json.loads(body)["metadata"].get("remainingItemCount", 0)
    results["configmaps_stored"] = total
    results["rss_after_10k_configmaps_mib"] = round(skiff.rss_mib(), 1)

    list_times = []
    for _ in range(5):
        began = time.perf_counter()
        status, body = skiff.request("GET", "/api/v1/namespaces/bench/configmaps")
        list_times.append(time.perf_counter() - began)
    results["list_10k"] = {"items": len(json.loads(body)["items"]), "median_ms": round(statistics.median(list_times) * 1000, 1),
                           "bytes": len(body)}
    results["watch_event_latency"] = watch_latency(skiff)
    results["rss_end_mib"] = round(skiff.rss_mib(), 1)
    skiff.stop()
    json.dump(results, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
