"""Strategic merge patches as kubectl sends them: re-apply, set image, rollout restart, patch."""
import json

from conftest import Server

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, team: blue}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        ports: [{containerPort: 80}]
        env: [{name: A, value: "1"}, {name: B, value: "2"}]
      - name: sidecar
        image: busybox:1.36
"""


def test_reapplying_a_changed_file_configures_it(server: Server, namespace):
    assert server.kubectl("apply", "-n", namespace, "-f", "-", input=DEPLOYMENT).stdout.strip() == "deployment.apps/web created"
    assert server.kubectl("apply", "-n", namespace, "-f", "-", input=DEPLOYMENT).stdout.strip() == "deployment.apps/web unchanged"
    changed = (DEPLOYMENT.replace("nginx:1.25", "nginx:1.26")
               .replace('env: [{name: A, value: "1"}, {name: B, value: "2"}]', 'env: [{name: B, value: "2"}]')
               .replace("ports: [{containerPort: 80}]", "ports: [{containerPort: 80}, {containerPort: 443}]")
               .replace("labels: {app: web, team: blue}", "labels: {app: web}")
               .replace("replicas: 2", "replicas: 4"))
    assert server.kubectl("apply", "-n", namespace, "-f", "-", input=changed).stdout.strip() == "deployment.apps/web configured"
    web = server.kubectl_json("get", "deploy", "web", "-n", namespace)
    nginx, sidecar = web["spec"]["template"]["spec"]["containers"]
    assert nginx["image"] == "nginx:1.26"
    assert nginx["env"] == [{"name": "B", "value": "2"}]
    assert [port["containerPort"] for port in nginx["ports"]] == [80, 443]
    assert sidecar["name"] == "sidecar" and sidecar["image"] == "busybox:1.36"
    assert web["metadata"]["labels"] == {"app": "web"}
    assert web["spec"]["replicas"] == 4
    assert web["metadata"]["generation"] == 2
    last_applied = json.loads(web["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert last_applied["spec"]["replicas"] == 4


def test_set_image_changes_one_container_only(server: Server, namespace):
    server.kubectl("apply", "-n", namespace, "-f", "-", input=DEPLOYMENT)
    assert server.kubectl("set", "image", "deployment/web", "nginx=nginx:1.27", "-n", namespace).stdout.strip() == \
        "deployment.apps/web image updated"
    containers = server.kubectl_json("get", "deploy", "web", "-n", namespace)["spec"]["template"]["spec"]["containers"]
    assert [(c["name"], c["image"]) for c in containers] == [("nginx", "nginx:1.27"), ("sidecar", "busybox:1.36")]
    assert containers[0]["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]


def test_rollout_restart_stamps_the_template(server: Server, namespace):
    server.kubectl("apply", "-n", namespace, "-f", "-", input=DEPLOYMENT)
    assert server.kubectl("rollout", "restart", "deployment/web", "-n", namespace).stdout.strip() == "deployment.apps/web restarted"
    template = server.kubectl_json("get", "deploy", "web", "-n", namespace)["spec"]["template"]
    assert "kubectl.kubernetes.io/restartedAt" in template["metadata"]["annotations"]


def test_strategic_patch_merges_service_ports_by_port(server: Server, namespace):
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc"},
               "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}
    server.kubectl("create", "-n", namespace, "-f", "-", input=json.dumps(service))
    server.kubectl("patch", "svc", "svc", "-n", namespace, "-p",
                   json.dumps({"spec": {"ports": [{"name": "https", "port": 443, "targetPort": 8443}]}}))
    ports = server.kubectl_json("get", "svc", "svc", "-n", namespace)["spec"]["ports"]
    assert sorted((p["port"], p["targetPort"]) for p in ports) == [(80, 8080), (443, 8443)]
    server.kubectl("patch", "svc", "svc", "-n", namespace, "-p", json.dumps({"spec": {"ports": [{"$patch": "delete", "port": 80}]}}))
    assert [p["port"] for p in server.kubectl_json("get", "svc", "svc", "-n", namespace)["spec"]["ports"]] == [443]


def test_bad_patches_are_rejected_and_change_nothing(server: Server, namespace):
    server.kubectl("apply", "-n", namespace, "-f", "-", input=DEPLOYMENT)
    before = server.kubectl_json("get", "deploy", "web", "-n", namespace)
    missing_key = server.kubectl("patch", "deploy", "web", "-n", namespace, "-p",
                                 json.dumps({"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}}), check=False)
    assert missing_key.returncode != 0
    assert "does not contain declared merge key: name" in missing_key.stderr
    failed_test = server.kubectl("patch", "deploy", "web", "-n", namespace, "--type=json", "-p",
                                 json.dumps([{"op": "test", "path": "/spec/replicas", "value": 99}]), check=False)
    assert failed_test.returncode != 0
    assert "test failed" in failed_test.stderr
    selector = server.kubectl("patch", "deploy", "web", "-n", namespace, "--type=merge", "-p",
                              json.dumps({"spec": {"selector": {"matchLabels": {"app": "other"}}}}), check=False)
    assert selector.returncode != 0
    assert "field is immutable" in selector.stderr
    after = server.kubectl_json("get", "deploy", "web", "-n", namespace)
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


def test_scale_and_label_removal(server: Server, namespace):
    server.kubectl("apply", "-n", namespace, "-f", "-", input=DEPLOYMENT)
    assert server.kubectl("scale", "deploy/web", "--replicas=5", "-n", namespace).stdout.strip() == "deployment.apps/web scaled"
    assert server.kubectl("scale", "deploy/web", "--current-replicas=5", "--replicas=3", "-n", namespace).returncode == 0
    stale = server.kubectl("scale", "deploy/web", "--current-replicas=9", "--replicas=1", "-n", namespace, check=False)
    assert stale.returncode != 0
    assert server.kubectl_json("get", "deploy", "web", "-n", namespace)["spec"]["replicas"] == 3
    server.kubectl("label", "deploy", "web", "team-", "-n", namespace)
    assert server.kubectl_json("get", "deploy", "web", "-n", namespace)["metadata"]["labels"] == {"app": "web"}


def test_kubectl_diff_shows_the_change_and_stores_nothing(server: Server, namespace):
    server.kubectl("apply", "-n", namespace, "-f", "-", input=DEPLOYMENT)
    before = server.kubectl_json("get", "deploy", "web", "-n", namespace)["metadata"]["resourceVersion"]
    diff = server.kubectl("diff", "-n", namespace, "-f", "-", input=DEPLOYMENT.replace("nginx:1.25", "nginx:1.26"), check=False)
    assert diff.returncode == 1, diff.stderr
    assert "-        image: nginx:1.25" in diff.stdout
    assert "+        image: nginx:1.26" in diff.stdout
    same = server.kubectl("diff", "-n", namespace, "-f", "-", input=DEPLOYMENT, check=False)
    assert same.returncode == 0, same.stdout + same.stderr
    assert server.kubectl_json("get", "deploy", "web", "-n", namespace)["metadata"]["resourceVersion"] == before


def test_kubectl_edit_with_a_scripted_editor(server: Server, namespace, tmp_path):
    server.kubectl("create", "configmap", "edited", "-n", namespace, "--from-literal=a=1")
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/^  a: \"1\"$/  a: \"1\"\\n  b: \"2\"/' \"$1\"\n")
    editor.chmod(0o755)
    env = server.env()
    env["EDITOR"] = str(editor)
    import subprocess
    result = subprocess.run(["kubectl", "edit", "configmap", "edited", "-n", namespace], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "configmap/edited edited"
    assert server.kubectl_json("get", "cm", "edited", "-n", namespace)["data"] == {"a": "1", "b": "2"}
