"""Deployments roll out, roll back, pause and scale on hollow nodes, driven with kubectl as on Kubernetes."""
import threading
import time

import pytest

from conftest import own_server, wait_for


@pytest.fixture(scope="module")
def cluster():
    # A short start delay so that rollouts take observable steps.
    with own_server("skiff-e2e-deploy-", ["--hollow-nodes", "3", "--hollow-start-delay", "0.3"]) as running:
        yield running


def rollout_status(cluster, name):
    return cluster.kubectl("rollout", "status", f"deployment/{name}", "--timeout=60s", timeout=90).stdout


def test_create_and_rollout_status_like_kubernetes(cluster):
    cluster.kubectl("create", "deployment", "hello", "--image=nginx:1.25", "--replicas=3")
    assert f'deployment "hello" successfully rolled out' in rollout_status(cluster, "hello")
    row = cluster.kubectl("get", "deployment", "hello").stdout.splitlines()
    assert row[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"] and row[1].split()[1:4] == ["3/3", "3", "3"]
    sets = cluster.kubectl_json("get", "rs", "-l", "app=hello")["items"]
    assert len(sets) == 1
    hash_label = sets[0]["metadata"]["labels"]["pod-template-hash"]
    assert sets[0]["metadata"]["name"] == f"hello-{hash_label}"
    assert sets[0]["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    conditions = {c["type"]: c for c in cluster.kubectl_json("get", "deployment", "hello")["status"]["conditions"]}
    assert conditions["Available"]["reason"] == "MinimumReplicasAvailable"
    assert conditions["Progressing"]["reason"] == "NewReplicaSetAvailable"
    # A deleted pod is replaced by the ReplicaSet.
    pod = cluster.kubectl_json("get", "pods", "-l", "app=hello")["items"][0]["metadata"]["name"]
    cluster.kubectl("delete", "pod", pod)
    wait_for(lambda: len([p for p in cluster.kubectl_json("get", "pods", "-l", "app=hello")["items"]
                          if p["status"].get("phase") == "Running"]) == 3 and
             pod not in [p["metadata"]["name"] for p in cluster.kubectl_json("get", "pods", "-l", "app=hello")["items"]],
             "a replacement pod")


def test_rolling_update_keeps_availability_and_surge_within_bounds(cluster):
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 4
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 1}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers: [{name: web, image: "nginx:1.25", ports: [{containerPort: 80}]}]
""")
    rollout_status(cluster, "web")
    samples = []
    done = threading.Event()

    def sample():
        while not done.is_set():
            deployment = cluster.kubectl_json("get", "deployment", "web")
            sets = cluster.kubectl_json("get", "rs", "-l", "app=web")["items"]
            samples.append((deployment["status"].get("availableReplicas", 0), sum(s["spec"]["replicas"] for s in sets)))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    cluster.kubectl("set", "image", "deployment/web", "web=nginx:1.26")
    out = rollout_status(cluster, "web")
    done.set()
    sampler.join()
    assert "successfully rolled out" in out
    assert min(available for available, _ in samples) >= 3, samples
    assert max(total for _, total in samples) <= 5, samples
    sets = cluster.kubectl_json("get", "rs", "-l", "app=web")["items"]
    assert sorted(s["spec"]["replicas"] for s in sets) == [0, 4]
    events = cluster.kubectl("describe", "deployment", "web").stdout
    assert "ScalingReplicaSet" in events and "Scaled up replica set web-" in events and "Scaled down replica set web-" in events


def test_history_undo_to_revision_pause_and_resume(cluster):
    cluster.kubectl("create", "deployment", "api", "--image=nginx:1.25", "--replicas=2")
    rollout_status(cluster, "api")
    cluster.kubectl("set", "image", "deployment/api", "nginx=nginx:1.26")
    cluster.kubectl("annotate", "deployment/api", "kubernetes.io/change-cause=upgrade to 1.26")
    rollout_status(cluster, "api")
    history = cluster.kubectl("rollout", "history", "deployment/api").stdout
    assert "REVISION  CHANGE-CAUSE" in history and "2         upgrade to 1.26" in history
    cluster.kubectl("rollout", "undo", "deployment/api")
    rollout_status(cluster, "api")
    image = lambda: cluster.kubectl_json("get", "deployment", "api")["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image() == "nginx:1.25"
    assert len(cluster.kubectl_json("get", "rs", "-l", "app=api")["items"]) == 2, "the old ReplicaSet is reused"
    revisions = cluster.kubectl("rollout", "history", "deployment/api").stdout
    assert "3 " in revisions and "1 " not in revisions.split("CHANGE-CAUSE")[1]
    cluster.kubectl("rollout", "undo", "deployment/api", "--to-revision=2")
    rollout_status(cluster, "api")
    assert image() == "nginx:1.26"

    cluster.kubectl("rollout", "pause", "deployment/api")
    cluster.kubectl("set", "image", "deployment/api", "nginx=nginx:1.27")
    time.sleep(1)
    assert len(cluster.kubectl_json("get", "rs", "-l", "app=api")["items"]) == 2, "no rollout while paused"
    progressing = next(c for c in cluster.kubectl_json("get", "deployment", "api")["status"]["conditions"] if c["type"] == "Progressing")
    assert progressing["reason"] == "DeploymentPaused"
    cluster.kubectl("rollout", "resume", "deployment/api")
    rollout_status(cluster, "api")
    assert len(cluster.kubectl_json("get", "rs", "-l", "app=api")["items"]) == 3
    cluster.kubectl("scale", "deployment/api", "--replicas=4")
    rollout_status(cluster, "api")
    assert cluster.kubectl_json("get", "deployment", "api")["status"]["availableReplicas"] == 4


def test_scaling_in_the_middle_of_a_stuck_rollout_is_shared_in_proportion(cluster):
    """Kubernetes' documented example: 10 replicas, maxSurge 3, maxUnavailable 2, a rollout whose new pods never
    start (8 old + 5 new), then `kubectl scale` to 15: 3 of the 5 extra replicas go to the old set, 2 to the new."""
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: apps/v1
kind: Deployment
metadata: {name: spread}
spec:
  replicas: 10
  strategy: {rollingUpdate: {maxSurge: 3, maxUnavailable: 2}}
  selector: {matchLabels: {app: spread}}
  template:
    metadata: {labels: {app: spread}}
    spec: {containers: [{name: app, image: nginx:1.25}]}
""")
    rollout_status(cluster, "spread")
    # The new pods ask for a node label no node has, so they stay Pending and the rollout stalls.
    cluster.kubectl("patch", "deployment", "spread", "-p", '{"spec":{"template":{"spec":{"nodeSelector":{"disk":"none"}}}}}')

    def sizes():
        sets = cluster.kubectl_json("get", "rs", "-l", "app=spread")["items"]
        by_revision = sorted(sets, key=lambda s: int(s["metadata"]["annotations"]["deployment.kubernetes.io/revision"]))
        return [s["spec"]["replicas"] for s in by_revision]

    wait_for(lambda: sizes() == [8, 5], "the stalled rollout at 8 old and 5 new replicas")
    cluster.kubectl("scale", "deployment/spread", "--replicas=15")
    wait_for(lambda: sizes() == [11, 7], "15 replicas shared 11 old, 7 new")
    cluster.kubectl("scale", "deployment/spread", "--replicas=10")
    wait_for(lambda: sizes() == [8, 5], "back to 8 old and 5 new")
    events = cluster.kubectl("get", "events", "--field-selector", "involvedObject.name=spread,reason=ScalingReplicaSet").stdout
    assert "from 8 to 11" in events and "from 5 to 7" in events


def test_recreate_stops_old_pods_before_starting_new_ones(cluster):
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: apps/v1
kind: Deployment
metadata: {name: db}
spec:
  replicas: 2
  strategy: {type: Recreate}
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers: [{name: db, image: "postgres:15-alpine"}]
""")
    rollout_status(cluster, "db")
    samples = []
    done = threading.Event()

    def sample():
        while not done.is_set():
            pods = cluster.kubectl_json("get", "pods", "-l", "app=db")["items"]
            images = {p["spec"]["containers"][0]["image"] for p in pods if not p["metadata"].get("deletionTimestamp")}
            samples.append(images)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    cluster.kubectl("set", "image", "deployment/db", "db=postgres:16-alpine")
    rollout_status(cluster, "db")
    done.set()
    sampler.join()
    assert not any(len(images) > 1 for images in samples), "old and new pods never run together"


def test_deleting_a_deployment_cascades_and_orphan_keeps_its_replicasets(cluster):
    cluster.kubectl("create", "deployment", "gone", "--image=nginx:1.25", "--replicas=2")
    rollout_status(cluster, "gone")
    cluster.kubectl("delete", "deployment", "gone")
    wait_for(lambda: not cluster.kubectl_json("get", "rs", "-l", "app=gone")["items"] and
             not cluster.kubectl_json("get", "pods", "-l", "app=gone")["items"], "its ReplicaSet and pods deleted")

    cluster.kubectl("create", "deployment", "kept", "--image=nginx:1.25", "--replicas=2")
    rollout_status(cluster, "kept")
    cluster.kubectl("delete", "deployment", "kept", "--cascade=orphan")
    wait_for(lambda: cluster.kubectl("get", "deployment", "kept", check=False).returncode != 0, "the Deployment gone")
    sets = cluster.kubectl_json("get", "rs", "-l", "app=kept")["items"]
    assert len(sets) == 1 and not sets[0]["metadata"].get("ownerReferences")
    assert len(cluster.kubectl_json("get", "pods", "-l", "app=kept")["items"]) == 2
