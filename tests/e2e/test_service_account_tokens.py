"""ServiceAccount tokens the Kubernetes way, with the real kubectl: TokenRequest (`kubectl create token`), the API
server authenticating the tokens it signed, ServiceAccount admission, and the node agent projecting a pod's token
into its containers (`/var/run/secrets/kubernetes.io/serviceaccount`)."""
import base64
import json
import os
import pathlib
import shutil
import subprocess
import time

import pytest

from conftest import ROOT, Server, own_server, wait_for

UNAUTHORIZED = "error: You must be logged in to the server (Unauthorized)"
MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"


def claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def with_token(server: Server, token, *args):
    """kubectl as the token's bearer alone: no kubeconfig, so no client certificate goes along."""
    empty = server.data_dir / "empty-kubeconfig.yaml"
    empty.write_text("apiVersion: v1\nkind: Config\n")
    return subprocess.run(
        ["kubectl", f"--kubeconfig={empty}", f"--server=https://127.0.0.1:{server.port}",
         f"--certificate-authority={server.data_dir / 'tls' / 'ca.crt'}", f"--token={token}", *args],
        capture_output=True, text=True, timeout=60)


def create_token(server: Server, namespace, *args):
    """A token for the namespace's `default` account, which the service-account controller creates just after the
    namespace."""
    def attempt():
        result = server.kubectl("create", "token", "default", "-n", namespace, *args, check=False)
        return result.stdout.strip() if result.returncode == 0 else None
    return wait_for(attempt, f"a token for default in {namespace}")


def test_kubectl_create_token_authenticates_kubectl_as_the_service_account(server: Server, namespace):
    token = create_token(server, namespace)
    payload = claims(token)
    assert payload["iss"] == "https://kubernetes.default.svc.cluster.local"
    assert payload["aud"] == ["https://kubernetes.default.svc.cluster.local"]
    assert payload["sub"] == f"system:serviceaccount:{namespace}:default"
    assert payload["exp"] - payload["iat"] == 3600 and payload["nbf"] == payload["iat"]
    account = server.kubectl_json("get", "serviceaccount", "default", "-n", namespace)
    assert payload["kubernetes.io"] == {"namespace": namespace, "serviceaccount": {"name": "default", "uid": account["metadata"]["uid"]}}

    # Authenticated, but RBAC grants a service account nothing until a binding does.
    refused = with_token(server, token, "get", "pods", "-n", namespace)
    assert refused.stderr.strip() == (
        f'Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:{namespace}:default" '
        f'cannot list resource "pods" in API group "" in the namespace "{namespace}"')
    server.kubectl("create", "rolebinding", "default-view", "--clusterrole=view", f"--serviceaccount={namespace}:default", "-n", namespace)
    listed = wait_for(lambda: (lambda result: result if result.returncode == 0 else None)(with_token(server, token, "get", "pods", "-n", namespace)),
                      "the bound account listing pods")
    assert listed.stderr.strip() == f"No resources found in {namespace} namespace."
    whoami = with_token(server, token, "auth", "whoami", "-o", "json")
    assert whoami.returncode == 0, whoami.stderr
    user = json.loads(whoami.stdout)["status"]["userInfo"]
    assert user["username"] == f"system:serviceaccount:{namespace}:default"
    assert user["groups"] == ["system:serviceaccounts", f"system:serviceaccounts:{namespace}", "system:authenticated"]

    longer = create_token(server, namespace, "--duration=2h", "--audience=vault")
    assert claims(longer)["exp"] - claims(longer)["iat"] == 7200 and claims(longer)["aud"] == ["vault"]
    # A token for another audience is not for the API server.
    assert UNAUTHORIZED in with_token(server, longer, "get", "pods", "-n", namespace).stderr


def test_token_requests_kubernetes_refuses(server: Server, namespace):
    short = server.kubectl("create", "token", "default", "-n", namespace, "--duration=5m", check=False)
    assert short.returncode != 0
    assert ('error: failed to create token: TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: '
            "Invalid value: 300: may not specify a duration less than 10 minutes") in short.stderr
    missing = server.kubectl("create", "token", "nope", "-n", namespace, check=False)
    assert 'error: failed to create token: serviceaccounts "nope" not found' in missing.stderr


def test_tampered_expired_and_orphaned_tokens_are_unauthorized(server: Server, namespace):
    server.kubectl("create", "serviceaccount", "builder", "-n", namespace)
    token = server.kubectl("create", "token", "builder", "-n", namespace).stdout.strip()
    header, payload, signature = token.split(".")
    forged_claims = dict(claims(token), sub="system:serviceaccount:kube-system:default")
    forged = base64.urlsafe_b64encode(json.dumps(forged_claims).encode()).decode().rstrip("=")
    for tampered in (f"{header}.{forged}.{signature}", f"{header}.{payload}.{signature[:-4]}AAAA", token + "x"):
        result = with_token(server, tampered, "get", "pods", "-n", namespace)
        assert result.returncode != 0 and UNAUTHORIZED in result.stderr

    # Signed with the server's own key but expired two minutes ago (beyond the minute of clock skew allowed).
    expired_claims = dict(claims(token), iat=int(time.time()) - 900, nbf=int(time.time()) - 900, exp=int(time.time()) - 120)
    expired = sign_with_server_key(server, expired_claims)
    check = sign_with_server_key(server, dict(expired_claims, exp=int(time.time()) + 600))
    assert with_token(server, check, "auth", "whoami").returncode == 0, "a fresh token signed the same way works"
    assert UNAUTHORIZED in with_token(server, expired, "get", "pods", "-n", namespace).stderr

    # A token outlives neither its account nor an account of the same name made again.
    server.kubectl("delete", "serviceaccount", "builder", "-n", namespace)
    server.kubectl("create", "serviceaccount", "builder", "-n", namespace)
    wait_for(lambda: UNAUTHORIZED in with_token(server, token, "get", "pods", "-n", namespace).stderr,
             "the old account's token refused", timeout=20)


def sign_with_server_key(server: Server, payload):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    key = serialization.load_pem_private_key((server.data_dir / "tls" / "service.key").read_bytes(), password=None)
    encode = lambda data: base64.urlsafe_b64encode(data).decode().rstrip("=")
    signing_input = encode(json.dumps({"alg": "ES256"}).encode()) + "." + encode(json.dumps(payload).encode())
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return signing_input + "." + encode(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def test_admission_gives_pods_the_default_account_and_its_api_access_volume(server: Server, namespace):
    # Created right after its namespace: admission waits briefly for the controller's `default` account.
    fresh = f"{namespace}-fresh"
    server.kubectl("create", "namespace", fresh)
    server.kubectl("run", "web", "-n", fresh, "--image=nginx")
    spec = server.kubectl_json("get", "pod", "web", "-n", fresh)["spec"]
    assert spec["serviceAccountName"] == "default" and spec["serviceAccount"] == "default"
    volume = spec["volumes"][0]
    assert volume["name"].startswith("kube-api-access-") and len(volume["name"]) == len("kube-api-access-") + 5
    assert volume["projected"] == {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
    ]}
    assert spec["containers"][0]["volumeMounts"] == [{"name": volume["name"], "readOnly": True, "mountPath": MOUNT}]

    missing = server.kubectl("run", "lost", "-n", namespace, "--image=nginx", "--overrides",
                             '{"spec":{"serviceAccountName":"nope"}}', check=False)
    assert missing.returncode != 0
    assert (f'Error from server (Forbidden): pods "lost" is forbidden: error looking up service account {namespace}/nope: '
            'serviceaccount "nope" not found') in missing.stderr
    server.kubectl("delete", "namespace", fresh, "--wait=false")


# ---- Real containers: the node agent projects the tokens ----

@pytest.fixture(scope="module")
def agent_cluster(tmp_path_factory):
    if os.geteuid() != 0 or not all(shutil.which(tool) for tool in ("containerd", "runc")) or not pathlib.Path("/usr/lib/cni/bridge").exists():
        pytest.skip("running containers needs root, containerd, runc and the CNI plugins")
    from test_node_agent import CLUSTER_CIDR, NODE, node_ready

    images = subprocess.run(["bash", str(ROOT / "scripts" / "test-images.sh")], capture_output=True, text=True, timeout=600)
    assert images.returncode == 0, f"scripts/test-images.sh failed:\n{images.stdout}\n{images.stderr}"
    registries = tmp_path_factory.mktemp("sa-agent") / "registries.yaml"
    registries.write_text('mirrors:\n  docker.io:\n    endpoint: ["http://127.0.0.1:5000"]\n'
                          '  registry.k8s.io:\n    endpoint: ["http://127.0.0.1:5000"]\n')
    with own_server("skiff-e2e-sa-", ["--node-name", NODE, "--cluster-cidr", CLUSTER_CIDR, "--private-registry", str(registries),
                                      "--stop-pods-on-exit", "--sync-frequency", "3"], agent=True) as running:
        wait_for(lambda: node_ready(running), "the server's own node Ready", timeout=60)
        yield running


def running(cluster: Server, name):
    def check():
        status = cluster.kubectl_json("get", "pod", name)["status"]
        return status.get("phase") == "Running" and all(c.get("ready") for c in status.get("containerStatuses", []))
    wait_for(check, f"{name} Running", timeout=90)


def test_a_pod_reads_its_own_bound_token_ca_and_namespace(agent_cluster: Server):
    cluster = agent_cluster
    cluster.kubectl("run", "reader", "--image=busybox", "--", "sleep", "3600")
    running(cluster, "reader")
    listing = cluster.kubectl("exec", "reader", "--", "ls", MOUNT).stdout.split()
    assert listing == ["ca.crt", "namespace", "token"]
    assert cluster.kubectl("exec", "reader", "--", "cat", f"{MOUNT}/namespace").stdout == "default"
    ca = cluster.kubectl("exec", "reader", "--", "cat", f"{MOUNT}/ca.crt").stdout
    assert ca == (cluster.data_dir / "tls" / "ca.crt").read_text()
    mode = cluster.kubectl("exec", "reader", "--", "stat", "-L", "-c", "%a", f"{MOUNT}/token").stdout.strip()
    assert mode == "644"

    token = cluster.kubectl("exec", "reader", "--", "cat", f"{MOUNT}/token").stdout
    pod = cluster.kubectl_json("get", "pod", "reader")
    payload = claims(token)
    assert payload["sub"] == "system:serviceaccount:default:default"
    assert payload["kubernetes.io"]["pod"] == {"name": "reader", "uid": pod["metadata"]["uid"]}
    node = cluster.kubectl_json("get", "node", pod["spec"]["nodeName"])
    assert payload["kubernetes.io"]["node"] == {"name": node["metadata"]["name"], "uid": node["metadata"]["uid"]}
    assert payload["exp"] - payload["iat"] == 3607
    cluster.kubectl("create", "rolebinding", "default-view", "--clusterrole=view", "--serviceaccount=default:default")
    listed = wait_for(lambda: (lambda r: r if r.returncode == 0 else None)(with_token(cluster, token, "get", "pod", "reader", "-o", "name")),
                      "the pod's account reading pods")
    assert listed.stdout.strip() == "pod/reader", listed.stderr
    whoami = json.loads(with_token(cluster, token, "auth", "whoami", "-o", "json").stdout)["status"]["userInfo"]
    account = cluster.kubectl_json("get", "serviceaccount", "default")
    assert whoami["uid"] == account["metadata"]["uid"]
    assert whoami["extra"] == {
        "authentication.kubernetes.io/pod-name": ["reader"], "authentication.kubernetes.io/pod-uid": [pod["metadata"]["uid"]],
        "authentication.kubernetes.io/node-name": [node["metadata"]["name"]],
        "authentication.kubernetes.io/node-uid": [node["metadata"]["uid"]],
        "authentication.kubernetes.io/credential-id": [f"JTI={payload['jti']}"],
    }
    # kubectl can bind a token to the pod too.
    bound = cluster.kubectl("create", "token", "default", "--bound-object-kind=Pod", "--bound-object-name=reader",
                            f"--bound-object-uid={pod['metadata']['uid']}").stdout.strip()
    assert claims(bound)["kubernetes.io"]["pod"] == payload["kubernetes.io"]["pod"]

    # The token is bound to the pod: once the pod is gone, so is its access.
    cluster.kubectl("delete", "pod", "reader", "--grace-period=1", "--timeout=60s")
    wait_for(lambda: UNAUTHORIZED in with_token(cluster, token, "get", "pods").stderr, "the deleted pod's token refused", timeout=30)


def test_automount_false_gives_no_token(agent_cluster: Server):
    cluster = agent_cluster
    cluster.kubectl("run", "private", "--image=busybox", "--overrides", '{"spec":{"automountServiceAccountToken":false}}',
                    "--", "sleep", "3600")
    running(cluster, "private")
    spec = cluster.kubectl_json("get", "pod", "private")["spec"]
    assert "volumes" not in spec and "volumeMounts" not in spec["containers"][0]
    result = cluster.kubectl("exec", "private", "--", "ls", MOUNT, check=False)
    assert result.returncode != 0
    cluster.kubectl("delete", "pod", "private", "--grace-period=1")


def test_an_explicit_projected_token_with_its_own_path_and_audience(agent_cluster: Server):
    cluster = agent_cluster
    cluster.kubectl("create", "serviceaccount", "vault-reader")
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: v1
kind: Pod
metadata: {name: vaulted}
spec:
  serviceAccountName: vault-reader
  automountServiceAccountToken: false
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
    volumeMounts:
    - {name: vault-token, mountPath: /var/run/secrets/tokens}
  volumes:
  - name: vault-token
    projected:
      defaultMode: 0440
      sources:
      - serviceAccountToken: {path: vault/token, audience: vault, expirationSeconds: 7200}
""")
    running(cluster, "vaulted")
    token = cluster.kubectl("exec", "vaulted", "--", "cat", "/var/run/secrets/tokens/vault/token").stdout
    payload = claims(token)
    assert payload["aud"] == ["vault"] and payload["exp"] - payload["iat"] == 7200
    assert payload["sub"] == "system:serviceaccount:default:vault-reader"
    assert payload["kubernetes.io"]["pod"]["name"] == "vaulted"
    mode = cluster.kubectl("exec", "vaulted", "--", "stat", "-L", "-c", "%a", "/var/run/secrets/tokens/vault/token").stdout.strip()
    assert mode == "440"
    # Meant for vault, not for the API server.
    assert UNAUTHORIZED in with_token(cluster, token, "get", "pods").stderr
    cluster.kubectl("delete", "pod", "vaulted", "--grace-period=1")
