"""kubectl apply --server-side: create, field ownership, conflicts and --force-conflicts."""
import json

from conftest import Server

CONFIG = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ssa
  labels: {app: ssa}
spec:
  replicas: 2
  selector: {matchLabels: {app: ssa}}
  template:
    metadata: {labels: {app: ssa}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        env: [{name: A, value: "1"}, {name: B, value: "2"}]
"""


def managers(obj):
    return {(entry["manager"], entry["operation"]) for entry in obj["metadata"].get("managedFields", [])}


def test_server_side_apply_creates_and_tracks_field_owners(server: Server, namespace):
    created = server.kubectl("apply", "--server-side", "-n", namespace, "-f", "-", input=CONFIG)
    assert created.stdout.strip() == "deployment.apps/ssa serverside-applied"
    obj = server.kubectl_json("get", "deploy", "ssa", "-n", namespace, "--show-managed-fields")
    assert ("kubectl", "Apply") in managers(obj)
    entry = next(e for e in obj["metadata"]["managedFields"] if e["manager"] == "kubectl")
    container = entry["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"nginx"}']
    assert "f:image" in container
    # Dropping a field this manager alone owned removes it from the object.
    without_b = CONFIG.replace(', {name: B, value: "2"}', "")
    server.kubectl("apply", "--server-side", "-n", namespace, "-f", "-", input=without_b)
    env = server.kubectl_json("get", "deploy", "ssa", "-n", namespace)["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env == [{"name": "A", "value": "1"}]


def test_conflicting_manager_gets_409_until_forced(server: Server, namespace):
    server.kubectl("apply", "--server-side", "-n", namespace, "-f", "-", input=CONFIG)
    server.kubectl("set", "image", "deployment/ssa", "nginx=nginx:1.26", "-n", namespace)
    conflict = server.kubectl("apply", "--server-side", "-n", namespace, "-f", "-", input=CONFIG, check=False)
    assert conflict.returncode != 0
    assert 'Apply failed with 1 conflict: conflict with "kubectl-set"' in conflict.stderr
    assert '.spec.template.spec.containers[name="nginx"].image' in conflict.stderr
    image = lambda: server.kubectl_json("get", "deploy", "ssa", "-n", namespace)["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image() == "nginx:1.26"
    forced = server.kubectl("apply", "--server-side", "--force-conflicts", "-n", namespace, "-f", "-", input=CONFIG)
    assert forced.stdout.strip() == "deployment.apps/ssa serverside-applied"
    assert image() == "nginx:1.25"


def test_client_side_writes_record_update_managers(server: Server, namespace):
    server.kubectl("create", "configmap", "tracked", "-n", namespace, "--from-literal=a=1")
    server.kubectl("label", "configmap", "tracked", "-n", namespace, "stage=one")
    obj = server.kubectl_json("get", "cm", "tracked", "-n", namespace, "--show-managed-fields")
    assert ("kubectl-create", "Update") in managers(obj)
    assert ("kubectl-label", "Update") in managers(obj)
