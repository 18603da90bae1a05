#!/usr/bin/env python3
"""Benchmarks the API server the way the foundation issue asks, against a real `skiff server`.

Reports: cold start to /readyz ok; RSS idle and after 10 000 ConfigMaps; create throughput and p50/p99 latency
with 1, 10 and 50 concurrent clients; list of 10 000 objects; watch event latency; the cost of authorization:
creates/s and p99 with 10 clients as the admin (group `system:masters`, allowed before RBAC is asked) and as a user
whose right to create comes from a RoleBinding to `edit` among 1 000 others, in alternating runs on the same server
(both authenticate with a client certificate, so only authorization differs); the cost of quota and limit-range
admission (creates in a namespace with a ResourceQuota and a LimitRange beside one without) and of encryption at
rest (Secrets beside ConfigMaps of the same size), alternating likewise. Needs `openssl` for the user's
certificate. Not a test: it asserts nothing.
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

    def connection(self, context=None):
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=context or self.context, timeout=60)

    def user_context(self, user):
        """A TLS context with a client certificate for `user` (no groups), signed by the cluster CA with openssl."""
        key, request, certificate = (self.dir / f"{user}.key", self.dir / f"{user}.csr", self.dir / f"{user}.crt")
        tls = self.dir / "tls"
        subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                        "-keyout", str(key), "-out", str(request), "-subj", f"/CN={user}"], check=True, capture_output=True)
        subprocess.run(["openssl", "x509", "-req", "-in", str(request), "-CA", str(tls / "ca.crt"), "-CAkey", str(tls / "ca.key"),
                        "-CAcreateserial", "-days", "1", "-out", str(certificate),
                        "-extfile", "/dev/stdin"], input=b"extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature\n",
                       check=True, capture_output=True)
        context = ssl.create_default_context(cafile=str(self.dir / "ca.crt"))
        context.load_cert_chain(str(certificate), str(key))
        return context

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


def secret(name):
    """A Secret of the same size as `configmap(name)`, which the server encrypts before it stores it."""
    data = configmap(name)["data"]
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "labels": {"bench": "yes"}},
            "data": {key: base64.b64encode(value.encode()).decode() for key, value in data.items()}}


def create_load(skiff, clients, total, prefix, context=None, namespace="bench", resource="configmaps"):
    """`clients` threads, each on its own kept-alive connection, sending pre-encoded bodies back to back; as the
    admin, or as the user of `context`."""
    make = secret if resource == "secrets" else configmap
    latencies = []
    failures = [0]
    lock = threading.Lock()
    per_client = total // clients
    headers = {"Content-Type": "application/json", "Accept": "application/json"}

    def client(index):
        connection = skiff.connection(context)
        bodies = [json.dumps(make(f"{prefix}-{index}-{item}")) for item in range(per_client)]
        mine = []
        for body in bodies:
            began = time.perf_counter()
            connection.request("POST", f"/api/v1/namespaces/{namespace}/{resource}", body=body, headers=headers)
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


def authorization_cost(skiff, bindings=1000, rounds=3, clients=10, creates=2000):
    """Alternating runs as the admin and as `bench-user`, bound to `edit` in `bench` beside `bindings` RoleBindings of
    other users in 100 other namespaces."""
    for index in range(100):
        skiff.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"rbac-{index}"}})
    connection = skiff.connection()
    for index in range(bindings):
        binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": f"b-{index}"},
                   "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
                   "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": f"user-{index}"}]}
        skiff.request("POST", f"/apis/rbac.authorization.k8s.io/v1/namespaces/rbac-{index % 100}/rolebindings", binding, connection)
    skiff.request("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/bench/rolebindings", {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "bench-user-edit"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "bench-user"}]}, connection)
    connection.close()
    user = skiff.user_context("bench-user")
    time.sleep(1)
    runs = {"admin": [], "rbac_user": []}
    for attempt in range(rounds):
        runs["admin"].append(create_load(skiff, clients, creates, f"authz-admin-{attempt}"))
        runs["rbac_user"].append(create_load(skiff, clients, creates, f"authz-user-{attempt}", context=user))

    def median(kind, field):
        return statistics.median(run[field] for run in runs[kind])

    return {
        "role_bindings": bindings + 1, "clients": clients, "creates_per_run": creates, "runs_each": rounds,
        "admin": {"per_second": median("admin", "per_second"), "p99_ms": median("admin", "p99_ms")},
        "rbac_user": {"per_second": median("rbac_user", "per_second"), "p99_ms": median("rbac_user", "p99_ms"),
                      "failures": sum(run["failures"] for run in runs["rbac_user"])},
        "ratio_per_second": round(median("rbac_user", "per_second") / median("admin", "per_second"), 3),
    }


def alternating(skiff, runs, rounds=3, clients=10, creates=2000):
    """Median creates/s and p99 of each kind of run in `runs` (name → create_load keyword arguments), in turn."""
    results = {name: [] for name in runs}
    for attempt in range(rounds):
        for name, arguments in runs.items():
            results[name].append(create_load(skiff, clients, creates, f"{name.replace('_', '-')}-{attempt}", **arguments))
    return {name: {"per_second": statistics.median(run["per_second"] for run in done),
                   "p99_ms": statistics.median(run["p99_ms"] for run in done),
                   "failures": sum(run["failures"] for run in done)} for name, done in results.items()}


def admission_cost(skiff):
    """ConfigMaps created in a namespace with a ResourceQuota (each create charged to it) and a LimitRange beside
    the same creates in a namespace without, alternating."""
    skiff.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "limited"}})
    skiff.request("POST", "/api/v1/namespaces/limited/resourcequotas", {
        "apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "counts"},
        "spec": {"hard": {"configmaps": "100000", "count/configmaps": "100000", "pods": "100"}}})
    skiff.request("POST", "/api/v1/namespaces/limited/limitranges", {
        "apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "defaults"},
        "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m"}, "defaultRequest": {"cpu": "250m"}}]}})
    time.sleep(2)
    runs = alternating(skiff, {"plain": {"namespace": "bench"}, "quota_and_limits": {"namespace": "limited"}})
    status, body = skiff.request("GET", "/api/v1/namespaces/limited/resourcequotas/counts")
    runs["quota_used"] = json.loads(body).get("status", {}).get("used")
    runs["ratio_per_second"] = round(runs["quota_and_limits"]["per_second"] / runs["plain"]["per_second"], 3)
    return runs


def encryption_cost(skiff):
    """Secrets (sealed with AES-GCM before they are stored) beside ConfigMaps of the same size, alternating."""
    runs = alternating(skiff, {"configmaps": {"resource": "configmaps"}, "secrets": {"resource": "secrets"}})
    runs["ratio_per_second"] = round(runs["secrets"]["per_second"] / runs["configmaps"]["per_second"], 3)
    return runs


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
    results["authorization"] = authorization_cost(skiff)
    results["admission"] = admission_cost(skiff)
    results["encryption_at_rest"] = encryption_cost(skiff)
    skiff.stop()
    json.dump(results, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
