"""Nodes, hollow nodes and the scheduler, driven with real kubectl against a server simulating three nodes."""
import json
import time

import pytest

from conftest import own_server, wait_for

NODES = ["hollow-node-0", "hollow-node-1", "hollow-node-2"]


@pytest.fixture(scope="module")
def cluster():
    with own_server("skiff-e2e-sched-", ["--hollow-nodes", "3", "--node-monitor-grace-period", "15"]) as running:
        wait_for(lambda: len(ready_nodes(running)) == 3, "three hollow nodes Ready")
        yield running


@pytest.fixture
def ns(cluster, request):
    name = f"sched-{request.node.name.replace('_', '-')[5:40].lower().strip('-')}"
    cluster.kubectl("create", "namespace", name)
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=true", "--timeout=60s")


def ready_nodes(server):
    nodes = json.loads(server.kubectl("get", "nodes", "-o", "json").stdout)["items"]
    return [n["metadata"]["name"] for n in nodes
            if any(c["type"] == "Ready" and c["status"] == "True" for c in n["status"].get("conditions", []))]


def apply(server, ns, manifest):
    server.kubectl("apply", "-n", ns, "-f", "-", input=manifest)


def pod_yaml(name, *, labels=None, cpu=None, extra=""):
    labels = labels or {"app": name}
    label_lines = "".join(f"\n    {k}: {v}" for k, v in labels.items())
    resources = f"\n    resources: {{requests: {{cpu: {cpu}}}}}" if cpu else ""
    return f"""apiVersion: v1
kind: Pod
metadata:
  name: {name}
  labels:{label_lines}
spec:
  containers:
  - name: app
    image: nginx{resources}
{extra}"""


def node_of(server, ns, pod, timeout=20.0):
    return wait_for(lambda: server.kubectl_json("get", "pod", pod, "-n", ns)["spec"].get("nodeName"), f"{pod} to be bound", timeout)


def failed_scheduling_message(server, ns, pod):
    def message():
        events = server.kubectl_json("get", "events", "-n", ns, "--field-selector", f"involvedObject.name={pod},reason=FailedScheduling")
        return events["items"][0]["message"] if events["items"] else None
    return wait_for(message, f"a FailedScheduling event for {pod}")


def test_get_nodes_shows_hollow_nodes_with_kubernetes_columns(cluster):
    out = cluster.kubectl("get", "nodes").stdout.splitlines()
    assert out[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    rows = {line.split()[0]: line.split() for line in out[1:]}
    assert sorted(rows) == NODES
    for row in rows.values():
        assert row[1] == "Ready" and row[2] == "<none>" and row[4] == "v1.32.0"
    wide = cluster.kubectl("get", "nodes", "-o", "wide").stdout.splitlines()
    assert "INTERNAL-IP" in wide[0] and "CONTAINER-RUNTIME" in wide[0]
    node = cluster.kubectl_json("get", "node", "hollow-node-0")
    labels = node["metadata"]["labels"]
    assert labels["kubernetes.io/hostname"] == "hollow-node-0"
    assert labels["kubernetes.io/os"] == "linux" and labels["kubernetes.io/arch"] == "amd64"
    assert node["status"]["allocatable"]["pods"] == "110"
    assert {"cpu", "memory", "pods", "ephemeral-storage"} <= set(node["status"]["capacity"])
    assert node["status"]["nodeInfo"]["kubeletVersion"] == "v1.32.0"


def test_each_node_gets_a_pod_cidr_from_the_cluster_cidr(cluster):
    cidrs = {cluster.kubectl_json("get", "node", name)["spec"]["podCIDR"] for name in NODES}
    assert len(cidrs) == 3
    assert all(c.startswith("10.42.") and c.endswith(".0/24") for c in cidrs)


def test_nodes_renew_their_leases(cluster):
    def renew_time():
        return cluster.kubectl_json("get", "lease", "hollow-node-1", "-n", "kube-node-lease")["spec"]["renewTime"]
    first = renew_time()
    assert cluster.kubectl_json("get", "lease", "hollow-node-1", "-n", "kube-node-lease")["spec"]["holderIdentity"] == "hollow-node-1"
    wait_for(lambda: renew_time() != first, "the lease to be renewed", timeout=25, interval=1)


def test_pod_runs_on_a_hollow_node_and_shows_scheduled_event(cluster, ns):
    apply(cluster, ns, pod_yaml("web"))
    wait_for(lambda: cluster.kubectl_json("get", "pod", "web", "-n", ns)["status"].get("phase") == "Running", "web Running")
    pod = cluster.kubectl_json("get", "pod", "web", "-n", ns)
    assert pod["spec"]["nodeName"] in NODES
    assert pod["status"]["podIP"].startswith("10.42.")
    conditions = {c["type"]: c["status"] for c in pod["status"]["conditions"]}
    assert conditions["PodScheduled"] == "True" and conditions["Ready"] == "True"
    row = cluster.kubectl("get", "pod", "web", "-n", ns).stdout.splitlines()[1].split()
    assert row[1:3] == ["1/1", "Running"]
    describe = cluster.kubectl("describe", "pod", "web", "-n", ns).stdout
    assert f"Successfully assigned {ns}/web to {pod['spec']['nodeName']}" in describe
    assert "default-scheduler" in describe


def test_node_selector_places_the_pod_and_unmatched_selector_waits_until_a_node_matches(cluster, ns):
    cluster.kubectl("label", "node", "hollow-node-2", "disktype=ssd")
    try:
        apply(cluster, ns, pod_yaml("fast", extra="  nodeSelector:\n    disktype: ssd\n"))
        assert node_of(cluster, ns, "fast") == "hollow-node-2"

        apply(cluster, ns, pod_yaml("gpu", extra="  nodeSelector:\n    accelerator: tpu\n"))
        message = failed_scheduling_message(cluster, ns, "gpu")
        assert message == ("0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. "
                           "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")
        condition = next(c for c in cluster.kubectl_json("get", "pod", "gpu", "-n", ns)["status"]["conditions"] if c["type"] == "PodScheduled")
        assert (condition["status"], condition["reason"]) == ("False", "Unschedulable")
        # A change to the cluster (a node gains the label) retries the pod without waiting for a periodic sweep.
        cluster.kubectl("label", "node", "hollow-node-0", "accelerator=tpu")
        assert node_of(cluster, ns, "gpu", timeout=15) == "hollow-node-0"
    finally:
        cluster.kubectl("label", "node", "hollow-node-2", "disktype-")
        cluster.kubectl("label", "node", "hollow-node-0", "accelerator-")


def test_required_and_preferred_node_affinity(cluster, ns):
    cluster.kubectl("label", "node", "hollow-node-0", "topology.kubernetes.io/zone=zone-a")
    cluster.kubectl("label", "node", "hollow-node-1", "topology.kubernetes.io/zone=zone-b")
    cluster.kubectl("label", "node", "hollow-node-2", "topology.kubernetes.io/zone=zone-b")
    try:
        required = """  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions:
          - {key: topology.kubernetes.io/zone, operator: In, values: [zone-b]}
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        preference:
          matchExpressions:
          - {key: kubernetes.io/hostname, operator: In, values: [hollow-node-2]}
"""
        apply(cluster, ns, pod_yaml("zoned", extra=required))
        assert node_of(cluster, ns, "zoned") == "hollow-node-2"
        not_in = """  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions:
          - {key: topology.kubernetes.io/zone, operator: NotIn, values: [zone-b]}
"""
        apply(cluster, ns, pod_yaml("elsewhere", extra=not_in))
        assert node_of(cluster, ns, "elsewhere") == "hollow-node-0"
    finally:
        for node in NODES:
            cluster.kubectl("label", "node", node, "topology.kubernetes.io/zone-")


def test_pod_anti_affinity_spreads_replicas_and_affinity_colocates(cluster, ns):
    anti = """  affinity:
    podAntiAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
      - labelSelector:
          matchLabels: {app: db}
        topologyKey: kubernetes.io/hostname
"""
    for index in range(3):
        apply(cluster, ns, pod_yaml(f"db-{index}", labels={"app": "db"}, extra=anti))
    placed = {node_of(cluster, ns, f"db-{index}") for index in range(3)}
    assert placed == set(NODES)
    apply(cluster, ns, pod_yaml("db-3", labels={"app": "db"}, extra=anti))
    assert failed_scheduling_message(cluster, ns, "db-3").startswith(
        "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules.")

    apply(cluster, ns, pod_yaml("cache", labels={"app": "cache"}))
    cache_node = node_of(cluster, ns, "cache")
    near = """  affinity:
    podAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
      - labelSelector:
          matchLabels: {app: cache}
        topologyKey: kubernetes.io/hostname
"""
    apply(cluster, ns, pod_yaml("web", labels={"app": "web"}, extra=near))
    assert node_of(cluster, ns, "web") == cache_node


def test_taints_and_tolerations_and_the_kubernetes_failed_scheduling_message(cluster, ns):
    cluster.kubectl("taint", "node", "hollow-node-0", "dedicated=gpu:NoSchedule")
    try:
        for index in range(4):
            apply(cluster, ns, pod_yaml(f"plain-{index}"))
            assert node_of(cluster, ns, f"plain-{index}") != "hollow-node-0"
        tolerant = """  nodeSelector:
    kubernetes.io/hostname: hollow-node-0
  tolerations:
  - {key: dedicated, operator: Equal, value: gpu, effect: NoSchedule}
"""
        apply(cluster, ns, pod_yaml("gpu-job", extra=tolerant))
        assert node_of(cluster, ns, "gpu-job") == "hollow-node-0"

        apply(cluster, ns, pod_yaml("huge", cpu="5"))
        expected = ("0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu. "
                    "preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
                    "2 No preemption victims found for incoming pod.")
        assert failed_scheduling_message(cluster, ns, "huge") == expected
        describe = cluster.kubectl("describe", "pod", "huge", "-n", ns).stdout
        assert "FailedScheduling" in describe and "Warning" in describe
        assert cluster.kubectl("get", "pod", "huge", "-n", ns).stdout.splitlines()[1].split()[2] == "Pending"
    finally:
        cluster.kubectl("taint", "node", "hollow-node-0", "dedicated=gpu:NoSchedule-")


def test_topology_spread_evens_out_zones(cluster, ns):
    cluster.kubectl("label", "node", "hollow-node-0", "zone=a")
    cluster.kubectl("label", "node", "hollow-node-1", "zone=b")
    cluster.kubectl("label", "node", "hollow-node-2", "zone=b")
    try:
        spread = """  topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: zone
    whenUnsatisfiable: DoNotSchedule
    labelSelector:
      matchLabels: {app: spread}
"""
        for index in range(4):
            apply(cluster, ns, pod_yaml(f"spread-{index}", labels={"app": "spread"}, extra=spread))
            node_of(cluster, ns, f"spread-{index}")
        nodes = [node_of(cluster, ns, f"spread-{index}") for index in range(4)]
        zone_a = sum(1 for n in nodes if n == "hollow-node-0")
        assert zone_a == 2, nodes
    finally:
        for node in NODES:
            cluster.kubectl("label", "node", node, "zone-")


def test_resource_requests_fill_nodes_then_report_insufficient_cpu(cluster, ns):
    for index in range(3):
        apply(cluster, ns, pod_yaml(f"heavy-{index}", cpu="3"))
    placed = {node_of(cluster, ns, f"heavy-{index}") for index in range(3)}
    assert placed == set(NODES), "LeastAllocated puts each 3-cpu pod on an empty node"
    apply(cluster, ns, pod_yaml("one-more", cpu="2"))
    assert failed_scheduling_message(cluster, ns, "one-more") == (
        "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: "
        "3 No preemption victims found for incoming pod.")
    # Deleting a pod frees its node: the waiting pod is retried and lands there.
    freed = node_of(cluster, ns, "heavy-1")
    cluster.kubectl("delete", "pod", "heavy-1", "-n", ns)
    assert node_of(cluster, ns, "one-more", timeout=15) == freed


def test_higher_priority_pod_preempts_a_lower_priority_one(cluster, ns):
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: e2e-low}
value: 10
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: e2e-high}
value: 100000
""")
    try:
        for index in range(3):
            apply(cluster, ns, pod_yaml(f"low-{index}", cpu="3", extra="  priorityClassName: e2e-low\n"))
            node_of(cluster, ns, f"low-{index}")
        apply(cluster, ns, pod_yaml("urgent", cpu="3", extra="  priorityClassName: e2e-high\n"))
        node = node_of(cluster, ns, "urgent", timeout=30)
        remaining = cluster.kubectl_json("get", "pods", "-n", ns, "-l", "app!=urgent")["items"]
        low_nodes = {p["spec"].get("nodeName") for p in remaining if p["metadata"]["name"].startswith("low-")}
        assert node not in low_nodes
        events = cluster.kubectl_json("get", "events", "-n", ns, "--field-selector", "reason=Preempted")["items"]
        assert events and events[0]["message"].startswith("Preempted by pod ")
    finally:
        cluster.kubectl("delete", "priorityclass", "e2e-low", "e2e-high")


def test_cordon_uncordon_and_drain_with_a_disruption_budget(cluster, ns):
    cluster.kubectl("cordon", "hollow-node-1")
    try:
        row = next(line for line in cluster.kubectl("get", "nodes").stdout.splitlines() if line.startswith("hollow-node-1"))
        assert row.split()[1] == "Ready,SchedulingDisabled"
        taints = wait_for(lambda: cluster.kubectl_json("get", "node", "hollow-node-1")["spec"].get("taints"), "the unschedulable taint")
        assert {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"} in [
            {k: t[k] for k in ("key", "effect")} for t in taints]
        for index in range(4):
            apply(cluster, ns, pod_yaml(f"avoid-{index}"))
            assert node_of(cluster, ns, f"avoid-{index}") != "hollow-node-1"
    finally:
        cluster.kubectl("uncordon", "hollow-node-1")
    wait_for(lambda: not cluster.kubectl_json("get", "node", "hollow-node-1")["spec"].get("taints"), "the taint to go")

    guard = """  nodeSelector:
    kubernetes.io/hostname: hollow-node-2
"""
    apply(cluster, ns, pod_yaml("guarded", labels={"app": "guarded"}, extra=guard))
    wait_for(lambda: cluster.kubectl_json("get", "pod", "guarded", "-n", ns)["status"].get("phase") == "Running", "guarded Running")
    cluster.kubectl("create", "poddisruptionbudget", "guard", "-n", ns, "--selector=app=guarded", "--min-available=1")
    wait_for(lambda: cluster.kubectl_json("get", "pdb", "guard", "-n", ns).get("status", {}).get("currentHealthy") == 1,
             "the budget status")
    blocked = cluster.kubectl("drain", "hollow-node-2", "--force", "--ignore-daemonsets", "--timeout=6s", check=False)
    assert blocked.returncode != 0
    assert "Cannot evict pod as it would violate the pod's disruption budget." in blocked.stderr + blocked.stdout
    cluster.kubectl("delete", "pdb", "guard", "-n", ns)
    drained = cluster.kubectl("drain", "hollow-node-2", "--force", "--ignore-daemonsets", "--timeout=30s")
    assert "node/hollow-node-2 drained" in drained.stdout
    wait_for(lambda: not cluster.kubectl_json("get", "pods", "-n", ns, "--field-selector", "spec.nodeName=hollow-node-2")["items"],
             "the node's pods to be gone")
    cluster.kubectl("uncordon", "hollow-node-2")


def test_a_silent_node_becomes_not_ready_and_its_pods_are_evicted(cluster, ns):
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: v1
kind: Node
metadata:
  name: silent-node
  labels: {kubernetes.io/hostname: silent-node}
status:
  conditions:
  - {type: Ready, status: "True", reason: KubeletReady, message: kubelet is posting ready status}
""")
    try:
        short = """  nodeName: silent-node
  tolerations:
  - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 2}
"""
        apply(cluster, ns, pod_yaml("stranded", extra=short))
        apply(cluster, ns, pod_yaml("patient", extra="  nodeName: silent-node\n"))
        patient = cluster.kubectl_json("get", "pod", "patient", "-n", ns)
        defaults = [t for t in patient["spec"]["tolerations"] if t["key"] == "node.kubernetes.io/unreachable"]
        assert defaults[0]["tolerationSeconds"] == 300
        # No Lease is ever renewed for this node: after the 15 s grace period it is NotReady and tainted.
        wait_for(lambda: "NotReady" in cluster.kubectl("get", "node", "silent-node").stdout, "silent-node NotReady", timeout=40, interval=1)
        node = cluster.kubectl_json("get", "node", "silent-node")
        ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
        assert ready["status"] == "Unknown" and ready["reason"] == "NodeStatusUnknown"
        effects = {(t["key"], t["effect"]) for t in node["spec"]["taints"]}
        assert effects == {("node.kubernetes.io/unreachable", "NoSchedule"), ("node.kubernetes.io/unreachable", "NoExecute")}
        wait_for(lambda: cluster.kubectl_json("get", "pod", "stranded", "-n", ns)["metadata"].get("deletionTimestamp"),
                 "the stranded pod to be evicted", timeout=15)
        assert "deletionTimestamp" not in cluster.kubectl_json("get", "pod", "patient", "-n", ns)["metadata"]
        events = cluster.kubectl_json("get", "events", "-n", ns, "--field-selector", "reason=TaintManagerEviction")["items"]
        assert events[0]["message"] == f"Marking for deletion Pod {ns}/stranded"
    finally:
        cluster.kubectl("delete", "node", "silent-node", "--wait=false")
        cluster.kubectl("delete", "pods", "--all", "-n", ns, "--force", "--grace-period=0", check=False)


def test_stopping_a_hollow_node_process_makes_its_nodes_not_ready_and_evicts_their_pods(fresh_server):
    from test_agent import join_token, server_url
    from conftest import skiff_binary
    import subprocess
    import signal as signals

    server = fresh_server("--node-monitor-grace-period", "20")

    def start_agent():
        return subprocess.Popen([skiff_binary(), "agent", "--server", server_url(server), "--token", join_token(server),
                                 "--hollow", "2", "--hollow-name-prefix", "remote-"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    agent = start_agent()
    try:
        wait_for(lambda: sorted(ready_nodes(server)) == ["remote-0", "remote-1"], "the agent's nodes Ready")
        short = """  nodeSelector:
    kubernetes.io/hostname: remote-0
  tolerations:
  - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 1}
"""
        server.kubectl("apply", "-f", "-", input=pod_yaml("short-lived", extra=short))
        wait_for(lambda: server.kubectl_json("get", "pod", "short-lived")["status"].get("phase") == "Running", "the pod Running")

        agent.send_signal(signals.SIGKILL)
        agent.wait(10)
        began = time.time()
        wait_for(lambda: not ready_nodes(server), "both nodes NotReady", timeout=45, interval=1)
        assert time.time() - began < 40
        rows = [line.split() for line in server.kubectl("get", "nodes").stdout.splitlines()[1:]]
        assert {row[1] for row in rows} == {"NotReady"}
        wait_for(lambda: server.kubectl_json("get", "pod", "short-lived")["metadata"].get("deletionTimestamp"),
                 "the pod evicted", timeout=15)

        # The process comes back: its nodes report Ready again and the unreachable taints are lifted.
        agent = start_agent()
        wait_for(lambda: sorted(ready_nodes(server)) == ["remote-0", "remote-1"], "the nodes Ready again", timeout=40)
        wait_for(lambda: not server.kubectl_json("get", "node", "remote-0")["spec"].get("taints"), "the taints lifted", timeout=20)
    finally:
        agent.kill()
        agent.wait(10)
