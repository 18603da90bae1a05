"""The issue's user journey with the real kubectl: discovery, CRUD, output formats and Kubernetes' error wording."""
import base64
import json
import re
import subprocess
import time

from conftest import Server

FRONTEND = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: frontend-deployment
  labels:
    tier: web
spec:
  replicas: 3
  selector:
    matchLabels:
      app: frontend
  template:
    metadata:
      labels:
        app: frontend
    spec:
      containers:
      - name: frontend
        image: myrepo/frontend:latest
        ports:
        - containerPort: 80
"""


def columns(output: str):
    return output.splitlines()[0].split()


def test_version_reports_kubernetes_1_32(server: Server):
    version = json.loads(server.kubectl("version", "-o", "json").stdout)
    assert version["serverVersion"]["major"] == "1"
    assert version["serverVersion"]["minor"] == "32"


def test_system_namespaces_exist_from_the_start(server: Server):
    output = server.kubectl("get", "ns").stdout
    assert columns(output) == ["NAME", "STATUS", "AGE"]
    names = {line.split()[0]: line.split()[1] for line in output.splitlines()[1:]}
    for name in ("default", "kube-system", "kube-public", "kube-node-lease"):
        assert names.get(name) == "Active"


def test_discovery_lists_resources_with_short_names(server: Server):
    output = server.kubectl("api-resources").stdout
    rows = [line.split() for line in output.splitlines()[1:]]
    assert ["deployments", "deploy", "apps/v1", "true", "Deployment"] in rows
    assert ["nodes", "no", "v1", "false", "Node"] in rows
    assert ["configmaps", "cm", "v1", "true", "ConfigMap"] in rows
    assert ["horizontalpodautoscalers", "hpa", "autoscaling/v2", "true", "HorizontalPodAutoscaler"] in rows
    versions = server.kubectl("api-versions").stdout.split()
    for expected in ("v1", "apps/v1", "batch/v1", "autoscaling/v1", "autoscaling/v2", "networking.k8s.io/v1",
                     "rbac.authorization.k8s.io/v1", "storage.k8s.io/v1", "coordination.k8s.io/v1",
                     "discovery.k8s.io/v1", "policy/v1", "events.k8s.io/v1", "scheduling.k8s.io/v1", "node.k8s.io/v1"):
        assert expected in versions


def test_explain_reads_the_openapi_schema(server: Server):
    output = server.kubectl("explain", "deployment.spec.replicas").stdout
    assert "FIELD: replicas <integer>" in output
    assert "Number of desired pods" in output


def test_create_namespace_and_duplicate_is_already_exists(server: Server):
    assert server.kubectl("create", "namespace", "dev-basics").stdout.strip() == "namespace/dev-basics created"
    duplicate = server.kubectl("create", "namespace", "dev-basics", check=False)
    assert duplicate.returncode != 0
    assert 'Error from server (AlreadyExists): namespaces "dev-basics" already exists' in duplicate.stderr


def test_apply_seed_deployment_then_get_in_every_format(server: Server, namespace):
    created = server.kubectl("apply", "-n", namespace, "-f", "-", input=FRONTEND)
    assert created.stdout.strip() == "deployment.apps/frontend-deployment created"

    wide = server.kubectl("get", "deploy", "-n", namespace, "-o", "wide").stdout
    assert columns(wide) == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]
    row = wide.splitlines()[1].split()
    assert row[0] == "frontend-deployment"
    assert row[1] == "0/3"
    assert row[5:] == ["frontend", "myrepo/frontend:latest", "app=frontend"]

    stored = server.kubectl_json("get", "deploy", "frontend-deployment", "-n", namespace)
    assert stored["spec"]["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}
    assert stored["spec"]["revisionHistoryLimit"] == 10
    assert stored["spec"]["progressDeadlineSeconds"] == 600
    container = stored["spec"]["template"]["spec"]["containers"][0]
    assert container["imagePullPolicy"] == "Always"
    assert container["ports"][0]["protocol"] == "TCP"
    assert stored["spec"]["template"]["spec"]["restartPolicy"] == "Always"
    assert stored["metadata"]["generation"] == 1
    assert int(stored["metadata"]["resourceVersion"]) > 0
    assert re.fullmatch(r"[0-9a-f-]{36}", stored["metadata"]["uid"])
    assert "kubectl.kubernetes.io/last-applied-configuration" in stored["metadata"]["annotations"]

    assert server.kubectl("get", "deploy", "-n", namespace, "-o", "name").stdout.strip() == "deployment.apps/frontend-deployment"
    image = server.kubectl("get", "deploy", "frontend-deployment", "-n", namespace, "-o",
                           "jsonpath={.spec.template.spec.containers[0].image}").stdout
    assert image == "myrepo/frontend:latest"
    yaml_out = server.kubectl("get", "deploy", "frontend-deployment", "-n", namespace, "-o", "yaml").stdout
    assert "kind: Deployment" in yaml_out and "replicas: 3" in yaml_out

    everywhere = server.kubectl("get", "deploy", "-A").stdout
    assert columns(everywhere)[0] == "NAMESPACE"
    assert any(line.split()[:2] == [namespace, "frontend-deployment"] for line in everywhere.splitlines())

    described = server.kubectl("describe", "deploy", "frontend-deployment", "-n", namespace).stdout
    assert re.search(r"^Name:\s+frontend-deployment$", described, re.M)
    assert re.search(r"^StrategyType:\s+RollingUpdate$", described, re.M)
    assert re.search(r"^RollingUpdateStrategy:\s+25% max unavailable, 25% max surge$", described, re.M)

    deleted = server.kubectl("delete", "-n", namespace, "-f", "-", input=FRONTEND)
    assert deleted.stdout.strip() == 'deployment.apps "frontend-deployment" deleted'
    missing = server.kubectl("get", "deploy", "frontend-deployment", "-n", namespace, check=False)
    assert missing.returncode == 1
    assert missing.stderr.strip() == 'Error from server (NotFound): deployments.apps "frontend-deployment" not found'


def test_secret_generic_round_trips_through_base64(server: Server, namespace):
    created = server.kubectl("create", "secret", "generic", "db-secret", "-n", namespace, "--from-literal=password=supersecret123")
    assert created.stdout.strip() == "secret/db-secret created"
    encoded = server.kubectl("get", "secret", "db-secret", "-n", namespace, "-o", "jsonpath={.data.password}").stdout
    assert base64.b64decode(encoded).decode() == "supersecret123"
    table = server.kubectl("get", "secret", "-n", namespace).stdout
    assert columns(table) == ["NAME", "TYPE", "DATA", "AGE"]
    assert table.splitlines()[1].split()[:3] == ["db-secret", "Opaque", "1"]


def test_create_configmap_and_serviceaccount_use_protobuf_bodies(server: Server, namespace):
    assert server.kubectl("create", "configmap", "app-config", "-n", namespace, "--from-literal=LOG_LEVEL=debug",
                          "--from-literal=MODE=prod").stdout.strip() == "configmap/app-config created"
    data = server.kubectl_json("get", "cm", "app-config", "-n", namespace)["data"]
    assert data == {"LOG_LEVEL": "debug", "MODE": "prod"}
    assert server.kubectl("create", "serviceaccount", "builder", "-n", namespace).stdout.strip() == "serviceaccount/builder created"
    assert server.kubectl("create", "deployment", "web", "-n", namespace, "--image=nginx:1.25",
                          "--replicas=2").stdout.strip() == "deployment.apps/web created"
    web = server.kubectl_json("get", "deploy", "web", "-n", namespace)
    assert web["spec"]["replicas"] == 2
    assert web["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"


def test_label_and_field_selectors(server: Server, namespace):
    for name, tier in (("a", "web"), ("b", "db"), ("c", "web")):
        server.kubectl("create", "configmap", name, "-n", namespace)
        server.kubectl("label", "configmap", name, "-n", namespace, f"tier={tier}")
    names = lambda out: sorted(line.split()[0] for line in out.splitlines()[1:])
    assert names(server.kubectl("get", "cm", "-n", namespace, "-l", "tier=web").stdout) == ["a", "c"]
    assert names(server.kubectl("get", "cm", "-n", namespace, "-l", "tier in (db)").stdout) == ["b"]
    assert names(server.kubectl("get", "cm", "-n", namespace, "-l", "tier!=web,tier").stdout) == ["b"]
    assert names(server.kubectl("get", "cm", "-n", namespace, "--field-selector", "metadata.name=c").stdout) == ["c"]
    bad = server.kubectl("get", "cm", "-n", namespace, "--field-selector", "spec.bogus=1", check=False)
    assert bad.returncode != 0
    assert 'field label not supported: spec.bogus' in bad.stderr


def test_pagination_with_limit_and_continue(server: Server, namespace):
    for index in range(7):
        server.kubectl("create", "configmap", f"page-{index}", "-n", namespace)
    first = json.loads(server.kubectl("get", "--raw", f"/api/v1/namespaces/{namespace}/configmaps?limit=3").stdout)
    assert len(first["items"]) == 3
    token = first["metadata"]["continue"]
    assert first["metadata"]["remainingItemCount"] >= 4
    seen = [item["metadata"]["name"] for item in first["items"]]
    while token:
        page = json.loads(server.kubectl("get", "--raw", f"/api/v1/namespaces/{namespace}/configmaps?limit=3&continue={token}").stdout)
        seen += [item["metadata"]["name"] for item in page["items"]]
        token = page["metadata"].get("continue")
    assert sorted(name for name in seen if name.startswith("page-")) == [f"page-{i}" for i in range(7)]
    # kubectl pages with --chunk-size and still prints every row once.
    chunked = server.kubectl("get", "cm", "-n", namespace, "--chunk-size=2").stdout
    assert sorted(l.split()[0] for l in chunked.splitlines()[1:] if l.startswith("page-")) == [f"page-{i}" for i in range(7)]


def test_replace_and_stale_resource_version_conflict(server: Server, namespace):
    server.kubectl("create", "configmap", "settings", "-n", namespace, "--from-literal=a=1")
    current = server.kubectl_json("get", "cm", "settings", "-n", namespace)
    updated = dict(current, data={"a": "2"})
    assert server.kubectl("replace", "-f", "-", input=json.dumps(updated)).stdout.strip() == "configmap/settings replaced"
    stale = server.kubectl("replace", "-f", "-", input=json.dumps(dict(current, data={"a": "3"})), check=False)
    assert stale.returncode != 0
    assert ('Error from server (Conflict): error when replacing "STDIN": Operation cannot be fulfilled on configmaps '
            '"settings": the object has been modified; please apply your changes to the latest version and try again') in stale.stderr
    assert server.kubectl_json("get", "cm", "settings", "-n", namespace)["data"] == {"a": "2"}


def test_invalid_objects_get_422_with_field_paths(server: Server, namespace):
    no_image = FRONTEND.replace("        image: myrepo/frontend:latest\n", "").replace("frontend-deployment", "bad")
    result = server.kubectl("apply", "-n", namespace, "-f", "-", input=no_image, check=False)
    assert result.returncode != 0
    assert 'The Deployment "bad" is invalid: spec.template.spec.containers[0].image: Required value' in result.stderr
    assert server.kubectl("get", "deploy", "bad", "-n", namespace, check=False).returncode == 1

    long_name = "x" * 254
    too_long = server.kubectl("create", "configmap", long_name, "-n", namespace, check=False)
    assert too_long.returncode != 0
    assert "metadata.name: Invalid value" in too_long.stderr
    assert "must be no more than 253 characters" in too_long.stderr


def test_unknown_fields_are_rejected_under_strict_validation(server: Server, namespace):
    typo = FRONTEND.replace("  replicas: 3", "  replica: 3")
    result = server.kubectl("apply", "-n", namespace, "-f", "-", input=typo, check=False)
    assert result.returncode != 0
    assert 'strict decoding error: unknown field "spec.replica"' in result.stderr


def test_writing_into_a_missing_namespace_is_not_found(server: Server):
    result = server.kubectl("create", "configmap", "x", "-n", "no-such-namespace", check=False)
    assert result.returncode != 0
    assert result.stderr.strip() == 'error: failed to create configmap: namespaces "no-such-namespace" not found'
    manifest = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
    applied = server.kubectl("apply", "-n", "no-such-namespace", "-f", "-", input=manifest, check=False)
    assert applied.stderr.strip() == ('Error from server (NotFound): error when creating "STDIN": '
                                      'namespaces "no-such-namespace" not found')


def test_generate_name_creates_unique_names(server: Server, namespace):
    manifest = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "job-"}})
    first = server.kubectl("create", "-n", namespace, "-f", "-", input=manifest).stdout.strip()
    second = server.kubectl("create", "-n", namespace, "-f", "-", input=manifest).stdout.strip()
    assert re.fullmatch(r"configmap/job-[a-z0-9]{5} created", first)
    assert first != second


def test_pods_table_matches_kubernetes_columns(server: Server, namespace):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
           "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}}
    server.kubectl("create", "-n", namespace, "-f", "-", input=json.dumps(pod))
    table = server.kubectl("get", "pods", "-n", namespace).stdout
    assert columns(table) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert table.splitlines()[1].split()[:4] == ["web", "0/1", "Pending", "0"]
    wide = server.kubectl("get", "pods", "-n", namespace, "-o", "wide").stdout
    assert columns(wide) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED", "NODE", "READINESS", "GATES"]
    stored = server.kubectl_json("get", "pod", "web", "-n", namespace)
    assert stored["status"]["phase"] == "Pending"
    assert stored["status"]["qosClass"] == "BestEffort"
    assert stored["spec"]["dnsPolicy"] == "ClusterFirst"
    assert stored["spec"]["terminationGracePeriodSeconds"] == 30
    assert stored["spec"]["schedulerName"] == "default-scheduler"
    assert server.kubectl("delete", "pod", "web", "-n", namespace).stdout.strip() == 'pod "web" deleted'


def test_services_get_cluster_ips_and_node_ports(server: Server, namespace):
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
               "spec": {"type": "NodePort", "selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}}
    server.kubectl("create", "-n", namespace, "-f", "-", input=json.dumps(service))
    stored = server.kubectl_json("get", "svc", "web", "-n", namespace)
    assert stored["spec"]["clusterIP"].startswith("10.43.")
    node_port = stored["spec"]["ports"][0]["nodePort"]
    assert 30000 <= node_port <= 32767
    table = server.kubectl("get", "svc", "web", "-n", namespace).stdout
    assert columns(table) == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    assert table.splitlines()[1].split()[:5] == ["web", "NodePort", stored["spec"]["clusterIP"], "<none>", f"80:{node_port}/TCP"]
    kubernetes = server.kubectl_json("get", "svc", "kubernetes", "-n", "default")
    assert kubernetes["spec"]["clusterIP"] == "10.43.0.1"


def test_get_watch_sees_added_modified_deleted(server: Server, namespace):
    watcher = server.popen_kubectl("get", "configmaps", "-n", namespace, "-w", "--output-watch-events", "--request-timeout=20s")
    try:
        time.sleep(1.5)
        server.kubectl("create", "configmap", "watched", "-n", namespace)
        server.kubectl("label", "configmap", "watched", "-n", namespace, "stage=two")
        server.kubectl("delete", "configmap", "watched", "-n", namespace)
        lines = []
        deadline = time.time() + 15
        while time.time() < deadline and not any(line.startswith("DELETED") for line in lines):
            line = watcher.stdout.readline()
            if line:
                lines.append(line.strip())
    finally:
        watcher.kill()
    events = [line.split()[0] for line in lines if "watched" in line]
    assert events[:3] == ["ADDED", "MODIFIED", "DELETED"], lines


def test_watch_with_a_label_selector_sees_objects_enter_and_leave(server: Server, namespace):
    server.kubectl("create", "configmap", "mover", "-n", namespace)
    watcher = server.popen_kubectl("get", "configmaps", "-n", namespace, "-l", "stage=live", "-w", "--output-watch-events",
                                   "--request-timeout=20s")
    try:
        time.sleep(1.5)
        server.kubectl("label", "configmap", "mover", "-n", namespace, "stage=live")
        server.kubectl("label", "configmap", "mover", "-n", namespace, "stage=gone", "--overwrite")
        lines = []
        deadline = time.time() + 15
        while time.time() < deadline and not any(line.startswith("DELETED") for line in lines):
            line = watcher.stdout.readline()
            if line:
                lines.append(line.strip())
    finally:
        watcher.kill()
    assert [line.split()[0] for line in lines if "mover" in line] == ["ADDED", "DELETED"], lines


def test_neighbouring_kubectl_versions_work_too(server: Server, namespace):
    import shutil
    for binary in ("kubectl.1.31", "kubectl.1.33"):
        path = shutil.which(binary) or f"/usr/lib/google-cloud-sdk/bin/{binary}"
        if not shutil.which(path):
            continue
        result = subprocess.run([path, "create", "configmap", binary.replace(".", "-"), "-n", namespace], capture_output=True,
                                text=True, env=server.env())
        assert result.returncode == 0, result.stderr
        listed = subprocess.run([path, "get", "cm", "-n", namespace, "-o", "name"], capture_output=True, text=True, env=server.env())
        assert f"configmap/{binary.replace('.', '-')}" in listed.stdout


def test_deleting_a_namespace_removes_its_contents(server: Server):
    server.kubectl("create", "namespace", "doomed")
    server.kubectl("create", "configmap", "inside", "-n", "doomed")
    assert server.kubectl("delete", "namespace", "doomed", "--wait=false").stdout.strip() == 'namespace "doomed" deleted'
    deadline = time.time() + 30
    while time.time() < deadline:
        if server.kubectl("get", "namespace", "doomed", check=False).returncode == 1:
            break
        time.sleep(0.5)
    gone = server.kubectl("get", "namespace", "doomed", check=False)
    assert 'namespaces "doomed" not found' in gone.stderr
    assert server.kubectl("get", "configmap", "inside", "-n", "doomed", check=False).returncode == 1


def test_get_all_lists_the_all_category(server: Server, namespace):
    server.kubectl("create", "deployment", "web", "-n", namespace, "--image=nginx:1.25")
    output = server.kubectl("get", "all", "-n", namespace).stdout
    assert "deployment.apps/web" in output
