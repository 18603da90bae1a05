"""A namespace's ResourceQuota and LimitRange as seed 002 uses them, so no team takes the whole cluster: defaults
for pods without resources, refusals worded as Kubernetes', usage shown by kubectl describe quota and given back
when pods go."""
import json

import pytest

from conftest import wait_for

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client, config  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402

QUOTA_AND_LIMITS = """
apiVersion: v1
kind: ResourceQuota
metadata: {name: compute-resources}
spec:
  hard: {requests.cpu: "1", requests.memory: 1Gi, limits.cpu: "2", limits.memory: 2Gi, pods: "3", count/deployments.apps: "1"}
---
apiVersion: v1
kind: LimitRange
metadata: {name: container-defaults}
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 512Mi}
    defaultRequest: {cpu: 250m, memory: 256Mi}
    max: {cpu: "1", memory: 1Gi}
  - type: PersistentVolumeClaim
    max: {storage: 2Gi}
"""


@pytest.fixture
def limited(server, namespace):
    server.kubectl("apply", "-n", namespace, "-f", "-", input=QUOTA_AND_LIMITS)
    wait_for(lambda: server.kubectl_json("get", "quota", "compute-resources", "-n", namespace).get("status", {}).get("used"),
             "the quota controller's first count")
    return namespace


def used(server, namespace):
    return server.kubectl_json("get", "quota", "compute-resources", "-n", namespace)["status"]["used"]


def test_a_pod_without_resources_gets_the_namespace_defaults_and_is_charged(server, limited):
    server.kubectl("run", "web", "--image=busybox", "-n", limited)
    pod = server.kubectl_json("get", "pod", "web", "-n", limited)
    assert pod["spec"]["containers"][0]["resources"] == {
        "requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}}
    assert pod["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == (
        "LimitRanger plugin set: cpu, memory request for container web; cpu, memory limit for container web")
    assert used(server, limited) == {
        "requests.cpu": "250m", "requests.memory": "256Mi", "limits.cpu": "500m", "limits.memory": "512Mi", "pods": "1",
        "count/deployments.apps": "0"}

    described = server.kubectl("describe", "quota", "compute-resources", "-n", limited).stdout
    rows = {line.split()[0]: line.split()[1:] for line in described.splitlines()[2:] if len(line.split()) == 3}
    assert rows["requests.cpu"] == ["250m", "1"]
    assert rows["pods"] == ["1", "3"]
    assert rows["limits.memory"] == ["512Mi", "2Gi"]


def test_the_pod_over_quota_is_refused_with_the_quotas_message_and_deleting_gives_back(server, limited):
    for name in ("a", "b", "c"):
        server.kubectl("run", name, "--image=busybox", "-n", limited)
    refused = server.kubectl("run", "d", "--image=busybox", "-n", limited, check=False)
    assert refused.returncode != 0
    assert refused.stderr.strip() == (
        'Error from server (Forbidden): pods "d" is forbidden: exceeded quota: compute-resources, '
        "requested: pods=1, used: pods=3, limited: pods=3")

    server.kubectl("delete", "pod", "a", "-n", limited, "--grace-period=0", "--force")
    wait_for(lambda: used(server, limited)["pods"] == "2", "the deleted pod's share to be given back")
    server.kubectl("run", "d", "--image=busybox", "-n", limited)


def test_limits_refuse_a_container_over_the_maximum_and_a_claim_over_its_size(server, limited):
    overrides = json.dumps({"spec": {"containers": [{"name": "big", "image": "busybox", "resources": {"limits": {"cpu": "3"}}}]}})
    refused = server.kubectl("run", "big", "--image=busybox", "-n", limited, f"--overrides={overrides}", check=False)
    assert refused.returncode != 0
    assert refused.stderr.strip() == (
        'Error from server (Forbidden): pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 3')

    claim = """
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 5Gi}}
"""
    refused = server.kubectl("apply", "-n", limited, "-f", "-", input=claim, check=False)
    assert refused.returncode != 0
    assert 'persistentvolumeclaims "data" is forbidden: maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 5Gi' in refused.stderr
    assert server.kubectl("get", "pods,pvc", "-n", limited, "-o", "name").stdout == ""


def test_object_counts_and_required_limits_through_the_python_client(server, limited):
    apps = client.AppsV1Api(config.new_client_from_config(config_file=str(server.kubeconfig)))

    def deployment(name):
        return client.V1Deployment(
            metadata=client.V1ObjectMeta(name=name),
            spec=client.V1DeploymentSpec(
                replicas=0, selector=client.V1LabelSelector(match_labels={"app": name}),
                template=client.V1PodTemplateSpec(
                    metadata=client.V1ObjectMeta(labels={"app": name}),
                    spec=client.V1PodSpec(containers=[client.V1Container(name="web", image="busybox")]))))

    apps.create_namespaced_deployment(limited, deployment("first"))
    with pytest.raises(ApiException) as refused:
        apps.create_namespaced_deployment(limited, deployment("second"))
    assert refused.value.status == 403
    assert json.loads(refused.value.body)["message"] == (
        'deployments.apps "second" is forbidden: exceeded quota: compute-resources, requested: count/deployments.apps=1, '
        "used: count/deployments.apps=1, limited: count/deployments.apps=1")


def test_a_quota_on_limits_refuses_a_pod_that_sets_none(server, namespace):
    server.kubectl("create", "quota", "cpu-limits", "--hard=limits.cpu=2", "-n", namespace)
    wait_for(lambda: server.kubectl_json("get", "quota", "cpu-limits", "-n", namespace).get("status", {}).get("used"),
             "the quota controller's first count")
    refused = server.kubectl("run", "web", "--image=busybox", "-n", namespace, check=False)
    assert refused.returncode != 0
    assert refused.stderr.strip() == (
        'Error from server (Forbidden): pods "web" is forbidden: failed quota: cpu-limits: must specify limits.cpu for: web')


def test_concurrent_creates_never_exceed_the_quota(server, namespace):
    """Thirty clients at once against a quota with room for twelve: exactly twelve are admitted, the rest refused
    with the quota's message, and the quota counts exactly what is stored."""
    from concurrent.futures import ThreadPoolExecutor

    server.kubectl("create", "quota", "few", "--hard=count/configmaps=13", "-n", namespace)
    wait_for(lambda: server.kubectl_json("get", "quota", "few", "-n", namespace).get("status", {}).get("used", {}).get("count/configmaps") == "1",
             "the quota controller counting the namespace's kube-root-ca.crt")
    core = client.CoreV1Api(config.new_client_from_config(config_file=str(server.kubeconfig)))

    def create(index):
        try:
            core.create_namespaced_config_map(namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name=f"c-{index}")))
            return "created"
        except ApiException as refused:
            return json.loads(refused.body)["message"]

    with ThreadPoolExecutor(max_workers=30) as pool:
        outcomes = list(pool.map(create, range(30)))
    assert outcomes.count("created") == 12
    refusals = [outcome for outcome in outcomes if outcome != "created"]
    assert all("is forbidden: exceeded quota: few, requested: count/configmaps=1, used: count/configmaps=13, limited: count/configmaps=13"
               in refusal for refusal in refusals), refusals
    stored = len(server.kubectl_json("get", "configmaps", "-n", namespace)["items"])
    assert stored == 13
    assert server.kubectl_json("get", "quota", "few", "-n", namespace)["status"]["used"]["count/configmaps"] == "13"
