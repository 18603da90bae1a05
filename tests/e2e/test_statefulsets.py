"""The seed StatefulSet on hollow nodes: ordered pods with stable names, a claim each, reverse-order scale-down."""
import threading
import time

import pytest

from conftest import own_server, wait_for

MYSQL = """apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: mysql
spec:
  serviceName: "mysql"
  replicas: 3
  selector:
    matchLabels:
      app: mysql
  template:
    metadata:
      labels:
        app: mysql
    spec:
      containers:
      - name: mysql
        image: mysql:5.7
        ports:
        - containerPort: 3306
        volumeMounts:
        - name: mysql-data
          mountPath: /var/lib/mysql
  volumeClaimTemplates:
  - metadata:
      name: mysql-data
    spec:
      accessModes: [ "ReadWriteOnce" ]
      resources:
        requests:
          storage: 1Gi
"""


@pytest.fixture(scope="module")
def cluster():
    # A short start delay makes the one-at-a-time order observable.
    with own_server("skiff-e2e-sts-", ["--hollow-nodes", "3", "--hollow-start-delay", "1.2"]) as running:
        yield running


def running_pods(cluster):
    return {p["metadata"]["name"]: p for p in cluster.kubectl_json("get", "pods", "-l", "app=mysql")["items"]}


def test_seed_statefulset_creates_pods_in_order_with_a_claim_each_and_scales_down_in_reverse(cluster):
    seen = []

    def watch():
        process = cluster.popen_kubectl("get", "pods", "-l", "app=mysql", "-w", "-o", "name")
        deadline = time.time() + 60
        for line in process.stdout:
            name = line.strip().removeprefix("pod/")
            if name and name not in seen:
                seen.append(name)
            if len(seen) == 3 or time.time() > deadline:
                break
        process.kill()

    watcher = threading.Thread(target=watch)
    watcher.start()
    time.sleep(0.5)
    cluster.kubectl("apply", "-f", "-", input=MYSQL)
    wait_for(lambda: all(p["status"].get("phase") == "Running" for p in running_pods(cluster).values()) and
             len(running_pods(cluster)) == 3, "mysql-0..2 Running")
    watcher.join(10)
    assert seen == ["mysql-0", "mysql-1", "mysql-2"]
    pods = running_pods(cluster)
    created = [pods[f"mysql-{i}"]["metadata"]["creationTimestamp"] for i in range(3)]
    assert created == sorted(created) and len(set(created)) == 3, "each pod waits for the previous one to be Ready"
    assert pods["mysql-1"]["spec"]["hostname"] == "mysql-1" and pods["mysql-1"]["spec"]["subdomain"] == "mysql"
    claims = {c["metadata"]["name"]: c for c in cluster.kubectl_json("get", "pvc")["items"]}
    assert sorted(claims) == ["mysql-data-mysql-0", "mysql-data-mysql-1", "mysql-data-mysql-2"]
    volume = next(v for v in pods["mysql-2"]["spec"]["volumes"] if v["name"] == "mysql-data")
    assert volume["persistentVolumeClaim"]["claimName"] == "mysql-data-mysql-2"
    row = cluster.kubectl("get", "statefulset", "mysql").stdout.splitlines()[1].split()
    assert row[:2] == ["mysql", "3/3"]

    # A deleted pod comes back with the same name and keeps its claim.
    uid = pods["mysql-1"]["metadata"]["uid"]
    cluster.kubectl("delete", "pod", "mysql-1")
    wait_for(lambda: running_pods(cluster).get("mysql-1", {}).get("metadata", {}).get("uid") not in (None, uid) and
             running_pods(cluster)["mysql-1"]["status"].get("phase") == "Running", "mysql-1 recreated")
    assert len(cluster.kubectl_json("get", "pvc")["items"]) == 3

    cluster.kubectl("scale", "statefulset", "mysql", "--replicas=1")
    wait_for(lambda: sorted(running_pods(cluster)) == ["mysql-0"], "scaled down to mysql-0")
    events = cluster.kubectl_json("get", "events", "--field-selector", "involvedObject.name=mysql,reason=SuccessfulDelete")["items"]
    deleted = [e["message"] for e in sorted(events, key=lambda e: e["firstTimestamp"] + e["metadata"]["name"])
               if "mysql-1 " in e["message"] or "mysql-2 " in e["message"]]
    assert deleted[-2:] == ["delete Pod mysql-2 in StatefulSet mysql successful", "delete Pod mysql-1 in StatefulSet mysql successful"]
    assert len(cluster.kubectl_json("get", "pvc")["items"]) == 3, "claims outlive scale-down, as in Kubernetes"


def test_rolling_update_goes_from_the_highest_ordinal_down_to_the_partition_and_on_delete_waits(cluster):
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: web
  replicas: 3
  podManagementPolicy: Parallel
  updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 1}}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: "nginx:1.25"}]}
""")
    assert "partitioned roll out complete: 3 new pods have been updated" in \
        cluster.kubectl("rollout", "status", "statefulset/web", "--timeout=60s", timeout=90).stdout

    def pods():
        return {p["metadata"]["name"]: p for p in cluster.kubectl_json("get", "pods", "-l", "app=web")["items"]
                if not p["metadata"].get("deletionTimestamp")}

    def images():
        return {name: p["spec"]["containers"][0]["image"] for name, p in pods().items()}

    cluster.kubectl("set", "image", "statefulset/web", "app=nginx:1.26")
    assert "partitioned roll out complete: 2 new pods have been updated" in \
        cluster.kubectl("rollout", "status", "statefulset/web", "--timeout=60s", timeout=90).stdout
    assert images() == {"web-0": "nginx:1.25", "web-1": "nginx:1.26", "web-2": "nginx:1.26"}, "web-0 is below the partition"
    created = {name: p["metadata"]["creationTimestamp"] for name, p in pods().items()}
    assert created["web-2"] <= created["web-1"], "the highest ordinal is updated first"

    cluster.kubectl("patch", "statefulset", "web", "-p", '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}')
    wait_for(lambda: images() == {f"web-{i}": "nginx:1.26" for i in range(3)} and
             cluster.kubectl_json("get", "statefulset", "web")["status"].get("readyReplicas") == 3, "web-0 updated too")

    # OnDelete: a new template waits until the user deletes a pod.
    cluster.kubectl("patch", "statefulset", "web", "--type=merge", "-p",
                    '{"spec":{"updateStrategy":{"type":"OnDelete","rollingUpdate":null}}}')
    cluster.kubectl("set", "image", "statefulset/web", "app=nginx:1.27")
    time.sleep(3)
    assert set(images().values()) == {"nginx:1.26"}, "OnDelete replaces nothing by itself"
    cluster.kubectl("delete", "pod", "web-1")
    wait_for(lambda: images().get("web-1") == "nginx:1.27", "the deleted pod comes back with the new template")
    assert images()["web-0"] == "nginx:1.26" and images()["web-2"] == "nginx:1.26"


def test_rollout_history_and_undo_for_a_statefulset(cluster):
    def manifest(image, change_cause):
        return f"""apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: hist
  annotations: {{kubernetes.io/change-cause: "{change_cause}"}}
spec:
  serviceName: hist
  replicas: 2
  podManagementPolicy: Parallel
  selector: {{matchLabels: {{app: hist}}}}
  template:
    metadata: {{labels: {{app: hist}}}}
    spec: {{containers: [{{name: app, image: "{image}"}}]}}
"""

    def rolled_out(image):
        def done():
            pods = [p for p in cluster.kubectl_json("get", "pods", "-l", "app=hist")["items"] if not p["metadata"].get("deletionTimestamp")]
            status = cluster.kubectl_json("get", "statefulset", "hist")["status"]
            return len(pods) == 2 and all(p["spec"]["containers"][0]["image"] == image for p in pods) and \
                status.get("readyReplicas") == 2 and status.get("currentRevision") == status.get("updateRevision") and (pods, status)
        return wait_for(done, f"hist rolled out with {image}")

    def numbers():
        lines = cluster.kubectl("rollout", "history", "statefulset/hist").stdout.splitlines()
        header = next(i for i, line in enumerate(lines) if line.startswith("REVISION"))
        return [tuple(line.split(None, 1)) for line in lines[header + 1:] if line.strip()]

    cluster.kubectl("apply", "-f", "-", input=manifest("nginx:1.25", "first"))
    rolled_out("nginx:1.25")
    cluster.kubectl("apply", "-f", "-", input=manifest("nginx:1.26", "second"))
    pods, status = rolled_out("nginx:1.26")
    assert numbers() == [("1", "first"), ("2", "second")]
    revisions = {r["revision"]: r for r in cluster.kubectl_json("get", "controllerrevisions", "-l", "app=hist")["items"]}
    assert status["updateRevision"] == revisions[2]["metadata"]["name"]
    assert {p["metadata"]["labels"]["controller-revision-hash"] for p in pods} == {status["updateRevision"]}
    assert "nginx:1.25" in cluster.kubectl("rollout", "history", "statefulset/hist", "--revision=1").stdout

    assert "rolled back" in cluster.kubectl("rollout", "undo", "statefulset/hist").stdout
    pods, status = rolled_out("nginx:1.25")
    assert status["updateRevision"] == revisions[1]["metadata"]["name"], "the first revision is reused"
    assert {p["metadata"]["labels"]["controller-revision-hash"] for p in pods} == {status["updateRevision"]}
    wait_for(lambda: [n for n, _ in numbers()] == ["2", "3"], "revision 1 renumbered to 3")
    cluster.kubectl("delete", "statefulset", "hist")
