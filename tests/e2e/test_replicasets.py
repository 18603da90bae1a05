"""ReplicaSets with real kubectl against a server simulating three nodes: scaling, replacement, events."""
import pytest

from conftest import own_server, wait_for

REPLICASET = """apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: app
        image: nginx
"""


@pytest.fixture(scope="module")
def cluster():
    with own_server("skiff-e2e-rs-", ["--hollow-nodes", "3"]) as running:
        yield running


@pytest.fixture
def ns(cluster, request):
    name = f"rs-{request.node.name.replace('_', '-')[5:40].lower().strip('-')}"
    cluster.kubectl("create", "namespace", name)
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=true", "--timeout=60s")


def rs_row(cluster, ns):
    """DESIRED, CURRENT and READY of `kubectl get rs web`."""
    lines = cluster.kubectl("get", "rs", "web", "-n", ns).stdout.splitlines()
    assert lines[0].split() == ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]
    return lines[1].split()[1:4]


def live_pods(cluster, ns):
    pods = cluster.kubectl_json("get", "pods", "-n", ns, "-l", "app=web")["items"]
    return sorted(p["metadata"]["name"] for p in pods if not p["metadata"].get("deletionTimestamp"))


def test_replicaset_scales_replaces_pods_and_reports_events(cluster, ns):
    cluster.kubectl("apply", "-n", ns, "-f", "-", input=REPLICASET)
    wait_for(lambda: rs_row(cluster, ns) == ["3", "3", "3"], "DESIRED/CURRENT/READY 3/3/3")
    rs = cluster.kubectl_json("get", "rs", "web", "-n", ns)
    pods = cluster.kubectl_json("get", "pods", "-n", ns, "-l", "app=web")["items"]
    assert len(pods) == 3
    for pod in pods:
        assert pod["metadata"]["name"].startswith("web-") and len(pod["metadata"]["name"]) == len("web-") + 5
        [owner] = pod["metadata"]["ownerReferences"]
        assert owner == {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": rs["metadata"]["uid"],
                         "controller": True, "blockOwnerDeletion": True}
        assert pod["spec"].get("nodeName", "").startswith("hollow-node-")

    cluster.kubectl("scale", "rs", "web", "-n", ns, "--replicas=5")
    wait_for(lambda: rs_row(cluster, ns) == ["5", "5", "5"], "5/5/5 after scaling up")
    assert len(live_pods(cluster, ns)) == 5

    cluster.kubectl("scale", "rs", "web", "-n", ns, "--replicas=2")
    wait_for(lambda: rs_row(cluster, ns) == ["2", "2", "2"] and len(live_pods(cluster, ns)) == 2, "2/2/2 after scaling down")

    victim = live_pods(cluster, ns)[0]
    cluster.kubectl("delete", "pod", victim, "-n", ns, "--wait=false")
    wait_for(lambda: len(live_pods(cluster, ns)) == 2 and victim not in live_pods(cluster, ns), f"{victim} replaced")
    wait_for(lambda: rs_row(cluster, ns) == ["2", "2", "2"], "2/2/2 after the replacement is ready")

    status = cluster.kubectl_json("get", "rs", "web", "-n", ns)["status"]
    assert status["observedGeneration"] == cluster.kubectl_json("get", "rs", "web", "-n", ns)["metadata"]["generation"]
    assert status["availableReplicas"] == 2 and status["fullyLabeledReplicas"] == 2

    def described():
        out = cluster.kubectl("describe", "rs", "web", "-n", ns).stdout
        return out if "SuccessfulCreate" in out and "SuccessfulDelete" in out else None
    out = wait_for(described, "SuccessfulCreate and SuccessfulDelete events in describe")
    assert "Created pod: web-" in out and "Deleted pod: web-" in out
    assert "replicaset-controller" in out


def test_replicaset_adopts_a_matching_orphan(cluster, ns):
    orphan = """apiVersion: v1
kind: Pod
metadata:
  name: stray
  labels:
    app: web
spec:
  containers:
  - name: app
    image: nginx
"""
    cluster.kubectl("apply", "-n", ns, "-f", "-", input=orphan)
    # Running means it was scheduled from the pod cache the controllers share, so the set sees it from its first sync.
    wait_for(lambda: cluster.kubectl_json("get", "pod", "stray", "-n", ns).get("status", {}).get("phase") == "Running", "stray running")
    cluster.kubectl("apply", "-n", ns, "-f", "-", input=REPLICASET)
    wait_for(lambda: rs_row(cluster, ns) == ["3", "3", "3"], "DESIRED/CURRENT/READY 3/3/3")
    pods = live_pods(cluster, ns)
    assert len(pods) == 3 and "stray" in pods, "the orphan counts as one of the three"
    owner = cluster.kubectl_json("get", "pod", "stray", "-n", ns)["metadata"]["ownerReferences"][0]
    assert owner["kind"] == "ReplicaSet" and owner["name"] == "web" and owner["controller"] is True
