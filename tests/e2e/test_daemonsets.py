"""DaemonSets run one pod per eligible node and follow nodes joining and leaving, on hollow nodes."""
import time

import pytest

from conftest import own_server, wait_for


@pytest.fixture(scope="module")
def cluster():
    with own_server("skiff-e2e-ds-", ["--hollow-nodes", "3"]) as running:
        yield running


DAEMONSET = """apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers: [{name: agent, image: busybox}]
"""


def daemon_pods(cluster):
    return cluster.kubectl_json("get", "pods", "-l", "app=agent")["items"]


def test_one_pod_per_node_that_follows_nodes_joining_and_leaving(cluster):
    cluster.kubectl("apply", "-f", "-", input=DAEMONSET)
    wait_for(lambda: sorted(p["spec"].get("nodeName", "") for p in daemon_pods(cluster)) ==
             ["hollow-node-0", "hollow-node-1", "hollow-node-2"], "a daemon on each node")
    wait_for(lambda: cluster.kubectl("get", "ds", "agent").stdout.splitlines()[1].split()[1:6] == ["3", "3", "3", "3", "3"],
             "DESIRED CURRENT READY UP-TO-DATE AVAILABLE 3")
    pod = daemon_pods(cluster)[0]
    keys = {t["key"] for t in pod["spec"]["tolerations"]}
    assert {"node.kubernetes.io/unreachable", "node.kubernetes.io/not-ready", "node.kubernetes.io/unschedulable"} <= keys
    assert pod["metadata"]["ownerReferences"][0]["kind"] == "DaemonSet"

    cluster.kubectl("apply", "-f", "-", input="""apiVersion: v1
kind: Node
metadata:
  name: extra-node
  labels: {kubernetes.io/hostname: extra-node}
status:
  conditions: [{type: Ready, status: "True", reason: KubeletReady, message: ready}]
  allocatable: {cpu: "2", memory: 4Gi, pods: "110"}
""")
    wait_for(lambda: any(p["spec"].get("nodeName") == "extra-node" for p in daemon_pods(cluster)), "a daemon on the new node")
    cluster.kubectl("delete", "node", "extra-node")
    wait_for(lambda: not any(p["spec"].get("nodeName") == "extra-node" and not p["metadata"].get("deletionTimestamp")
                             for p in daemon_pods(cluster)), "the new node's daemon gone")
    assert "SuccessfulCreate" in cluster.kubectl("describe", "ds", "agent").stdout


def test_node_selector_limits_the_daemon_and_a_template_change_rolls_out(cluster):
    cluster.kubectl("label", "node", "hollow-node-1", "role=edge")
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: apps/v1
kind: DaemonSet
metadata: {name: edge}
spec:
  selector:
    matchLabels: {app: edge}
  template:
    metadata:
      labels: {app: edge}
    spec:
      nodeSelector: {role: edge}
      containers: [{name: proxy, image: nginx:1.25}]
""")
    pods = wait_for(lambda: [p for p in cluster.kubectl_json("get", "pods", "-l", "app=edge")["items"] if p["spec"].get("nodeName")],
                    "the edge daemon")
    assert [p["spec"]["nodeName"] for p in pods] == ["hollow-node-1"]
    old = pods[0]["metadata"]["name"]
    cluster.kubectl("set", "image", "ds/edge", "proxy=nginx:1.26")

    def replaced():
        current = [p for p in cluster.kubectl_json("get", "pods", "-l", "app=edge")["items"] if not p["metadata"].get("deletionTimestamp")]
        return len(current) == 1 and current[0]["metadata"]["name"] != old and \
            current[0]["spec"]["containers"][0]["image"] == "nginx:1.26" and current[0]["spec"].get("nodeName")
    wait_for(replaced, "the daemon replaced with the new image")
    cluster.kubectl("label", "node", "hollow-node-1", "role-")


def test_a_surging_rolling_update_starts_each_new_daemon_before_stopping_the_old_one(cluster):
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: apps/v1
kind: DaemonSet
metadata: {name: surge}
spec:
  selector:
    matchLabels: {app: surge}
  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata:
      labels: {app: surge}
    spec:
      containers: [{name: proxy, image: nginx:1.25}]
""")
    nodes = ["hollow-node-0", "hollow-node-1", "hollow-node-2"]

    def live():
        return [p for p in cluster.kubectl_json("get", "pods", "-l", "app=surge")["items"] if not p["metadata"].get("deletionTimestamp")]

    def ready(pod):
        return any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", []))

    wait_for(lambda: sorted(p["spec"].get("nodeName", "") for p in live() if ready(p)) == nodes, "a ready daemon on each node")
    cluster.kubectl("set", "image", "ds/surge", "proxy=nginx:1.26")
    samples = []
    deadline = time.time() + 60
    while time.time() < deadline:
        pods = live()
        samples.append(pods)
        if len(pods) == 3 and all(p["spec"]["containers"][0]["image"] == "nginx:1.26" and ready(p) for p in pods):
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the surging update never finished")
    for pods in samples:
        assert len(pods) <= 4, "no more than one surge daemon at a time"
        for node in nodes:
            assert any(ready(p) for p in pods if p["spec"].get("nodeName") == node), f"{node} kept a ready daemon throughout"
    events = cluster.kubectl_json("get", "events", "--field-selector", "involvedObject.name=surge")["items"]
    messages = [e["message"] for e in sorted(events, key=lambda e: e["metadata"]["name"]) if e["reason"] in ("SuccessfulCreate", "SuccessfulDelete")]
    first_delete = next(i for i, m in enumerate(messages) if m.startswith("Deleted pod"))
    assert first_delete >= 4, f"the first updated daemon started before any old one stopped: {messages}"
