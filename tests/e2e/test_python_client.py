"""The official Python client creates, reads, lists, watches and deletes objects against Skiff."""
import base64
import threading
import time

import pytest

from conftest import wait_for

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client, config, watch  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402


@pytest.fixture
def api_client(server):
    return config.new_client_from_config(config_file=str(server.kubeconfig))


def test_configmaps_crud_list_and_watch(api_client, namespace):
    core = client.CoreV1Api(api_client)
    created = core.create_namespaced_config_map(namespace, client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="settings", labels={"app": "demo"}), data={"mode": "fast"}))
    assert created.metadata.resource_version
    assert core.read_namespaced_config_map("settings", namespace).data == {"mode": "fast"}
    listed = core.list_namespaced_config_map(namespace, label_selector="app=demo")
    assert [item.metadata.name for item in listed.items] == ["settings"]

    events = []

    def follow():
        stream = watch.Watch()
        for event in stream.stream(core.list_namespaced_config_map, namespace, label_selector="app=demo",
                                   resource_version=listed.metadata.resource_version, timeout_seconds=10):
            events.append((event["type"], event["object"].metadata.name))
            if event["type"] == "DELETED":
                stream.stop()

    follower = threading.Thread(target=follow)
    follower.start()
    time.sleep(1)
    updated = core.read_namespaced_config_map("settings", namespace)
    updated.data["mode"] = "slow"
    core.replace_namespaced_config_map("settings", namespace, updated)
    core.create_namespaced_config_map(namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="second", labels={"app": "demo"})))
    core.delete_namespaced_config_map("settings", namespace)
    follower.join(15)
    assert events == [("MODIFIED", "settings"), ("ADDED", "second"), ("DELETED", "settings")]

    with pytest.raises(ApiException) as missing:
        core.read_namespaced_config_map("settings", namespace)
    assert missing.value.status == 404


def test_secrets_string_data_becomes_base64_data(api_client, namespace):
    core = client.CoreV1Api(api_client)
    core.create_namespaced_secret(namespace, client.V1Secret(
        metadata=client.V1ObjectMeta(name="db"), string_data={"password": "s3cret"}))
    secret = core.read_namespaced_secret("db", namespace)
    assert secret.type == "Opaque"
    assert base64.b64decode(secret.data["password"]).decode() == "s3cret"
    assert secret.string_data is None
    core.delete_namespaced_secret("db", namespace)
    assert [s.metadata.name for s in core.list_namespaced_secret(namespace).items] == []


def test_services_get_a_cluster_ip(api_client, namespace):
    core = client.CoreV1Api(api_client)
    service = core.create_namespaced_service(namespace, client.V1Service(
        metadata=client.V1ObjectMeta(name="web"),
        spec=client.V1ServiceSpec(selector={"app": "web"}, ports=[client.V1ServicePort(port=80, target_port=8080)])))
    assert service.spec.cluster_ip.startswith("10.43.")
    assert service.spec.type == "ClusterIP"
    assert service.spec.ports[0].protocol == "TCP"
    assert core.list_namespaced_service(namespace).items[0].metadata.name == "web"
    core.delete_namespaced_service("web", namespace)


def test_namespaces_create_and_delete(api_client):
    core = client.CoreV1Api(api_client)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="py-client-ns")))
    assert core.read_namespace("py-client-ns").status.phase == "Active"
    core.delete_namespace("py-client-ns")
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            core.read_namespace("py-client-ns")
        except ApiException as error:
            assert error.status == 404
            break
        time.sleep(0.5)
    else:
        pytest.fail("namespace was never removed")


def test_deployments_create_read_list_delete(api_client, namespace):
    apps = client.AppsV1Api(api_client)
    deployment = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="web"),
        spec=client.V1DeploymentSpec(
            replicas=2,
            selector=client.V1LabelSelector(match_labels={"app": "web"}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": "web"}),
                spec=client.V1PodSpec(containers=[client.V1Container(name="nginx", image="nginx:1.25")]))))
    created = apps.create_namespaced_deployment(namespace, deployment)
    assert created.metadata.generation == 1
    assert created.spec.strategy.rolling_update.max_surge == "25%"
    fetched = apps.read_namespaced_deployment("web", namespace)
    assert fetched.spec.template.spec.containers[0].image_pull_policy == "IfNotPresent"
    assert [d.metadata.name for d in apps.list_namespaced_deployment(namespace).items] == ["web"]
    # The deployment controller writes the Deployment too (its revision annotation), so a read-modify-replace
    # retries on 409 Conflict, as client code must against Kubernetes.
    for _ in range(10):
        current = apps.read_namespaced_deployment("web", namespace)
        current.spec.replicas = 4
        try:
            replaced = apps.replace_namespaced_deployment("web", namespace, current)
            break
        except ApiException as conflict:
            if conflict.status != 409:
                raise
    assert replaced.metadata.generation == 2
    apps.delete_namespaced_deployment("web", namespace)
    with pytest.raises(ApiException) as missing:
        apps.read_namespaced_deployment("web", namespace)
    assert missing.value.status == 404


def test_patch_calls_strategic_merge_and_json_patch(api_client, namespace):
    core = client.CoreV1Api(api_client)
    core.create_namespaced_service(namespace, client.V1Service(
        metadata=client.V1ObjectMeta(name="frontend"),
        spec=client.V1ServiceSpec(selector={"app": "frontend"}, ports=[client.V1ServicePort(name="http", port=80, target_port=80)])))
    # A dict body is sent as a strategic merge patch: Service ports merge by `port`.
    patched = core.patch_namespaced_service("frontend", namespace, {"spec": {"ports": [{"name": "https", "port": 443, "targetPort": 443}]}})
    assert sorted(port.port for port in patched.spec.ports) == [80, 443]
    # A list body is sent as a JSON patch.
    core.create_namespaced_config_map(namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="patched"), data={"a": "1"}))
    result = core.patch_namespaced_config_map("patched", namespace, [{"op": "add", "path": "/data/b", "value": "2"},
                                                                      {"op": "remove", "path": "/data/a"}])
    assert result.data == {"b": "2"}


# One object of many kinds, for the typed-model test below; controllers then write their statuses.
TYPED_OBJECTS = """
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: busybox, ports: [{containerPort: 9100}]}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: postgres:15-alpine}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 2 * * *"
  jobTemplate:
    spec:
      template:
        spec: {restartPolicy: OnFailure, containers: [{name: run, image: busybox}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  template:
    spec: {restartPolicy: Never, containers: [{name: run, image: busybox}]}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 10
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec: {minAvailable: 1, selector: {matchLabels: {app: web}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules: [{host: shop.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: team}
spec: {hard: {pods: "10"}}
"""


def model_class(api_version, kind):
    """The Python client's model class name for a kind: V1DaemonSet, V2HorizontalPodAutoscaler, CoreV1Event, ..."""
    group, _, version = api_version.rpartition("/")
    plain = f"{version[0].upper()}{version[1:]}{kind}"
    if hasattr(client, plain) and not (kind == "Event"):
        return plain
    prefix = "".join(part.capitalize() for part in (group.split(".")[0] if group else "core").split("-"))
    return f"{prefix}{plain}"


def test_every_kind_reads_back_through_the_typed_models(api_client, namespace, server):
    """The client's models check required fields (e.g. DaemonSetStatus.numberReady); every object the server returns,
    statuses written by its controllers included, must deserialize as the Go types would have written it."""
    server.kubectl("apply", "-n", namespace, "-f", "-", input=TYPED_OBJECTS)
    server.kubectl("create", "deployment", "web", "--image=nginx", "-n", namespace)
    server.kubectl("create", "service", "clusterip", "web", "--tcp=80:80", "-n", namespace)

    def statuses_written():
        daemonset = server.kubectl_json("get", "daemonset", "agent", "-n", namespace)
        deployment = server.kubectl_json("get", "deployment", "web", "-n", namespace)
        return "observedGeneration" in daemonset.get("status", {}) and "observedGeneration" in deployment.get("status", {})
    wait_for(statuses_written, "the DaemonSet and Deployment controllers' statuses")

    resources = server.kubectl("api-resources", "--verbs=list", "-o", "name").stdout.split()
    failures, read = [], set()
    for resource in resources:
        listed = server.kubectl_json("get", resource, "-A")
        for item in listed["items"]:
            name = model_class(item["apiVersion"], item["kind"])
            try:
                model = api_client._ApiClient__deserialize(item, name)
            except (ValueError, AttributeError) as error:
                failures.append(f"{item['apiVersion']} {item['kind']} {item['metadata']['name']}: {error}")
                continue
            assert model.metadata.name == item["metadata"]["name"]
            read.add(item["kind"])
    assert not failures, "\n".join(failures)
    assert {"DaemonSet", "Deployment", "ReplicaSet", "StatefulSet", "Job", "CronJob", "HorizontalPodAutoscaler", "Service",
            "Endpoints", "EndpointSlice", "PersistentVolumeClaim", "PodDisruptionBudget", "Ingress", "ResourceQuota",
            "Namespace", "ServiceAccount", "ConfigMap", "Event", "PriorityClass"} <= read
