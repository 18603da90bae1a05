"""Pod Security admission as a kubectl user meets it: namespace labels choose the level, a pod that breaks the
enforce level is refused with Kubernetes' words, warn-level breaches and workloads' templates draw warnings, and a
namespace's new enforce level is tried on the pods it already holds."""
import json

import pytest

from conftest import wait_for

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client, config  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402

RESTRICTED_VIOLATIONS = (
    'allowPrivilegeEscalation != false (container "web" must set securityContext.allowPrivilegeEscalation=false), '
    'unrestricted capabilities (container "web" must set securityContext.capabilities.drop=["ALL"]), '
    'runAsNonRoot != true (pod or container "web" must set securityContext.runAsNonRoot=true), '
    'seccompProfile (pod or container "web" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")')

COMPLIANT_POD = """
apiVersion: v1
kind: Pod
metadata: {name: compliant}
spec:
  securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: web
    image: busybox
    securityContext:
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
"""


def label(server, namespace, *labels):
    return server.kubectl("label", "namespace", namespace, *labels, "--overwrite", check=False)


def test_a_restricted_namespace_refuses_a_pod_that_breaks_it_and_admits_one_that_does_not(server, namespace):
    label(server, namespace, "pod-security.kubernetes.io/enforce=restricted")
    refused = server.kubectl("run", "web", "--image=busybox", "-n", namespace, check=False)
    assert refused.returncode != 0
    assert refused.stderr.strip() == (
        f'Error from server (Forbidden): pods "web" is forbidden: violates PodSecurity "restricted:latest": {RESTRICTED_VIOLATIONS}')
    assert server.kubectl("get", "pods", "-n", namespace, "-o", "name").stdout == ""

    admitted = server.kubectl("apply", "-n", namespace, "-f", "-", input=COMPLIANT_POD)
    assert "Warning" not in admitted.stderr
    assert server.kubectl_json("get", "pod", "compliant", "-n", namespace)["metadata"]["name"] == "compliant"


def test_a_privileged_pod_is_refused_by_baseline_through_the_python_client(server, namespace):
    label(server, namespace, "pod-security.kubernetes.io/enforce=baseline")
    core = client.CoreV1Api(config.new_client_from_config(config_file=str(server.kubeconfig)))
    pod = client.V1Pod(metadata=client.V1ObjectMeta(name="root"), spec=client.V1PodSpec(
        host_network=True,
        containers=[client.V1Container(name="web", image="busybox", security_context=client.V1SecurityContext(privileged=True))]))
    with pytest.raises(ApiException) as refused:
        core.create_namespaced_pod(namespace, pod)
    assert refused.value.status == 403
    status = json.loads(refused.value.body)
    assert status["reason"] == "Forbidden"
    assert status["message"] == (
        'pods "root" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true), '
        'privileged (container "web" must not set securityContext.privileged=true)')


def test_warn_mode_admits_with_warnings_and_workloads_draw_warnings_for_their_template(server, namespace):
    label(server, namespace, "pod-security.kubernetes.io/warn=restricted")
    admitted = server.kubectl("run", "web", "--image=busybox", "-n", namespace)
    assert f'Warning: would violate PodSecurity "restricted:latest": {RESTRICTED_VIOLATIONS}' in admitted.stderr
    assert server.kubectl_json("get", "pod", "web", "-n", namespace)["metadata"]["name"] == "web"

    deployment = server.kubectl("create", "deployment", "web", "--image=busybox", "-n", namespace)
    assert 'Warning: would violate PodSecurity "restricted:latest"' in deployment.stderr


def test_a_workload_is_admitted_but_its_pods_are_refused_by_the_enforce_level(server, namespace):
    label(server, namespace, "pod-security.kubernetes.io/enforce=restricted")
    created = server.kubectl("create", "deployment", "web", "--image=busybox", "-n", namespace)
    assert "deployment.apps/web created" in created.stdout

    def refusal():
        events = server.kubectl_json("get", "events", "-n", namespace, "--field-selector", "reason=FailedCreate")["items"]
        return next((event["message"] for event in events if "violates PodSecurity" in event["message"]), None)

    message = wait_for(refusal, "the ReplicaSet's FailedCreate event")
    assert message.startswith('Error creating: pods "web-')
    assert 'is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false' in message
    assert server.kubectl("get", "pods", "-n", namespace, "-o", "name").stdout == ""


def test_a_stricter_label_warns_about_existing_pods_and_a_bad_label_is_refused(server, namespace):
    server.kubectl("run", "root", "--image=busybox", "--privileged", "-n", namespace)
    tightened = label(server, namespace, "pod-security.kubernetes.io/enforce=baseline")
    assert tightened.returncode == 0
    assert f'Warning: existing pods in namespace "{namespace}" violate the new PodSecurity enforce level "baseline:latest"' in tightened.stderr
    assert "Warning: root: privileged" in tightened.stderr
    assert server.kubectl_json("get", "pod", "root", "-n", namespace)["metadata"]["name"] == "root", "existing pods keep running"

    refused = label(server, namespace, "pod-security.kubernetes.io/enforce=strict")
    assert refused.returncode != 0
    assert (f'The Namespace "{namespace}" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: '
            'Invalid value: "strict": must be one of privileged, baseline, restricted') in refused.stderr
    labels = server.kubectl_json("get", "namespace", namespace)["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "baseline"
