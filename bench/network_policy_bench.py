#!/usr/bin/env python3
"""NetworkPolicy enforcement on a real node: a `skiff server` with hollow nodes (whose 5 000 pods have addresses, which
is all the rule sets need) and a separate `skiff agent` whose enforcer programs the node's nftables table.

Reports:
- the bulk load: 1 000 policies (each selecting this node's backend pod of its namespace, its peers chosen by pod and
  namespace labels among the 5 000 pods), from the first create to every policy's chain in the kernel;
- sync latency with those 1 000 policies: a hollow pod relabelled into a policy's peers until its address is in the
  kernel's set, and a new policy until its chain is, p50/p99;
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
CLIENT_NETNS, CLIENT_HOST, CLIENT_ADDRESS = "skiff-policy-bench", "10.99.7.1", "10.99.7.2"
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


def has_element(set_name, address):
    return subprocess.run(["nft", "get", "element", "ip", TABLE, set_name, "{", address, "}"], capture_output=True).returncode == 0


def table_size():
    listing = subprocess.run(["nft", "list", "table", "ip", TABLE], capture_output=True, text=True).stdout
    rules = sum(1 for line in listing.splitlines() if line.startswith("\t\t") and " accept" in line or line.strip() == "drop")
    sets = listing.count("\tset ")
    elements = sum(line.count(",") + 1 for line in listing.splitlines() if "elements = {" in line)
    return rules, sets, elements


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
                    ["ip", "addr", "add", f"{CLIENT_HOST}/30", "dev", "skiffpb0"], ["ip", "link", "set", "skiffpb0", "up"],
                    ["ip", "-n", CLIENT_NETNS, "addr", "add", f"{CLIENT_ADDRESS}/30", "dev", "skiffpb1"],
                    ["ip", "-n", CLIENT_NETNS, "link", "set", "skiffpb1", "up"], ["ip", "-n", CLIENT_NETNS, "link", "set", "lo", "up"],
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
        wait(lambda: pod_ip("ns-0", f"hollow-{HOLLOW_PODS - 1}"), timeout=300)
        direct = pod_ip("direct", "backend")

        def serves(address):
            try:
                socket.create_connection((address, 80), timeout=1).close()
                return True
            except OSError:
                return False
        wait(lambda: serves(direct), timeout=60)

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

        # A pod joining a policy's peers: hollow-<i> has app a<i % 50>; relabel it to the app of policy 7 (a7) and back.
        relabelled = []
        target_policy = 7
        set_name = f"policy-{short_hash(f'{namespaces[target_policy % NAMESPACES]}/p-{target_policy}')}-ingress0-pods"
        for probe in range(PROBES):
            index = NAMESPACES * (probe + 1) + target_policy % NAMESPACES  # a pod of the policy's namespace
            name, namespace = f"hollow-{index}", namespaces[index % NAMESPACES]
            address = pod_ip(namespace, name)
            if index % 50 == target_policy:
                continue
            time.sleep(0.3)
            began = time.perf_counter()
            body = json.dumps({"metadata": {"labels": {"app": f"a{target_policy}"}}})
            conn = skiff.connection()
            conn.request("PATCH", f"/api/v1/namespaces/{namespace}/pods/{name}", body=body,
                         headers={"Content-Type": "application/merge-patch+json"})
            conn.getresponse().read()
            conn.close()
            wait(lambda: has_element(set_name, address), timeout=30)
            relabelled.append(time.perf_counter() - began)
        results[f"sync_pod_relabelled_into_peers_p50_ms_with_{POLICIES}_policies"] = round(percentile(relabelled, 0.5) * 1000, 1)
        results[f"sync_pod_relabelled_into_peers_p99_ms_with_{POLICIES}_policies"] = round(percentile(relabelled, 0.99) * 1000, 1)

        added = []
        for probe in range(PROBES):
            namespace = namespaces[probe % NAMESPACES]
            name = f"probe-{probe}"
            chain = f"ingress-{short_hash(f'{namespace}/{name}')}-{namespace}/{name}"
            body = policy(namespace, probe)
            body["metadata"]["name"] = name
            time.sleep(0.3)
            began = time.perf_counter()
            skiff.request("POST", f"/apis/networking.k8s.io/v1/namespaces/{namespace}/networkpolicies", body)
            wait(lambda: has_chain(chain), timeout=30)
            added.append(time.perf_counter() - began)
        results[f"sync_policy_created_p50_ms_with_{POLICIES}_policies"] = round(percentile(added, 0.5) * 1000, 1)
        results[f"sync_policy_created_p99_ms_with_{POLICIES}_policies"] = round(percentile(added, 0.99) * 1000, 1)
        time.sleep(3)
        results[f"agent_rss_mib_with_{POLICIES}_policies_{HOLLOW_PODS}_pods"] = round(rss_mib(agent.pid), 1)
        rules, sets, elements = table_size()
        results.update({f"kernel_rules_with_{POLICIES}_policies": rules, f"kernel_sets_with_{POLICIES}_policies": sets,
                        f"kernel_set_elements_with_{POLICIES}_policies": elements})

        # The data path: the `direct` backend with no policy, then with one allowing the client, alternating.
        allow = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "allow-client", "namespace": "direct"},
                 "spec": {"podSelector": {"matchLabels": {"app": "backend"}}, "policyTypes": ["Ingress"],
                          "ingress": [{"from": [{"ipBlock": {"cidr": f"{CLIENT_ADDRESS}/32"}}], "ports": [{"port": 80}]}]}}
        allow_chain = f"ingress-{short_hash('direct/allow-client')}-direct/allow-client"
        rates = {"none": [], "allowed": []}
        for _ in range(3):
            for kind in ("none", "allowed"):
                if kind == "allowed":
                    skiff.request("POST", "/apis/networking.k8s.io/v1/namespaces/direct/networkpolicies", allow)
                    wait(lambda: has_chain(allow_chain), timeout=30)
                rates[kind].append(wrk(f"http://{direct}/"))
                if kind == "allowed":
                    skiff.request("DELETE", "/apis/networking.k8s.io/v1/namespaces/direct/networkpolicies/allow-client")
                    wait(lambda: not has_chain(allow_chain), timeout=30)
                # The client's closed connections wait out TIME_WAIT; let the next run start afresh.
                time.sleep(2)
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
