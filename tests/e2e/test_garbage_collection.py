"""The garbage collector through real kubectl: `kubectl delete` with each --cascade mode on an owning ConfigMap."""
import json

from conftest import wait_for


def create(server, ns, manifest):
    server.kubectl("create", "-n", ns, "-f", "-", input=json.dumps(manifest))


def owner(server, ns):
    """A ConfigMap named "owner"; returns the ownerReference pointing at it."""
    create(server, ns, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "owner"}})
    uid = server.kubectl("get", "configmap", "owner", "-n", ns, "-o", "jsonpath={.metadata.uid}").stdout
    return {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": uid, "blockOwnerDeletion": True}


def dependents(server, ns, reference, extra_metadata=None):
    """A pod and a ConfigMap owned by the reference."""
    create(server, ns, {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "child-pod", "ownerReferences": [reference]},
        "spec": {"containers": [{"name": "app", "image": "nginx"}]},
    })
    create(server, ns, {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "child-config", "ownerReferences": [reference], **(extra_metadata or {})},
    })


def exists(server, ns, kind, name):
    return server.kubectl("get", kind, name, "-n", ns, "--ignore-not-found", "-o", "name", check=False).stdout.strip() != ""


def test_background_delete_removes_dependents(server, namespace):
    dependents(server, namespace, owner(server, namespace))
    server.kubectl("delete", "configmap", "owner", "-n", namespace)
    wait_for(lambda: not exists(server, namespace, "pod", "child-pod"), "the owned pod deleted")
    wait_for(lambda: not exists(server, namespace, "configmap", "child-config"), "the owned ConfigMap deleted")


def test_orphan_delete_keeps_dependents_without_the_reference(server, namespace):
    dependents(server, namespace, owner(server, namespace))
    server.kubectl("delete", "configmap", "owner", "-n", namespace, "--cascade=orphan", "--timeout=30s")
    assert not exists(server, namespace, "configmap", "owner")
    for kind, name in (("pod", "child-pod"), ("configmap", "child-config")):
        kept = server.kubectl_json("get", kind, name, "-n", namespace)
        assert "ownerReferences" not in kept["metadata"], kept["metadata"]
        assert "deletionTimestamp" not in kept["metadata"]


def test_foreground_delete_removes_dependents_before_the_owner(server, namespace):
    # The owned ConfigMap holds its own finalizer, so the owner visibly waits for it.
    dependents(server, namespace, owner(server, namespace), {"finalizers": ["example.com/hold"]})
    deleting = server.popen_kubectl("delete", "configmap", "owner", "-n", namespace, "--cascade=foreground", "--timeout=60s")
    wait_for(lambda: not exists(server, namespace, "pod", "child-pod"), "the owned pod deleted")
    wait_for(lambda: "deletionTimestamp" in server.kubectl_json("get", "configmap", "child-config", "-n", namespace)["metadata"],
             "the owned ConfigMap terminating")
    waiting = server.kubectl_json("get", "configmap", "owner", "-n", namespace)
    assert waiting["metadata"].get("finalizers") == ["foregroundDeletion"]
    assert deleting.poll() is None, "kubectl waits while the owner waits"

    server.kubectl("patch", "configmap", "child-config", "-n", namespace, "--type=merge", "-p", '{"metadata":{"finalizers":null}}')
    assert deleting.wait(timeout=60) == 0, deleting.stderr.read()
    assert not exists(server, namespace, "configmap", "child-config")
    assert not exists(server, namespace, "configmap", "owner")
