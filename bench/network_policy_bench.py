#!/usr/bin/env python3
"""NetworkPolicy enforcement on a real node: a `skiff server` with hollow nodes (whose 5 000 pods have addresses, which
is all the rule sets need) and a separate `skiff agent` whose enforcer programs the node's nftables table.

Reports:
- the bulk load: 1 000 policies (each selecting this node's backend pod of its namespace, its peers chosen by pod and
  namespace labels among the 5 000 pods), from the first create to every policy's chain in the kernel;
- sync latency with those 1 000 policies, from the API write to the first connection the new rules decide (probed
  from a client in a network namespace of the benchmark's own): a policy shutting the client out created and
  deleted, and a pod relabelled into and out of a policy's selection, p50/p99;
- the data path: requests/s from a client in a network namespace of the benchmark's own to a backend pod, with no
  policy selecting the pod and with one that allows the client, alternating (the nginx stand-in, busybox httpd,
  closes each connection, so every request is a new connection the rules judge); the ratio is the figure (target
  >= 0.95);
- the table's size and the agent's RSS with 1 000 policies.
Not a test: it asserts nothing. Needs root, containerd, runc, the CNI plugins, nftables, iproute2 and wrk.

Usage: SKIFF_BIN=.build/release/skiff python3 bench/network_policy_bench.py
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
from proxy_bench import percentile, registries_file, start_agent, stop_agent  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
NODE = "policy-bench-node"
# Ranges of their own, so that the benchmark can run beside a test cluster on the same machine.
CLUSTER_CIDR = "10.54.0.0/16"
CLIENT_NETNS, CLIENT_HOST, CLIENT_RANGE = "skiff-policy-bench", "10.99.7.1", "10.99.7.0/24"
HOLLOW_NODES, HOLLOW_PODS, NAMESPACES, POLICIES = 50, 5000, 10, 1000
PROBES = 30


def short_hash(text):
    value = 0xcbf29ce484222325
    for byte in text.encode():
        value = ((value ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return "".join("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[(value >> (5 * index)) & 31] for index in range(8))


TABLE = "skiff-policy-" + short_hash(NODE).lower()


def policy_chains():
    listing = subprocess.run(["nft", "list", "chains", "ip"], capture_output=True, text=True).stdout
    table, count = None, 0
    for line in listing.splitlines():
        if line.startswith("table "):
            table = line.split()[2]
        elif table == TABLE and line.strip().startswith("chain ingress-") and "-namespace-" not in line:
            count += 1
    return count


def has_chain(name):
    return subprocess.run(["nft", "list", "chain", "ip", TABLE, name], capture_output=True).returncode == 0


# Runs in the client's network namespace: for each line `address open|closed`, connects to the address's port 80
# until connections are as asked, then prints when the first attempt that found them so began (CLOCK_MONOTONIC, the
# same clock as the benchmark's perf_counter). A refused or dropped attempt gives up after 50 ms.
PROBE = r"""
import socket, sys, time
for line in sys.stdin:
    address, wanted = line.split()
    while True:
        began = time.perf_counter()
        try:
            socket.create_connection((address, 80), timeout=0.05).close()
            is_open = True
        except OSError:
            is_open = False
        if is_open == (wanted == "open"):
            print(began, flush=True)
            break
        time.sleep(0.005)
"""


class ConnectionProbe:
    """Times how long a change takes to reach the data path: from the API write to the first connection from the
    client's namespace that the new rules decide."""

    def __init__(self):
        self.process = subprocess.Popen(["ip", "netns", "exec", CLIENT_NETNS, sys.executable, "-c", PROBE], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)

    def until(self, address, wanted, change):
        """Makes `change` and returns how long until connections to `address` are `wanted` (open or closed)."""
        began = time.perf_counter()
        change()
        self.process.stdin.write(f"{address} {wanted}\n")
        self.process.stdin.flush()
        return float(self.process.stdout.readline()) - began

    def stop(self):
        self.process.kill()


def merge_patch(skiff, path, patch):
    connection = skiff.connection()
    connection.request("PATCH", path, body=json.dumps(patch), headers={"Content-Type": "application/merge-patch+json"})
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 200, response.status


def serves_from_client(address):
    return subprocess.run(["ip", "netns", "exec", CLIENT_NETNS, "wget", "-qO", "/dev/null", "-T", "1", f"http://{address}/"],
                          capture_output=True).returncode == 0


def table_size():
    """The table's rules, sets, and elements in its sets."""
    items = json.loads(subprocess.run(["nft", "-j", "list", "table", "ip", TABLE], capture_output=True, text=True).stdout)["nftables"]
    sets = [item["set"] for item in items if "set" in item]
    return sum(1 for item in items if "rule" in item), len(sets), sum(len(set_.get("elem", [])) for set_ in sets)


def policy(namespace, index):
    """Policy `index` of a namespace: its backend pod, from pods of one app label in the namespace or of one tier
    across a team's namespaces, on port 80 or the backend's named port."""
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": f"p-{index}", "namespace": namespace},
            "spec": {"podSelector": {"matchLabels": {"app": "backend"}}, "policyTypes": ["Ingress"],
                     "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": f"a{index % 50}"}}},
                                           {"namespaceSelector": {"matchLabels": {"team": f"t{index % 3}"}},
                                            "podSelector": {"matchLabels": {"tier": f"tier{index % 10}"}}}],
                                  "ports": [{"port": 80}, {"port": "http"}]}]}}


def wrk(url):
    out = subprocess.run(["ip", "netns", "exec", CLIENT_NETNS, "wrk", "-t2", "-c20", "-d8s", url],
                         capture_output=True, text=True).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def client_netns(up):
    """A network namespace with a veth to this machine, routed to the pod range: its traffic to a pod is forwarded,
    so the node's policies judge it as they judge another machine's."""
    subprocess.run(["ip", "netns", "del", CLIENT_NETNS], capture_output=True)
    subprocess.run(["ip", "link", "del", "skiffpb0"], capture_output=True)
    if not up:
        return
    for command in (["ip", "netns", "add", CLIENT_NETNS],
                    ["ip", "link", "add", "skiffpb0", "type", "veth", "peer", "name", "skiffpb1", "netns", CLIENT_NETNS],
                    ["ip", "addr", "add", f"{CLIENT_HOST}/24", "dev", "skiffpb0"], ["ip", "link", "set", "skiffpb0", "up"],
                    ["ip", "-n", CLIENT_NETNS, "link", "set", "skiffpb1", "up"], ["ip", "-n", CLIENT_NETNS, "link", "set", "lo", "up"]):
        subprocess.run(command, check=True)


def client_address(run):
    """A new address for the client for each run: a busy run leaves tens of thousands of its (address, port) pairs in
    conntrack's TIME_WAIT for two minutes, which would slow the next run from the same address."""
    address = f"10.99.7.{10 + run}"
    for command in (["ip", "-n", CLIENT_NETNS, "addr", "flush", "dev", "skiffpb1"],
                    ["ip", "-n", CLIENT_NETNS, "addr", "add", f"{address}/24", "dev", "skiffpb1"],
                    ["ip", "-n", CLIENT_NETNS, "route", "add", CLUSTER_CIDR, "via", CLIENT_HOST]):
        subprocess.run(command, check=True)


def main():
    if not shutil.which("wrk"):
        sys.exit("wrk is needed for the data-path figures: apt-get install wrk")
    subprocess.run(["bash", str(ROOT / "scripts" / "test-images.sh")], check=True, capture_output=True)
    work = pathlib.Path(tempfile.mkdtemp(prefix="skiff-policy-bench-"))
    skiff = Skiff(["--cluster-cidr", CLUSTER_CIDR, "--hollow-nodes", str(HOLLOW_NODES)])
    skiff.start()
    agent = start_agent(skiff, work, registries_file(work), node=NODE, cluster_cidr=CLUSTER_CIDR)
    results = {"binary": BIN, "agent_log": str(work / "agent.log")}
    client_netns(True)
    try:
        wait(lambda: skiff.request("GET", f"/api/v1/nodes/{NODE}")[0] == 200, timeout=60)
        connection = skiff.connection()
        namespaces = [f"ns-{index}" for index in range(NAMESPACES)] + ["direct"]
        for index, name in enumerate(namespaces):
            skiff.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                         "metadata": {"name": name, "labels": {"team": f"t{index % 3}"}}}, connection=connection)
        # A backend on this node in every namespace; the one in `direct` is never selected by a policy but the last.
        for name in namespaces:
            backend = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "backend", "namespace": name, "labels": {"app": "backend"}},
                       "spec": {"nodeName": NODE, "containers": [{"name": "web", "image": "nginx", "imagePullPolicy": "IfNotPresent",
                                                                   "ports": [{"name": "http", "containerPort": 80}]}]}}
            skiff.request("POST", f"/api/v1/namespaces/{name}/pods", backend, connection=connection)
        # The hollow nodes' pods: addresses in the pod range, labels the policies select by.
        for index in range(HOLLOW_PODS):
            pod = {"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": f"hollow-{index}", "namespace": namespaces[index % NAMESPACES],
                                "labels": {"app": f"a{index % 50}", "tier": f"tier{index % 10}"}},
                   "spec": {"nodeName": f"hollow-node-{index % HOLLOW_NODES}", "containers": [{"name": "c", "image": "busybox"}]}}
            skiff.request("POST", f"/api/v1/namespaces/{pod['metadata']['namespace']}/pods", pod, connection=connection)

        def pod_ip(namespace, name):
            return json.loads(skiff.request("GET", f"/api/v1/namespaces/{namespace}/pods/{name}")[1]).get("status", {}).get("podIP")
        wait(lambda: all(pod_ip(name, "backend") for name in namespaces), timeout=120)
        wait(lambda: pod_ip(namespaces[(HOLLOW_PODS - 1) % NAMESPACES], f"hollow-{HOLLOW_PODS - 1}"), timeout=300)
        direct = pod_ip("direct", "backend")

        def serves(address):
            try:
                socket.create_connection((address, 80), timeout=1).close()
                return True
            except OSError:
                return False
        wait(lambda: serves(direct), timeout=60)

        time.sleep(3)
        results[f"agent_rss_mib_with_{HOLLOW_PODS}_pods_before_policies"] = round(rss_mib(agent.pid), 1)
        # Bulk: 1 000 policies, 100 per namespace.
        began = time.perf_counter()
        for index in range(POLICIES):
            namespace = namespaces[index % NAMESPACES]
            skiff.request("POST", f"/apis/networking.k8s.io/v1/namespaces/{namespace}/networkpolicies", policy(namespace, index),
                          connection=connection)
        created = time.perf_counter()
        wait(lambda: policy_chains() >= POLICIES, timeout=600)
        done = time.perf_counter()
        results[f"bulk_{POLICIES}_policies_create_s"] = round(created - began, 2)
        results[f"bulk_{POLICIES}_policies_in_kernel_after_last_create_s"] = round(done - created, 2)

        # Changes reaching the data path with the 1 000 policies in place, probed by connecting from the client's
        # namespace to the `direct` backend: a policy shutting the client out created and deleted, and the backend
        # relabelled into and out of a standing policy that isolates `locked` pods.
        client_address(0)
        wait(lambda: serves_from_client(direct), timeout=30)
        probe = ConnectionProbe()
        deny = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "deny", "namespace": "direct"},
                "spec": {"podSelector": {"matchLabels": {"app": "backend"}}, "policyTypes": ["Ingress"]}}
        lock = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "lock", "namespace": "direct"},
                "spec": {"podSelector": {"matchLabels": {"locked": "yes"}}, "policyTypes": ["Ingress"]}}
        skiff.request("POST", "/apis/networking.k8s.io/v1/namespaces/direct/networkpolicies", lock)
        policies_path = "/apis/networking.k8s.io/v1/namespaces/direct/networkpolicies"
        policy_created, deleted, locked, unlocked = [], [], [], []
        for _ in range(PROBES):
            time.sleep(0.3)
            policy_created.append(probe.until(direct, "closed", lambda: skiff.request("POST", policies_path, deny)))
            time.sleep(0.3)
            deleted.append(probe.until(direct, "open", lambda: skiff.request("DELETE", f"{policies_path}/deny")))
            time.sleep(0.3)
            locked.append(probe.until(direct, "closed", lambda: merge_patch(skiff, "/api/v1/namespaces/direct/pods/backend",
                                                                            {"metadata": {"labels": {"locked": "yes"}}})))
            time.sleep(0.3)
            unlocked.append(probe.until(direct, "open", lambda: merge_patch(skiff, "/api/v1/namespaces/direct/pods/backend",
                                                                            {"metadata": {"labels": {"locked": "no"}}})))
        probe.stop()
        skiff.request("DELETE", f"{policies_path}/lock")
        for label, values in (("policy_created", policy_created), ("policy_deleted", deleted), ("pod_relabelled_into_policy", locked),
                              ("pod_relabelled_out_of_policy", unlocked)):
            results[f"sync_{label}_p50_ms_with_{POLICIES}_policies"] = round(percentile(values, 0.5) * 1000, 1)
            results[f"sync_{label}_p99_ms_with_{POLICIES}_policies"] = round(percentile(values, 0.99) * 1000, 1)
        time.sleep(3)
        results[f"agent_rss_mib_with_{POLICIES}_policies_{HOLLOW_PODS}_pods"] = round(rss_mib(agent.pid), 1)
        rules, sets, elements = table_size()
        results.update({f"kernel_rules_with_{POLICIES}_policies": rules, f"kernel_sets_with_{POLICIES}_policies": sets,
                        f"kernel_set_elements_with_{POLICIES}_policies": elements})

        # The data path: the `direct` backend with no policy, then with one allowing the client, alternating.
        allow = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "allow-client", "namespace": "direct"},
                 "spec": {"podSelector": {"matchLabels": {"app": "backend"}}, "policyTypes": ["Ingress"],
                          "ingress": [{"from": [{"ipBlock": {"cidr": CLIENT_RANGE}}], "ports": [{"port": 80}]}]}}
        allow_chain = f"ingress-{short_hash('direct/allow-client')}-direct/allow-client"
        rates = {"none": [], "allowed": []}
        for _ in range(3):
            for kind in ("none", "allowed"):
                if kind == "allowed":
                    skiff.request("POST", "/apis/networking.k8s.io/v1/namespaces/direct/networkpolicies", allow)
                    wait(lambda: has_chain(allow_chain), timeout=30)
                client_address(len(rates["none"]) + len(rates["allowed"]))
                rates[kind].append(wrk(f"http://{direct}/"))
                if kind == "allowed":
                    skiff.request("DELETE", "/apis/networking.k8s.io/v1/namespaces/direct/networkpolicies/allow-client")
                    wait(lambda: not has_chain(allow_chain), timeout=30)
        none, allowed = percentile(rates["none"], 0.5), percentile(rates["allowed"], 0.5)
        results.update({"data_path_no_policy_requests_per_s": round(none), "data_path_allowed_by_policy_requests_per_s": round(allowed),
                        "data_path_allowed_to_none_ratio": round(allowed / none, 3), "data_path_runs": rates})
    finally:
        client_netns(False)
        stop_agent(agent)
        skiff.stop()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
