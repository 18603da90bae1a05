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


def versioned_daemonset(name, image, change_cause, history_limit=None):
    limit = f"\n  revisionHistoryLimit: {history_limit}" if history_limit is not None else ""
    return f"""apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {name}
  annotations: {{kubernetes.io/change-cause: "{change_cause}"}}
spec:{limit}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers: [{{name: proxy, image: "{image}"}}]
"""


def rolled_out(cluster, name, image):
    """Waits until every node runs one ready daemon of `name` with `image`."""
    def done():
        pods = [p for p in cluster.kubectl_json("get", "pods", "-l", f"app={name}")["items"] if not p["metadata"].get("deletionTimestamp")]
        ready = [p for p in pods if any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", []))]
        return len(pods) == 3 and len(ready) == 3 and all(p["spec"]["containers"][0]["image"] == image for p in pods) and pods
    return wait_for(done, f"{name} rolled out with {image}")


def revisions(cluster, name):
    """The ControllerRevisions of `name` by number."""
    items = cluster.kubectl_json("get", "controllerrevisions", "-l", f"app={name}")["items"]
    return {r["revision"]: r for r in items}


def history(cluster, kind_name):
    """`kubectl rollout history` as (revision, change-cause) rows."""
    lines = cluster.kubectl("rollout", "history", kind_name).stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("REVISION"))
    return [tuple(line.split(None, 1)) for line in lines[header + 1:] if line.strip()]


def test_rollout_history_and_undo_follow_the_controller_revisions(cluster):
    for version, image in enumerate(["nginx:1.25", "nginx:1.26", "nginx:1.27"], start=1):
        cluster.kubectl("apply", "-f", "-", input=versioned_daemonset("history", image, f"v{version}"))
        pods = rolled_out(cluster, "history", image)
    assert history(cluster, "ds/history") == [("1", "v1"), ("2", "v2"), ("3", "v3")]
    by_number = revisions(cluster, "history")
    for revision in by_number.values():
        owner = revision["metadata"]["ownerReferences"][0]
        assert (owner["kind"], owner["name"], owner["controller"]) == ("DaemonSet", "history", True)
        assert revision["data"]["spec"]["template"]["$patch"] == "replace"
    newest = by_number[3]["metadata"]["name"]
    assert {"history-" + p["metadata"]["labels"]["controller-revision-hash"] for p in pods} == {newest}
    table = cluster.kubectl("get", "controllerrevisions", "-l", "app=history").stdout.splitlines()
    assert table[0].split() == ["NAME", "CONTROLLER", "REVISION", "AGE"]
    assert sorted(line.split()[1:3] for line in table[1:]) == [["daemonset.apps/history", str(n)] for n in (1, 2, 3)]
    assert "nginx:1.26" in cluster.kubectl("rollout", "history", "ds/history", "--revision=2").stdout

    # Undo goes back to revision 2's template, which becomes revision 4.
    second = by_number[2]["metadata"]["name"]
    assert "rolled back" in cluster.kubectl("rollout", "undo", "ds/history").stdout
    pods = rolled_out(cluster, "history", "nginx:1.26")
    assert {"history-" + p["metadata"]["labels"]["controller-revision-hash"] for p in pods} == {second}
    wait_for(lambda: [n for n, _ in history(cluster, "ds/history")] == ["1", "3", "4"], "revision 2 renumbered to 4")
    assert revisions(cluster, "history")[4]["metadata"]["name"] == second

    assert "rolled back" in cluster.kubectl("rollout", "undo", "ds/history", "--to-revision=1").stdout
    rolled_out(cluster, "history", "nginx:1.25")
    wait_for(lambda: [n for n, _ in history(cluster, "ds/history")] == ["3", "4", "5"], "revision 1 renumbered to 5")

    # Deleting the DaemonSet collects its revisions.
    cluster.kubectl("delete", "ds", "history")
    wait_for(lambda: not revisions(cluster, "history"), "the revisions collected with their DaemonSet")


def test_history_is_trimmed_to_the_revision_history_limit(cluster):
    for version, image in enumerate(["nginx:1.25", "nginx:1.26", "nginx:1.27", "nginx:1.28"], start=1):
        cluster.kubectl("apply", "-f", "-", input=versioned_daemonset("trimmed", image, f"v{version}", history_limit=1))
        rolled_out(cluster, "trimmed", image)
    wait_for(lambda: sorted(revisions(cluster, "trimmed")) == [3, 4], "the current revision and one before it")
    cluster.kubectl("delete", "ds", "trimmed")
