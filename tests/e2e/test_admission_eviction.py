"""Priority and DefaultTolerationSeconds admission, and evictions that honour PodDisruptionBudgets, with the real kubectl."""
import json
import pathlib
import tempfile

import pytest

from conftest import Server


@pytest.fixture(scope="module")
def server():
    """These tests set PodDisruptionBudget status themselves to drive eviction through each of its answers, so the
    server runs without the controllers that would recompute it (the drain test in test_scheduling.py covers the
    disruption controller end to end)."""
    with tempfile.TemporaryDirectory(prefix="skiff-e2e-admission-") as directory:
        running = Server(pathlib.Path(directory), ["--disable-controller-manager", "--disable-scheduler"]).start()
        yield running
        running.stop()


@pytest.fixture
def namespace(server, namespace):
    """The shared namespace fixture plus its `default` ServiceAccount, which ServiceAccount admission requires of
    pods: without the controller manager nothing creates it, as in Kubernetes."""
    server.kubectl("create", "serviceaccount", "default", "-n", namespace)
    return namespace


DEFAULT_TOLERATIONS = """\
  tolerations:
  - effect: NoExecute
    key: node.kubernetes.io/not-ready
    operator: Exists
    tolerationSeconds: 300
  - effect: NoExecute
    key: node.kubernetes.io/unreachable
    operator: Exists
    tolerationSeconds: 300
"""


def pod_manifest(name, namespace, spec_extra="", labels="", node=None, grace=None):
    spec = spec_extra
    if node:
        spec += f"\n  nodeName: {node}"
    if grace is not None:
        spec += f"\n  terminationGracePeriodSeconds: {grace}"
    return f"""
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: {namespace}
  labels: {{{labels}}}
spec:{spec}
  containers:
  - name: main
    image: nginx
"""


# ---- Priority admission ----

def test_system_priority_classes_exist_and_cannot_be_deleted(server: Server):
    classes = {item["metadata"]["name"]: item for item in server.kubectl_json("get", "priorityclasses")["items"]}
    node_critical = classes["system-node-critical"]
    assert node_critical["value"] == 2000001000
    assert node_critical["description"] == "Used for system critical pods that must not be moved from their current node."
    assert node_critical["preemptionPolicy"] == "PreemptLowerPriority"
    assert "globalDefault" not in node_critical
    assert classes["system-cluster-critical"]["value"] == 2000000000
    result = server.kubectl("delete", "priorityclass", "system-node-critical", check=False)
    assert result.returncode != 0
    assert ('Error from server (Forbidden): priorityclasses.scheduling.k8s.io "system-node-critical" is forbidden: '
            "this is a system priority class and cannot be deleted") in result.stderr


def test_pod_gets_the_priority_of_its_class(server: Server, namespace):
    server.kubectl("create", "priorityclass", f"{namespace}-high", "--value=1000", "--preemption-policy=Never")
    server.kubectl("create", "-f", "-", input=pod_manifest("ranked", namespace, f"\n  priorityClassName: {namespace}-high"))
    spec = server.kubectl_json("get", "pod", "ranked", "-n", namespace)["spec"]
    assert spec["priority"] == 1000
    assert spec["preemptionPolicy"] == "Never"
    assert spec["priorityClassName"] == f"{namespace}-high"

    server.kubectl("create", "-f", "-", input=pod_manifest("plain", namespace))
    spec = server.kubectl_json("get", "pod", "plain", "-n", namespace)["spec"]
    assert spec["priority"] == 0
    assert spec["preemptionPolicy"] == "PreemptLowerPriority"
    assert "priorityClassName" not in spec

    system = server.kubectl_json("run", "critical", "-n", namespace, "--image=nginx",
                                 '--overrides={"spec":{"priorityClassName":"system-node-critical"}}')
    assert system["spec"]["priority"] == 2000001000


def test_unknown_priority_class_is_forbidden(server: Server, namespace):
    result = server.kubectl("create", "-f", "-", input=pod_manifest("lost", namespace, "\n  priorityClassName: nope"), check=False)
    assert result.returncode != 0
    assert ('Error from server (Forbidden): error when creating "STDIN": pods "lost" is forbidden: '
            "no PriorityClass with name nope was found") in result.stderr
    # Admission runs before a name is generated, so the message names the prefix.
    generated = pod_manifest("x", namespace, "\n  priorityClassName: nope").replace("name: x", "generateName: web-")
    result = server.kubectl("create", "-f", "-", input=generated, check=False)
    assert 'pods "web-" is forbidden: no PriorityClass with name nope was found' in result.stderr


def test_priority_that_disagrees_with_the_class_is_forbidden(server: Server, namespace):
    result = server.kubectl("create", "-f", "-", input=pod_manifest("bold", namespace, "\n  priority: 5"), check=False)
    assert ('pods "bold" is forbidden: the integer value of priority (5) must not be provided in pod spec; '
            "priority admission controller computed 0 from the given PriorityClass name") in result.stderr
    result = server.kubectl("create", "-f", "-", input=pod_manifest("meek", namespace, "\n  preemptionPolicy: Never"), check=False)
    assert ('pods "meek" is forbidden: the string value of PreemptionPolicy (Never) must not be provided in pod spec; '
            "priority admission controller computed PreemptLowerPriority from the given PriorityClass name") in result.stderr
    # The value the class gives may be repeated.
    server.kubectl("create", "-f", "-", input=pod_manifest("agreeing", namespace, "\n  priority: 0"))


def test_replacing_a_pod_keeps_its_resolved_priority(server: Server, namespace):
    # Pod specs are immutable, so the manifest names what ServiceAccount admission would add (an account, and no
    # token volume), as a pod manifest must to be `kubectl replace`d on a Kubernetes cluster.
    manifest = pod_manifest("kept", namespace, "\n  serviceAccountName: default\n  automountServiceAccountToken: false")
    server.kubectl("create", "-f", "-", input=manifest)
    server.kubectl("replace", "-f", "-", input=manifest)
    spec = server.kubectl_json("get", "pod", "kept", "-n", namespace)["spec"]
    assert spec["priority"] == 0
    assert len(spec["tolerations"]) == 2


def test_global_default_class_and_priority_class_validation(fresh_server):
    server = fresh_server()
    server.kubectl("create", "priorityclass", "everyday", "--value=100", "--global-default")
    result = server.kubectl("create", "priorityclass", "another", "--value=50", "--global-default", check=False)
    assert ('priorityclasses.scheduling.k8s.io "another" is forbidden: '
            "PriorityClass everyday is already marked as default. Only one default can exist") in result.stderr
    server.kubectl("create", "priorityclass", "other", "--value=10")
    result = server.kubectl("patch", "priorityclass", "other", "--type=merge", "-p", '{"globalDefault":true}', check=False)
    assert ('Error from server (Forbidden): priorityclasses.scheduling.k8s.io "other" is forbidden: '
            "PriorityClass everyday is already marked as default. Only one default can exist") in result.stderr
    # The default itself may be updated.
    server.kubectl("patch", "priorityclass", "everyday", "--type=merge", "-p", '{"description":"most pods"}')

    pod = server.kubectl_json("run", "defaulted", "--image=nginx")
    assert pod["spec"]["priorityClassName"] == "everyday"
    assert pod["spec"]["priority"] == 100

    result = server.kubectl("create", "priorityclass", "huge", "--value=2000000000", check=False)
    assert ('PriorityClass.scheduling.k8s.io "huge" is invalid: value: Forbidden: '
            "maximum allowed value of a user defined priority is 1000000000") in result.stderr
    result = server.kubectl("create", "priorityclass", "system-mine", "--value=10", check=False)
    assert ("metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. "
            "error: system-mine is not a known system priority class") in result.stderr


# ---- DefaultTolerationSeconds admission ----

def test_pods_get_the_default_not_ready_and_unreachable_tolerations(server: Server, namespace):
    server.kubectl("create", "-f", "-", input=pod_manifest("tolerant", namespace))
    shown = server.kubectl("get", "pod", "tolerant", "-n", namespace, "-o", "yaml").stdout
    assert DEFAULT_TOLERATIONS in shown


def test_a_pod_that_already_tolerates_a_taint_keeps_its_own_toleration(server: Server, namespace):
    own = """
  tolerations:
  - key: node.kubernetes.io/unreachable
    operator: Exists
    effect: NoExecute
    tolerationSeconds: 30
  - key: dedicated
    operator: Equal
    value: gpu
    effect: NoSchedule"""
    server.kubectl("create", "-f", "-", input=pod_manifest("picky", namespace, own))
    tolerations = server.kubectl_json("get", "pod", "picky", "-n", namespace)["spec"]["tolerations"]
    assert tolerations == [
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30},
        {"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"},
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
    ]
    # A toleration with no key and no effect tolerates everything: nothing is added.
    server.kubectl("create", "-f", "-", input=pod_manifest("anything", namespace, "\n  tolerations:\n  - operator: Exists"))
    tolerations = server.kubectl_json("get", "pod", "anything", "-n", namespace)["spec"]["tolerations"]
    assert tolerations == [{"operator": "Exists"}]


# ---- Eviction ----

def create_node(server: Server, name):
    server.kubectl("create", "-f", "-", input=f"apiVersion: v1\nkind: Node\nmetadata:\n  name: {name}\n")


def running_pod(server: Server, name, namespace, node, ready=True, grace=0, labels="app: web"):
    server.kubectl("create", "-f", "-", input=pod_manifest(name, namespace, labels=labels, node=node, grace=grace))
    status = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}
    server.kubectl("patch", "pod", name, "-n", namespace, "--subresource=status", "--type=merge", "-p", json.dumps({"status": status}))


def budget(server: Server, name, namespace, allowed, current=1, desired=1, observed=1, selector="app=web", policy=None):
    args = ["create", "pdb", name, "-n", namespace, f"--selector={selector}", "--min-available=1"]
    server.kubectl(*args)
    if policy:
        server.kubectl("patch", "pdb", name, "-n", namespace, "--type=merge", "-p", json.dumps({"spec": {"unhealthyPodEvictionPolicy": policy}}))
    status = {"observedGeneration": observed, "disruptionsAllowed": allowed, "currentHealthy": current,
              "desiredHealthy": desired, "expectedPods": current}
    server.kubectl("patch", "pdb", name, "-n", namespace, "--subresource=status", "--type=merge", "-p", json.dumps({"status": status}))


def evict(server: Server, name, namespace, query="", delete_options=None, with_headers=False):
    body = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name, "namespace": namespace}}
    if delete_options is not None:
        body["deleteOptions"] = delete_options
    return server.raw("POST", f"/api/v1/namespaces/{namespace}/pods/{name}/eviction{query}",
                      json.dumps(body).encode(), with_headers=with_headers)


def exists(server: Server, kind, name, namespace):
    return server.kubectl("get", kind, name, "-n", namespace, check=False).returncode == 0


def test_eviction_is_refused_while_the_budget_allows_no_disruption(server: Server, namespace):
    node = f"{namespace}-node"
    create_node(server, node)
    running_pod(server, "web-1", namespace, node)
    budget(server, "web", namespace, allowed=0)

    code, status, headers = evict(server, "web-1", namespace, with_headers=True)
    assert code == 429
    assert status["reason"] == "TooManyRequests"
    assert status["message"] == "Cannot evict pod as it would violate the pod's disruption budget."
    assert status["details"]["causes"] == [
        {"reason": "DisruptionBudget", "message": "The disruption budget web needs 1 healthy pods and has 1 currently"}]
    # No Retry-After: client-go would otherwise retry by itself before kubectl could report anything.
    assert "retry-after" not in headers
    assert exists(server, "pod", "web-1", namespace)

    drain = server.kubectl("drain", node, "--force", "--grace-period=0", "--timeout=7s", check=False, timeout=30)
    assert drain.returncode != 0
    assert (f'error when evicting pods/"web-1" -n "{namespace}" (will retry after 5s): '
            "Cannot evict pod as it would violate the pod's disruption budget.") in drain.stderr
    assert exists(server, "pod", "web-1", namespace)


def test_eviction_spends_the_budget_and_deletes_the_pod(server: Server, namespace):
    node = f"{namespace}-node"
    create_node(server, node)
    running_pod(server, "web-1", namespace, node)
    running_pod(server, "web-2", namespace, node)
    budget(server, "web", namespace, allowed=1, current=2)

    drain = server.kubectl("drain", node, "--force", "--grace-period=0", "--timeout=7s", "--pod-selector=app=web",
                           check=False, timeout=30)
    # One of the two pods fits the budget; the other is refused until the budget grows again.
    assert drain.returncode != 0
    assert "evicted" in drain.stdout
    assert "Cannot evict pod as it would violate the pod's disruption budget." in drain.stderr
    remaining = [name for name in ("web-1", "web-2") if exists(server, "pod", name, namespace)]
    assert len(remaining) == 1

    status = server.kubectl_json("get", "pdb", "web", "-n", namespace)["status"]
    assert status["disruptionsAllowed"] == 0
    evicted = {"web-1", "web-2"} - set(remaining)
    assert set(status["disruptedPods"]) == evicted
    condition = next(c for c in status["conditions"] if c["type"] == "DisruptionAllowed")
    assert (condition["status"], condition["reason"], condition["observedGeneration"]) == ("False", "InsufficientPods", 1)

    server.kubectl("patch", "pdb", "web", "-n", namespace, "--subresource=status", "--type=merge",
                   "-p", '{"status":{"disruptionsAllowed":1}}')
    code, status = evict(server, remaining[0], namespace)
    assert (code, status["status"], status["code"]) == (201, "Success", 201)
    assert not exists(server, "pod", remaining[0], namespace)


def test_eviction_of_a_graceful_pod_marks_it_as_a_disruption_target(server: Server, namespace):
    node = f"{namespace}-node"
    create_node(server, node)
    running_pod(server, "slow", namespace, node, grace=30)
    budget(server, "web", namespace, allowed=1)
    code, _ = evict(server, "slow", namespace)
    assert code == 201
    pod = server.kubectl_json("get", "pod", "slow", "-n", namespace)
    assert pod["metadata"]["deletionGracePeriodSeconds"] == 30
    condition = next(c for c in pod["status"]["conditions"] if c["type"] == "DisruptionTarget")
    assert (condition["status"], condition["reason"], condition["message"]) == ("True", "EvictionByEvictionAPI", "Eviction API: evicting")


def test_dry_run_eviction_changes_nothing(server: Server, namespace):
    node = f"{namespace}-node"
    create_node(server, node)
    running_pod(server, "web-1", namespace, node)
    budget(server, "web", namespace, allowed=1)
    for query, options in (("?dryRun=All", None), ("", {"dryRun": ["All"]})):
        code, _ = evict(server, "web-1", namespace, query=query, delete_options=options)
        assert code == 201
    assert exists(server, "pod", "web-1", namespace)
    pod = server.kubectl_json("get", "pod", "web-1", "-n", namespace)
    assert all(c["type"] != "DisruptionTarget" for c in pod["status"]["conditions"])
    status = server.kubectl_json("get", "pdb", "web", "-n", namespace)["status"]
    assert status["disruptionsAllowed"] == 1
    assert "disruptedPods" not in status


def test_pods_no_budget_protects_are_deleted_directly(server: Server, namespace):
    node = f"{namespace}-node"
    create_node(server, node)
    budget(server, "web", namespace, allowed=0)
    # Pending (never started) and finished pods need no budget; neither does a pod no budget selects.
    server.kubectl("create", "-f", "-", input=pod_manifest("pending", namespace, labels="app: web", node=node, grace=0))
    running_pod(server, "done", namespace, node)
    server.kubectl("patch", "pod", "done", "-n", namespace, "--subresource=status", "--type=merge", "-p", '{"status":{"phase":"Succeeded"}}')
    running_pod(server, "other", namespace, node, labels="app: other")
    for name in ("pending", "done", "other"):
        code, status = evict(server, name, namespace)
        assert code == 201, status
        assert not exists(server, "pod", name, namespace)
    code, status = evict(server, "gone", namespace)
    assert code == 404
    assert status["message"] == 'pods "gone" not found'


def test_a_pod_under_two_budgets_cannot_be_evicted(server: Server, namespace):
    node = f"{namespace}-node"
    create_node(server, node)
    running_pod(server, "web-1", namespace, node)
    budget(server, "one", namespace, allowed=1)
    budget(server, "two", namespace, allowed=1)
    code, status = evict(server, "web-1", namespace)
    assert code == 500
    assert status["message"] == "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
    assert exists(server, "pod", "web-1", namespace)


def test_a_budget_not_yet_observed_asks_the_client_to_retry(server: Server, namespace):
    node = f"{namespace}-node"
    create_node(server, node)
    running_pod(server, "web-1", namespace, node)
    budget(server, "web", namespace, allowed=1, observed=0)
    code, status, headers = evict(server, "web-1", namespace, with_headers=True)
    assert code == 429
    assert headers["retry-after"] == "10"
    assert status["details"]["retryAfterSeconds"] == 10
    assert status["details"]["causes"] == [
        {"reason": "DisruptionBudget", "message": "The disruption budget web is still being processed by the server."}]


def test_unready_pods_follow_the_unhealthy_pod_eviction_policy(server: Server, namespace):
    node = f"{namespace}-node"
    create_node(server, node)
    # IfHealthyBudget (the default): an unready pod may go, without spending the budget, while the budget is healthy.
    running_pod(server, "a-1", namespace, node, ready=False, labels="app: a")
    budget(server, "a", namespace, allowed=0, current=1, desired=1, selector="app=a")
    assert evict(server, "a-1", namespace)[0] == 201
    assert server.kubectl_json("get", "pdb", "a", "-n", namespace)["status"]["disruptionsAllowed"] == 0

    # ...but not while the application is short of healthy pods.
    running_pod(server, "b-1", namespace, node, ready=False, labels="app: b")
    budget(server, "b", namespace, allowed=0, current=0, desired=1, selector="app=b")
    assert evict(server, "b-1", namespace)[0] == 429

    # AlwaysAllow lets unready pods go regardless.
    running_pod(server, "c-1", namespace, node, ready=False, labels="app: c")
    budget(server, "c", namespace, allowed=0, current=0, desired=1, selector="app=c", policy="AlwaysAllow")
    assert evict(server, "c-1", namespace)[0] == 201
    assert not exists(server, "pod", "c-1", namespace)


def test_eviction_honours_delete_preconditions(server: Server, namespace):
    node = f"{namespace}-node"
    create_node(server, node)
    running_pod(server, "web-1", namespace, node)
    budget(server, "web", namespace, allowed=5)
    code, status = evict(server, "web-1", namespace, delete_options={"preconditions": {"uid": "not-the-uid"}})
    assert code == 409
    assert status["message"].startswith('Operation cannot be fulfilled on Pod "web-1": the UID in the precondition (not-the-uid) '
                                        "does not match the UID in record")
    code, status = evict(server, "web-1", namespace, delete_options={"preconditions": {"resourceVersion": "1"}})
    assert code == 409
    assert "the ResourceVersion in the precondition (1) does not match the ResourceVersion in record" in status["message"]
    code, status = server.raw("POST", f"/api/v1/namespaces/{namespace}/pods/web-1/eviction",
                              json.dumps({"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "other"}}).encode())
    assert (code, status["message"]) == (400, "name in URL does not match name in Eviction object")
    assert exists(server, "pod", "web-1", namespace)
