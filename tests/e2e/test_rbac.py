"""Who may do what, with the real kubectl and the official Python client: RBAC as seed 002 uses it (a ServiceAccount
bound to a namespaced pod-reader Role), Kubernetes' bootstrap roles, `kubectl auth can-i` and `whoami`,
impersonation, escalation prevention and ClusterRole aggregation."""
import json
import subprocess

import pytest

from conftest import Server, wait_for

POD_READER = """apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: pod-reader
rules:
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "watch", "list"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: read-pods
subjects:
- kind: ServiceAccount
  name: reader
roleRef:
  kind: Role
  name: pod-reader
  apiGroup: rbac.authorization.k8s.io
"""


def as_token(server: Server, token, *args):
    """kubectl with the token alone: no kubeconfig, so no client certificate goes along."""
    return subprocess.run(
        ["kubectl", "--kubeconfig=/dev/null", f"--server=https://127.0.0.1:{server.port}",
         f"--certificate-authority={server.data_dir / 'tls' / 'ca.crt'}", f"--token={token}", *args],
        capture_output=True, text=True, timeout=60)


def forbidden(user, verb, resource, namespace=None, group=""):
    where = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    qualified = f"{resource}.{group}" if group else resource
    return (f'Error from server (Forbidden): {qualified} is forbidden: User "{user}" cannot {verb} resource "{resource}" '
            f'in API group "{group}" {where}')


@pytest.fixture
def reader(server: Server, namespace):
    """Seed 002's pod reader: the ServiceAccount `reader` bound to a Role that reads pods, and a token for it."""
    server.kubectl("create", "serviceaccount", "reader", "-n", namespace)
    server.kubectl("apply", "-n", namespace, "-f", "-", input=POD_READER)
    server.kubectl("run", "web", "-n", namespace, "--image=nginx")
    return server.kubectl("create", "token", "reader", "-n", namespace).stdout.strip()


def test_a_service_account_reads_pods_in_its_namespace_only(server: Server, namespace, reader):
    user = f"system:serviceaccount:{namespace}:reader"
    listed = wait_for(lambda: (lambda r: r if r.returncode == 0 else None)(as_token(server, reader, "get", "pods", "-n", namespace)),
                      "the reader listing pods")
    assert listed.stdout.split()[:5] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"] and "web" in listed.stdout
    assert as_token(server, reader, "get", "pod", "web", "-n", namespace).returncode == 0

    elsewhere = f"{namespace}-other"
    server.kubectl("create", "namespace", elsewhere)
    assert as_token(server, reader, "get", "pods", "-n", elsewhere).stderr.strip() == forbidden(user, "list", "pods", elsewhere)
    assert as_token(server, reader, "get", "secrets", "-n", namespace).stderr.strip() == forbidden(user, "list", "secrets", namespace)
    deleted = as_token(server, reader, "delete", "pod", "web", "-n", namespace)
    assert deleted.stderr.strip() == (f'Error from server (Forbidden): pods "web" is forbidden: User "{user}" cannot delete resource "pods" '
                                      f'in API group "" in the namespace "{namespace}"')
    assert as_token(server, reader, "get", "nodes").stderr.strip() == forbidden(user, "list", "nodes")
    # exec arrives as a websocket upgrade, which is authorized too (for create, as Kubernetes 1.31+ does).
    execed = as_token(server, reader, "exec", "web", "-n", namespace, "--", "true")
    assert execed.returncode != 0
    assert (f'pods "web" is forbidden: User "{user}" cannot create resource "pods/exec" in API group "" in the namespace "{namespace}"'
            in execed.stderr), execed.stderr
    assert server.kubectl("get", "pod", "web", "-n", namespace).returncode == 0, "the refused delete changed nothing"

    whoami = json.loads(as_token(server, reader, "auth", "whoami", "-o", "json").stdout)["status"]["userInfo"]
    assert whoami["username"] == user
    assert whoami["groups"] == ["system:serviceaccounts", f"system:serviceaccounts:{namespace}", "system:authenticated"]

    # Deleting the binding takes the access away.
    server.kubectl("delete", "rolebinding", "read-pods", "-n", namespace)
    wait_for(lambda: as_token(server, reader, "get", "pods", "-n", namespace).returncode != 0, "access revoked", timeout=5)


def test_auth_can_i_answers_from_the_rules(server: Server, namespace, reader):
    account = f"--as=system:serviceaccount:{namespace}:reader"
    assert wait_for(lambda: server.kubectl("auth", "can-i", "list", "pods", "-n", namespace, account, check=False).stdout.strip() == "yes",
                    "can-i list pods")
    assert server.kubectl("auth", "can-i", "watch", "pods", "-n", namespace, account, check=False).stdout.strip() == "yes"
    assert server.kubectl("auth", "can-i", "get", "pods/web", "-n", namespace, account, check=False).stdout.strip() == "yes"
    for verb, what, where in (("delete", "pods", namespace), ("list", "pods", "default"), ("get", "secrets", namespace)):
        result = server.kubectl("auth", "can-i", verb, what, "-n", where, account, check=False)
        assert result.returncode == 1 and result.stdout.strip() == "no", (verb, what, where)

    listing = server.kubectl("auth", "can-i", "--list", "-n", namespace, account).stdout.splitlines()
    assert listing[0].split() == ["Resources", "Non-Resource", "URLs", "Resource", "Names", "Verbs"]
    rows = {line.split()[0]: " ".join(line.split()[1:]) for line in listing[1:] if not line.startswith(" ")}
    assert rows["pods"] == "[] [] [get watch list]"
    assert rows["selfsubjectaccessreviews.authorization.k8s.io"] == "[] [] [create]"
    assert "secrets" not in rows
    assert any(line.split()[:1] == ["[/version]"] for line in listing), "discovery URLs every user may read"

    # The admin holds everything.
    assert server.kubectl("auth", "can-i", "*", "*", "--all-namespaces").stdout.strip() == "yes"


def test_namespace_admins_cannot_grant_what_they_do_not_hold(server: Server, namespace):
    server.kubectl("create", "rolebinding", "alice-admin", "--clusterrole=admin", "--user=alice", "-n", namespace)
    server.kubectl("create", "rolebinding", "eve-edit", "--clusterrole=edit", "--user=eve", "-n", namespace)
    wait_for(lambda: server.kubectl("auth", "can-i", "create", "rolebindings", "-n", namespace, "--as=alice", check=False).returncode == 0,
             "alice's binding in effect")

    # edit does not include RBAC at all.
    refused = server.kubectl("create", "rolebinding", "eve-root", "--clusterrole=cluster-admin", "--user=eve", "-n", namespace, "--as=eve", check=False)
    assert refused.returncode != 0
    assert refused.stderr.strip() == (
        'error: failed to create rolebinding: rolebindings.rbac.authorization.k8s.io is forbidden: User "eve" cannot create resource '
        f'"rolebindings" in API group "rbac.authorization.k8s.io" in the namespace "{namespace}"')

    # admin may bind what it holds, not cluster-admin.
    server.kubectl("create", "rolebinding", "bob-view", "--clusterrole=view", "--user=bob", "-n", namespace, "--as=alice")
    escalated = server.kubectl("create", "rolebinding", "alice-root", "--clusterrole=cluster-admin", "--user=alice", "-n", namespace, "--as=alice",
                               check=False)
    assert escalated.returncode != 0
    assert escalated.stderr.strip() == (
        'error: failed to create rolebinding: rolebindings.rbac.authorization.k8s.io "alice-root" is forbidden: user "alice" '
        '(groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n'
        '{APIGroups:["*"], Resources:["*"], Verbs:["*"]}\n{NonResourceURLs:["*"], Verbs:["*"]}')
    role = server.kubectl("create", "role", "node-reader", "--verb=get", "--resource=nodes", "-n", namespace, "--as=alice", check=False)
    assert 'is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["nodes"], Verbs:["get"]}' in role.stderr
    names = server.kubectl("get", "rolebindings,roles", "-n", namespace, "-o", "name").stdout.split()
    assert "rolebinding.rbac.authorization.k8s.io/alice-root" not in names and "role.rbac.authorization.k8s.io/node-reader" not in names

    # Holding `bind` on a role lets one bind it without holding its rules.
    server.kubectl("create", "clusterrole", f"bind-admin-{namespace}", "--verb=bind", "--resource=clusterroles", "--resource-name=cluster-admin")
    server.kubectl("create", "rolebinding", "alice-bind", f"--clusterrole=bind-admin-{namespace}", "--user=alice", "-n", namespace)
    wait_for(lambda: server.kubectl("create", "rolebinding", "carol-root", "--clusterrole=cluster-admin", "--user=carol", "-n", namespace,
                                    "--as=alice", check=False).returncode == 0, "binding with the bind verb")
    server.kubectl("delete", "clusterrole", f"bind-admin-{namespace}")


def test_impersonation_needs_the_impersonate_verb(server: Server, namespace, reader):
    # The admin may act as anyone, with any groups.
    whoami = json.loads(server.kubectl("auth", "whoami", "--as=dave", "--as-group=devs", "--as-group=ops", "-o", "json").stdout)
    assert whoami["status"]["userInfo"] == {"username": "dave", "groups": ["devs", "ops", "system:authenticated"]}
    server.kubectl("create", "rolebinding", "dave-view", "--clusterrole=view", "--user=dave", "-n", namespace)
    wait_for(lambda: server.kubectl("get", "pods", "-n", namespace, "--as=dave", check=False).returncode == 0, "dave reading pods")

    user = f"system:serviceaccount:{namespace}:reader"
    refused = as_token(server, reader, "get", "pods", "-n", namespace, "--as=dave")
    assert refused.stderr.strip() == (f'Error from server (Forbidden): users "dave" is forbidden: User "{user}" cannot impersonate resource '
                                      '"users" in API group "" at the cluster scope')
    server.kubectl("create", "clusterrole", f"impersonate-{namespace}", "--verb=impersonate", "--resource=users", "--resource-name=dave")
    server.kubectl("create", "clusterrolebinding", f"reader-impersonates-{namespace}", f"--clusterrole=impersonate-{namespace}",
                   f"--serviceaccount={namespace}:reader")
    impersonated = wait_for(lambda: (lambda r: r if r.returncode == 0 else None)(as_token(server, reader, "auth", "whoami", "--as=dave", "-o", "json")),
                            "impersonating dave")
    assert json.loads(impersonated.stdout)["status"]["userInfo"]["username"] == "dave"
    assert as_token(server, reader, "get", "pods", "-n", namespace, "--as=dave").returncode == 0
    # Only dave, and no groups.
    assert "cannot impersonate resource" in as_token(server, reader, "get", "pods", "-n", namespace, "--as=erin").stderr
    grouped = as_token(server, reader, "get", "pods", "-n", namespace, "--as=dave", "--as-group=system:masters").stderr
    assert 'groups "system:masters" is forbidden' in grouped
    server.kubectl("delete", "clusterrolebinding", f"reader-impersonates-{namespace}")
    server.kubectl("delete", "clusterrole", f"impersonate-{namespace}")


def test_bootstrap_roles_and_aggregation(server: Server):
    roles = server.kubectl("get", "clusterroles", "-o", "name").stdout.split()
    for name in ("cluster-admin", "admin", "edit", "view", "system:node", "system:kube-scheduler", "system:public-info-viewer",
                 "system:controller:deployment-controller"):
        assert f"clusterrole.rbac.authorization.k8s.io/{name}" in roles
    binding = server.kubectl_json("get", "clusterrolebinding", "cluster-admin")
    assert binding["roleRef"]["name"] == "cluster-admin"
    assert binding["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:masters"}]

    widget_viewer = """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: widget-viewer
  labels:
    rbac.authorization.k8s.io/aggregate-to-view: "true"
rules:
- apiGroups: ["example.com"]
  resources: ["widgets"]
  verbs: ["get", "list", "watch"]
"""
    server.kubectl("apply", "-f", "-", input=widget_viewer)
    for role in ("view", "edit", "admin"):
        wait_for(lambda: any("widgets" in rule.get("resources", []) for rule in server.kubectl_json("get", "clusterrole", role)["rules"]),
                 f"{role} aggregating widgets", timeout=10)
    server.kubectl("delete", "clusterrole", "widget-viewer")
    wait_for(lambda: not any("widgets" in rule.get("resources", []) for rule in server.kubectl_json("get", "clusterrole", "view")["rules"]),
             "view without widgets", timeout=10)


def test_subject_access_review_answers_for_anyone(server: Server, namespace, reader):
    review = {
        "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
        "spec": {"user": f"system:serviceaccount:{namespace}:reader", "groups": ["system:serviceaccounts"],
                 "resourceAttributes": {"namespace": namespace, "verb": "list", "resource": "pods"}},
    }
    answer = wait_for(lambda: (lambda a: a if a["status"]["allowed"] else None)(
        json.loads(server.kubectl("create", "-f", "-", "-o", "json", input=json.dumps(review)).stdout)), "the review allowing")
    assert answer["status"]["reason"] == (f'RBAC: allowed by RoleBinding "read-pods/{namespace}" of Role "pod-reader" to ServiceAccount '
                                          f'"{namespace}/reader"')
    review["spec"]["resourceAttributes"]["resource"] = "secrets"
    denied = json.loads(server.kubectl("create", "-f", "-", "-o", "json", input=json.dumps(review)).stdout)
    assert denied["status"]["allowed"] is False
    review["spec"] = {"resourceAttributes": {"verb": "get", "resource": "pods"}}
    invalid = server.kubectl("create", "-f", "-", input=json.dumps(review), check=False)
    assert "at least one of user or group must be specified" in invalid.stderr


def test_the_python_client_sees_403_with_the_status(server: Server, namespace, reader):
    kubernetes = pytest.importorskip("kubernetes")
    from kubernetes.client.rest import ApiException

    configuration = kubernetes.client.Configuration()
    configuration.host = f"https://127.0.0.1:{server.port}"
    configuration.ssl_ca_cert = str(server.data_dir / "tls" / "ca.crt")
    configuration.api_key = {"authorization": f"Bearer {reader}"}
    core = kubernetes.client.CoreV1Api(kubernetes.client.ApiClient(configuration))
    pods = wait_for(lambda: _try(lambda: core.list_namespaced_pod(namespace)), "the python client listing pods")
    assert [pod.metadata.name for pod in pods.items] == ["web"]
    with pytest.raises(ApiException) as refused:
        core.list_namespaced_secret(namespace)
    assert refused.value.status == 403
    status = json.loads(refused.value.body)
    assert status["reason"] == "Forbidden" and status["details"] == {"kind": "secrets"}


def _try(call):
    try:
        return call()
    except Exception:  # noqa: BLE001 - any failure means not yet
        return None


def node_credentials(server: Server, node, password):
    """What `skiff agent` asks for with the join token: a client certificate of `system:node:<node>`."""
    import http.client
    import ssl

    token = (server.data_dir / "server" / "token").read_text().strip()
    context = ssl.create_default_context(cafile=str(server.data_dir / "tls" / "ca.crt"))
    connection = http.client.HTTPSConnection("127.0.0.1", server.port, context=context, timeout=30)
    connection.request("POST", "/v1-skiff/client-kubelet", body=json.dumps({"nodeName": node, "password": password}),
                       headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    response = connection.getresponse()
    body = json.loads(response.read())
    connection.close()
    return response.status, body


def as_node(server: Server, credentials, *args, input=None):
    directory = server.data_dir / f"node-{abs(hash(credentials['certificate'])) % 10**8}"
    directory.mkdir(exist_ok=True)
    (directory / "tls.crt").write_text(credentials["certificate"])
    (directory / "tls.key").write_text(credentials["key"])
    return subprocess.run(
        ["kubectl", "--kubeconfig=/dev/null", f"--server=https://127.0.0.1:{server.port}",
         f"--certificate-authority={server.data_dir / 'tls' / 'ca.crt'}", f"--client-certificate={directory / 'tls.crt'}",
         f"--client-key={directory / 'tls.key'}", *args],
        input=input, capture_output=True, text=True, timeout=60)


def test_a_node_reads_only_its_own_pods_secrets(server: Server, namespace):
    suffix = namespace.split("-", 1)[1]
    node_a, node_b = f"node-a-{suffix}", f"node-b-{suffix}"
    status, a = node_credentials(server, node_a, "password-a")
    assert status == 200, a
    status, b = node_credentials(server, node_b, "password-b")
    assert status == 200, b
    whoami = json.loads(as_node(server, a, "auth", "whoami", "-o", "json").stdout)["status"]["userInfo"]
    assert whoami == {"username": f"system:node:{node_a}", "groups": ["system:nodes", "system:authenticated"]}

    server.kubectl("create", "secret", "generic", "db", "--from-literal=password=s3cret", "-n", namespace)
    server.kubectl("create", "secret", "generic", "unused", "--from-literal=x=y", "-n", namespace)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "app", "namespace": namespace},
           "spec": {"nodeName": node_a, "containers": [{"name": "c", "image": "busybox", "env": [
               {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}]}]}}
    server.kubectl("create", "-f", "-", input=json.dumps(pod))

    read = wait_for(lambda: (lambda r: r if r.returncode == 0 else None)(as_node(server, a, "get", "secret", "db", "-n", namespace, "-o", "name")),
                    "node a reading its pod's secret")
    assert read.stdout.strip() == "secret/db"
    assert as_node(server, b, "get", "secret", "db", "-n", namespace).stderr.strip() == (
        f'Error from server (Forbidden): secrets "db" is forbidden: User "system:node:{node_b}" cannot get resource "secrets" in API group "" '
        f"in the namespace \"{namespace}\": no relationship found between node '{node_b}' and this object")
    assert "no relationship found" in as_node(server, a, "get", "secret", "unused", "-n", namespace).stderr
    assert as_node(server, a, "get", "secrets", "-n", namespace).returncode != 0, "no node lists secrets"
    # What the kubelet's role allows is still allowed.
    assert as_node(server, b, "get", "pods", "-A").returncode == 0

    # Another machine claiming node a's name with another password gets nothing.
    status, refused = node_credentials(server, node_a, "not-a's-password")
    assert status == 403 and "node password does not match" in refused["message"], refused
    # Only the join token's user may ask.
    assert as_node(server, a, "auth", "can-i", "post", "/v1-skiff/client-kubelet").stdout.strip() == "no"



def test_a_node_writes_only_its_own_node_lease_and_pods(server: Server, namespace):
    """NodeRestriction: of what the kubelet's role allows every node, each node may do only what concerns itself."""
    suffix = namespace.split("-", 1)[1]
    node_a, node_b = f"node-w-{suffix}", f"node-x-{suffix}"
    a = node_credentials(server, node_a, "password-w")[1]
    b = node_credentials(server, node_b, "password-x")[1]

    def node(name, labels):
        return json.dumps({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels}})

    assert as_node(server, a, "create", "-f", "-", input=node(node_a, {"kubernetes.io/hostname": node_a})).returncode == 0
    assert as_node(server, a, "create", "-f", "-", input=node(node_b, {})).stderr.strip() == (
        f'Error from server (Forbidden): error when creating "STDIN": nodes "{node_b}" is forbidden: '
        f'node "{node_a}" is not allowed to modify node "{node_b}"')
    assert (f'node "{node_b}" is not allowed to set the following labels: node-role.kubernetes.io/worker'
            in as_node(server, b, "create", "-f", "-", input=node(node_b, {"node-role.kubernetes.io/worker": "true"})).stderr)
    tainted = as_node(server, a, "taint", "node", node_a, "dedicated=mine:NoSchedule")
    assert f'node "{node_a}" is not allowed to modify taints' in tainted.stderr
    taints = server.kubectl_json("get", "node", node_a)["spec"].get("taints", [])
    assert [taint for taint in taints if taint["key"] == "dedicated"] == []

    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "app", "namespace": namespace},
           "spec": {"nodeName": node_a, "containers": [{"name": "c", "image": "busybox"}]}}
    server.kubectl("create", "-f", "-", input=json.dumps(pod))
    assert as_node(server, b, "delete", "pod", "app", "-n", namespace, "--wait=false").stderr.strip() == (
        f'Error from server (Forbidden): pods "app" is forbidden: node "{node_b}" can only delete pods with spec.nodeName set to itself')
    pod["metadata"]["name"] = "sneaky"
    pod["spec"]["nodeName"] = node_b
    assert (f'pod does not have "kubernetes.io/config.mirror" annotation, node "{node_b}" can only create mirror pods'
            in as_node(server, b, "create", "-f", "-", input=json.dumps(pod)).stderr)
    lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": node_b, "namespace": "kube-node-lease"},
             "spec": {"holderIdentity": node_b}}
    assert as_node(server, b, "create", "-f", "-", input=json.dumps(lease)).returncode == 0
    lease["metadata"]["name"] = node_a
    assert "can only access node lease with the same name as the requesting node" in as_node(
        server, b, "create", "-f", "-", input=json.dumps(lease)).stderr
    assert as_node(server, a, "delete", "pod", "app", "-n", namespace, "--grace-period=0", "--force").returncode == 0
    server.kubectl("delete", "node", node_a)
    assert server.kubectl("get", "node", node_b, check=False).returncode != 0, "node b was never created"
