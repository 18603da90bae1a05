"""Persistent storage on a real node: the PV controller binding claims, the default `local-path` class provisioning
a directory on the pod's node, protection of claims in use, and reclaiming by policy."""
import json
import pathlib
import re
import subprocess
import urllib.request

from conftest import wait_for
from test_node_agent import NODE, cluster, pytestmark, status_column  # noqa: F401  (the module's cluster and skips)

# Seed 000's PersistentVolume, PersistentVolumeClaim and the Deployment that uses them, unchanged.
SEED_000 = """
apiVersion: v1
kind: PersistentVolume
metadata:
  name: pv-volume
spec:
  capacity:
    storage: 10Gi
  accessModes:
    - ReadWriteOnce
  hostPath:
    path: "/mnt/data"
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: pvc-claim
spec:
  accessModes:
    - ReadWriteOnce
  resources:
    requests:
      storage: 10Gi
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: database-deployment
spec:
  replicas: 1
  selector:
    matchLabels:
      app: database
  template:
    metadata:
      labels:
        app: database
    spec:
      containers:
      - name: database
        image: postgres:13
        volumeMounts:
        - mountPath: "/var/lib/postgresql/data"
          name: db-storage
      volumes:
      - name: db-storage
        persistentVolumeClaim:
          claimName: pvc-claim
"""


def phase(cluster, kind, name):
    return cluster.kubectl("get", kind, name, "-o", "jsonpath={.status.phase}", check=False).stdout


def running_pod(cluster, selector):
    pods = cluster.kubectl_json("get", "pods", "-l", selector)["items"]
    running = [p for p in pods if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")]
    return running[0]["metadata"]["name"] if running else None


def events(cluster, kind, name):
    listed = cluster.kubectl_json("get", "events", "--field-selector", f"involvedObject.kind={kind},involvedObject.name={name}")
    return {event["reason"]: event["message"] for event in listed["items"]}


def test_the_default_class_is_local_path_as_on_k3s(cluster):
    rows = cluster.kubectl("get", "storageclass", "--no-headers").stdout.split()
    assert rows[:5] == ["local-path", "(default)", "rancher.io/local-path", "Delete", "WaitForFirstConsumer"], rows


def test_seed_000_claim_binds_and_its_data_outlives_the_pod(cluster):
    cluster.kubectl("apply", "-f", "-", input=SEED_000)
    claim = cluster.kubectl_json("get", "pvc", "pvc-claim")
    # DefaultStorageClass gave the class-less claim the default, as on k3s: it is provisioned on the pod's node and
    # the hand-made hostPath volume of no class is left for claims that ask for no class.
    assert claim["spec"]["storageClassName"] == "local-path"
    assert claim["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]
    first = wait_for(lambda: running_pod(cluster, "app=database"), "the database pod running", timeout=90)
    assert phase(cluster, "pvc", "pvc-claim") == "Bound"
    assert phase(cluster, "pv", "pv-volume") == "Available"
    row = cluster.kubectl("get", "pvc", "pvc-claim", "--no-headers").stdout.split()
    assert row[1] == "Bound" and row[2].startswith("pvc-") and row[3:6] == ["10Gi", "RWO", "local-path"], row
    directory = cluster.data_dir / "storage" / f"{row[2]}_default_pvc-claim"
    assert directory.is_dir()

    cluster.kubectl("exec", first, "--", "sh", "-c", "echo kept > /var/lib/postgresql/data/table")
    assert (directory / "table").read_text() == "kept\n"
    cluster.kubectl("delete", "pod", first, "--grace-period=1")
    second = wait_for(lambda: (lambda name: name if name and name != first else None)(running_pod(cluster, "app=database")),
                      "the replacement pod running", timeout=90)
    assert cluster.kubectl("exec", second, "--", "cat", "/var/lib/postgresql/data/table").stdout == "kept\n"

    cluster.kubectl("delete", "deployment", "database-deployment")
    cluster.kubectl("delete", "pod", "-l", "app=database", "--grace-period=1")
    cluster.kubectl("delete", "pvc", "pvc-claim")
    cluster.kubectl("delete", "pv", "pv-volume")
    wait_for(lambda: not directory.exists(), "the provisioned directory removed with its claim (reclaim policy Delete)")


def test_a_claim_waits_for_its_first_pod_and_cannot_vanish_under_it(cluster):
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: scratch}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 64Mi}}
""")
    wait_for(lambda: "WaitForFirstConsumer" in events(cluster, "PersistentVolumeClaim", "scratch"), "the WaitForFirstConsumer event")
    assert phase(cluster, "pvc", "scratch") == "Pending"
    assert all(pv["spec"].get("claimRef", {}).get("name") != "scratch" for pv in cluster.kubectl_json("get", "pv")["items"])
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: v1
kind: Pod
metadata: {name: scratch-user}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: app, image: busybox, command: ["sh", "-c", "echo mine > /work/file; sleep 3600"], volumeMounts: [{name: work, mountPath: /work}]}
  volumes: [{name: work, persistentVolumeClaim: {claimName: scratch}}]
""")
    wait_for(lambda: status_column(cluster, "scratch-user") == "Running", "the pod using the claim running", timeout=90)
    claim = cluster.kubectl_json("get", "pvc", "scratch")
    assert claim["status"]["phase"] == "Bound"
    assert claim["metadata"]["annotations"]["volume.kubernetes.io/selected-node"] == NODE
    volume = cluster.kubectl_json("get", "pv", claim["spec"]["volumeName"])
    assert volume["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"][0]["values"] == [NODE]
    assert volume["spec"]["claimRef"]["uid"] == claim["metadata"]["uid"]
    reasons = events(cluster, "PersistentVolumeClaim", "scratch")
    assert "ProvisioningSucceeded" in reasons, reasons
    path = pathlib.Path(volume["spec"]["hostPath"]["path"])
    wait_for(lambda: (path / "file").exists(), "the pod's file in the volume")

    # local-path allows expansion: a claim asking for more gets it, on its volume and in its status.
    cluster.kubectl("patch", "pvc", "scratch", "--type=merge", "-p", '{"spec":{"resources":{"requests":{"storage":"128Mi"}}}}')
    wait_for(lambda: cluster.kubectl("get", "pvc", "scratch", "--no-headers").stdout.split()[3] == "128Mi", "the claim's capacity grown")
    assert cluster.kubectl_json("get", "pv", volume["metadata"]["name"])["spec"]["capacity"]["storage"] == "128Mi"
    assert "VolumeResizeSuccessful" in events(cluster, "PersistentVolumeClaim", "scratch")

    # In use: deleting the claim leaves it Terminating until the pod is gone.
    cluster.kubectl("delete", "pvc", "scratch", "--wait=false")
    wait_for(lambda: cluster.kubectl("get", "pvc", "scratch", "--no-headers").stdout.split()[1] == "Terminating", "the claim Terminating")
    assert (path / "file").read_text() == "mine\n"
    cluster.kubectl("delete", "pod", "scratch-user")
    wait_for(lambda: cluster.kubectl("get", "pvc", "scratch", check=False).returncode != 0, "the claim gone once its pod is")
    wait_for(lambda: cluster.kubectl("get", "pv", volume["metadata"]["name"], check=False).returncode != 0 and not path.exists(),
             "the volume and its directory removed")


def test_retain_keeps_a_released_volume_and_its_data(cluster):
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: keep}
provisioner: rancher.io/local-path
reclaimPolicy: Retain
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: precious}
spec:
  storageClassName: keep
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 64Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: precious-writer}
spec:
  terminationGracePeriodSeconds: 1
  restartPolicy: Never
  containers:
  - {name: app, image: busybox, command: ["sh", "-c", "echo gold > /vault/coin"], volumeMounts: [{name: vault, mountPath: /vault}]}
  volumes: [{name: vault, persistentVolumeClaim: {claimName: precious}}]
""")
    wait_for(lambda: phase(cluster, "pod", "precious-writer") == "Succeeded", "the writer done", timeout=90)
    name = cluster.kubectl_json("get", "pvc", "precious")["spec"]["volumeName"]
    path = pathlib.Path(cluster.kubectl_json("get", "pv", name)["spec"]["hostPath"]["path"])
    cluster.kubectl("delete", "pod", "precious-writer")
    cluster.kubectl("delete", "pvc", "precious")
    wait_for(lambda: phase(cluster, "pv", name) == "Released", "the volume Released")
    row = cluster.kubectl("get", "pv", name, "--no-headers").stdout.split()
    assert row[3:6] == ["Retain", "Released", "default/precious"], row
    assert (path / "coin").read_text() == "gold\n"
    cluster.kubectl("delete", "pv", name)
    cluster.kubectl("delete", "storageclass", "keep")
    assert (path / "coin").exists(), "a deleted Retain volume's data stays on the node"
    subprocess.run(["rm", "-rf", str(path)], check=True)


def test_a_claim_without_a_class_binds_the_smallest_volume_that_fits(cluster):
    volumes = [
        {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name, "labels": {"tier": tier}},
         "spec": {"capacity": {"storage": size}, "accessModes": ["ReadWriteOnce"], "storageClassName": "",
                  "hostPath": {"path": f"/tmp/skiff-e2e-{name}"}}}
        for name, size, tier in [("big-fast", "5Gi", "fast"), ("small-fast", "2Gi", "fast"), ("tiny-slow", "1Gi", "slow")]
    ]
    cluster.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": volumes}))
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: fast-one}
spec:
  storageClassName: ""
  selector: {matchLabels: {tier: fast}}
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
""")
    wait_for(lambda: phase(cluster, "pvc", "fast-one") == "Bound", "the claim bound at once (no class: Immediate)")
    assert cluster.kubectl_json("get", "pvc", "fast-one")["spec"]["volumeName"] == "small-fast"
    assert phase(cluster, "pv", "small-fast") == "Bound"
    assert phase(cluster, "pv", "tiny-slow") == "Available" and phase(cluster, "pv", "big-fast") == "Available"
    refused = cluster.kubectl("patch", "pvc", "fast-one", "--type=merge", "-p", '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}',
                              check=False)
    assert refused.returncode != 0
    assert ('persistentvolumeclaims "fast-one" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that '
            'provisions the pvc must support resize') in refused.stderr
    assert cluster.kubectl_json("get", "pvc", "fast-one")["spec"]["resources"]["requests"]["storage"] == "1Gi"
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: too-big}
spec:
  storageClassName: ""
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 50Gi}}
""")
    wait_for(lambda: events(cluster, "PersistentVolumeClaim", "too-big").get("FailedBinding") ==
             "no persistent volumes available for this claim and no storage class is set", "the FailedBinding event")
    assert phase(cluster, "pvc", "too-big") == "Pending"
    cluster.kubectl("delete", "pvc", "fast-one", "too-big")
    # A hand-made volume of the default Retain policy is released, not deleted, when its claim goes.
    wait_for(lambda: phase(cluster, "pv", "small-fast") == "Released", "small-fast Released")
    cluster.kubectl("delete", "pv", "big-fast", "small-fast", "tiny-slow")


STATEFUL_SET = """apiVersion: apps/v1
kind: StatefulSet
metadata: {name: ledger}
spec:
  serviceName: ledger
  replicas: 3
  selector: {matchLabels: {app: ledger}}
  template:
    metadata: {labels: {app: ledger}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: app
        image: busybox
        command: ["sh", "-c", "[ -f /data/owner ] || hostname > /data/owner; sleep 3600"]
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 32Mi}}
"""


def ledger_claims(cluster):
    return sorted(claim["metadata"]["name"] for claim in cluster.kubectl_json("get", "pvc", "-l", "app=ledger")["items"]
                  if not claim["metadata"].get("deletionTimestamp"))


def owners_on_file(cluster, count):
    return {f"ledger-{ordinal}": cluster.kubectl("exec", f"ledger-{ordinal}", "--", "cat", "/data/owner", check=False).stdout.strip()
            for ordinal in range(count)}


def ready_replicas(cluster):
    return cluster.kubectl_json("get", "statefulset", "ledger").get("status", {}).get("readyReplicas", 0)


def test_stateful_set_claims_survive_scale_down_and_follow_the_retention_policy(cluster):
    cluster.kubectl("apply", "-f", "-", input=STATEFUL_SET)
    wait_for(lambda: ready_replicas(cluster) == 3, "ledger-0..2 ready", timeout=120)
    assert ledger_claims(cluster) == ["data-ledger-0", "data-ledger-1", "data-ledger-2"]
    assert all(phase(cluster, "pvc", claim) == "Bound" for claim in ledger_claims(cluster))
    assert owners_on_file(cluster, 3) == {"ledger-0": "ledger-0", "ledger-1": "ledger-1", "ledger-2": "ledger-2"}

    # Retain (the default): the claims stay through a scale-down, and each pod scaled up again gets its own back.
    cluster.kubectl("scale", "statefulset", "ledger", "--replicas=1")
    wait_for(lambda: cluster.kubectl("get", "pod", "ledger-1", check=False).returncode != 0, "ledger-1 and -2 gone", timeout=90)
    assert ledger_claims(cluster) == ["data-ledger-0", "data-ledger-1", "data-ledger-2"]
    cluster.kubectl("scale", "statefulset", "ledger", "--replicas=3")
    wait_for(lambda: ready_replicas(cluster) == 3, "ledger-0..2 ready again", timeout=120)
    assert owners_on_file(cluster, 3) == {"ledger-0": "ledger-0", "ledger-1": "ledger-1", "ledger-2": "ledger-2"}

    # Delete on scale-down and with the set: the claims go with the pods and then with the set.
    cluster.kubectl("patch", "statefulset", "ledger", "--type=merge", "-p",
                    '{"spec":{"persistentVolumeClaimRetentionPolicy":{"whenScaled":"Delete","whenDeleted":"Delete"}}}')
    cluster.kubectl("scale", "statefulset", "ledger", "--replicas=1")
    wait_for(lambda: ledger_claims(cluster) == ["data-ledger-0"], "the scaled-down pods' claims deleted", timeout=90)
    owners = cluster.kubectl_json("get", "pvc", "data-ledger-0")["metadata"]["ownerReferences"]
    assert [(owner["kind"], owner["name"]) for owner in owners] == [("StatefulSet", "ledger")]
    cluster.kubectl("delete", "statefulset", "ledger")
    wait_for(lambda: ledger_claims(cluster) == [] and cluster.kubectl_json("get", "pv")["items"] == [],
             "the last claim and every volume gone with the set", timeout=90)


def test_hand_made_local_volumes_decide_where_a_waiting_claims_pod_goes(cluster, tmp_path):
    disk = tmp_path / "disk"
    cluster.kubectl("apply", "-f", "-", input=f"""apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {{name: local-disks}}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: v1
kind: PersistentVolume
metadata: {{name: disk-here}}
spec:
  capacity: {{storage: 1Gi}}
  accessModes: [ReadWriteOnce]
  storageClassName: local-disks
  local: {{path: "{disk}"}}
  nodeAffinity:
    required:
      nodeSelectorTerms: [{{matchExpressions: [{{key: kubernetes.io/hostname, operator: In, values: ["{NODE}"]}}]}}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {{name: local-data}}
spec: {{storageClassName: local-disks, accessModes: [ReadWriteOnce], resources: {{requests: {{storage: 1Gi}}}}}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {{name: no-disk}}
spec: {{storageClassName: local-disks, accessModes: [ReadWriteOnce], resources: {{requests: {{storage: 5Gi}}}}}}
""")
    disk.mkdir()
    for name, claim in [("local-user", "local-data"), ("diskless", "no-disk")]:
        cluster.kubectl("run", name, "--image=busybox", "--overrides", json.dumps({"spec": {
            "terminationGracePeriodSeconds": 1,
            "containers": [{"name": name, "image": "busybox", "command": ["sh", "-c", "echo local > /d/f; sleep 3600"],
                            "volumeMounts": [{"name": "d", "mountPath": "/d"}]}],
            "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": claim}}]}}))
    wait_for(lambda: status_column(cluster, "local-user") == "Running", "the pod on the node with the disk running", timeout=90)
    assert cluster.kubectl_json("get", "pvc", "local-data")["spec"]["volumeName"] == "disk-here"
    wait_for(lambda: (disk / "f").exists(), "the pod's file on the hand-made volume")
    message = wait_for(lambda: events(cluster, "Pod", "diskless").get("FailedScheduling"), "the diskless pod's FailedScheduling event")
    assert message.startswith("0/1 nodes are available: 1 node(s) didn't find available persistent volumes to bind."), message
    assert phase(cluster, "pvc", "no-disk") == "Pending"
    cluster.kubectl("delete", "pod", "local-user", "diskless")
    cluster.kubectl("delete", "pvc", "local-data", "no-disk")
    cluster.kubectl("delete", "pv", "disk-here")
    cluster.kubectl("delete", "storageclass", "local-disks")


def volume_metric(cluster, name, claim):
    text = urllib.request.urlopen(f"http://127.0.0.1:{cluster.kubelet_metrics_port}/metrics", timeout=5).read().decode()
    match = re.search(rf'^{name}{{namespace="default",persistentvolumeclaim="{claim}"}} (\d+)$', text, re.MULTILINE)
    return int(match.group(1)) if match else None


def test_volume_usage_is_measured_and_a_volume_past_its_claim_is_reported(cluster):
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: tiny}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: filler}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "dd if=/dev/urandom of=/fill/blob bs=1024 count=3072; sleep 3600"]
    volumeMounts: [{name: fill, mountPath: /fill}]
  volumes: [{name: fill, persistentVolumeClaim: {claimName: tiny}}]
""")
    wait_for(lambda: status_column(cluster, "filler") == "Running", "the filler running", timeout=90)
    used = wait_for(lambda: (lambda value: value if value and value >= 3 * 1024 * 1024 else None)(
        volume_metric(cluster, "kubelet_volume_stats_used_bytes", "tiny")), "the volume's usage measured", timeout=60)
    assert used < 4 * 1024 * 1024
    assert volume_metric(cluster, "kubelet_volume_stats_capacity_bytes", "tiny") == 1024 * 1024
    message = wait_for(lambda: events(cluster, "PersistentVolumeClaim", "tiny").get("VolumeOverSize"), "the VolumeOverSize warning")
    assert "more than the 1048576 its claim asks for" in message
    cluster.kubectl("delete", "pod", "filler")
    cluster.kubectl("delete", "pvc", "tiny")
