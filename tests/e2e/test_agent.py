"""`skiff agent` joins hollow nodes with the server's join token, as `k3s agent` does; tokens authenticate requests."""
import hashlib
import http.client
import json
import re
import signal
import ssl
import stat
import subprocess
import time

from conftest import Server, skiff_binary


def server_url(server: Server) -> str:
    return f"https://127.0.0.1:{server.port}"


def join_token(server: Server) -> str:
    return (server.data_dir / "server" / "token").read_text().strip()


def request(server: Server, path: str, token=None, verify=True):
    """One HTTPS request without a client certificate; returns (status, body text)."""
    if verify:
        context = ssl.create_default_context(cafile=str(server.data_dir / "tls" / "ca.crt"))
    else:
        context = ssl._create_unverified_context()
    connection = http.client.HTTPSConnection("127.0.0.1", server.port, context=context, timeout=30)
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read().decode()
    connection.close()
    return response.status, body


def token_kubectl(server: Server, token: str, *args):
    """kubectl with a bearer token and the CA only, no client certificate."""
    return subprocess.run(
        ["kubectl", "--kubeconfig=/dev/null", f"--server={server_url(server)}",
         f"--certificate-authority={server.data_dir / 'tls' / 'ca.crt'}", f"--token={token}", *args],
        capture_output=True, text=True, timeout=60)


def run_agent(server: Server, token: str, *args, timeout=30):
    return subprocess.run(
        [skiff_binary(), "agent", "--server", server_url(server), "--token", token, *args],
        capture_output=True, text=True, timeout=timeout)


def test_token_file_is_k3s_format_pinning_the_ca(server: Server):
    path = server.data_dir / "server" / "token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    token = join_token(server)
    match = re.fullmatch(r"K10([0-9a-f]{64})::server:([0-9a-f]{32})", token)
    assert match, token
    ca_bundle = (server.data_dir / "tls" / "ca.crt").read_bytes()
    assert match.group(1) == hashlib.sha256(ca_bundle).hexdigest()


def test_cacerts_is_served_without_authentication(server: Server):
    status, body = request(server, "/cacerts", verify=False)
    assert status == 200
    assert body.encode() == (server.data_dir / "tls" / "ca.crt").read_bytes()
    assert join_token(server).startswith("K10" + hashlib.sha256(body.encode()).hexdigest() + "::")


def test_requests_without_credentials_or_with_a_bad_token_get_401(server: Server):
    for token in (None, "wrong", join_token(server) + "x"):
        status, body = request(server, "/api/v1/namespaces", token=token)
        assert status == 401, (token, body)
        assert json.loads(body) == {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "Unauthorized", "reason": "Unauthorized", "code": 401,
        }
    denied = token_kubectl(server, "wrong", "get", "namespaces")
    assert denied.returncode != 0
    assert "You must be logged in to the server" in denied.stderr


def test_the_join_token_or_its_secret_authenticates_as_the_agent(server: Server):
    token = join_token(server)
    secret = token.split(":")[-1]
    for credential in (token, secret):
        status, _ = request(server, "/api/v1/namespaces", token=credential)
        assert status == 200
    whoami = token_kubectl(server, secret, "auth", "whoami", "-o", "json")
    assert whoami.returncode == 0, whoami.stderr
    info = json.loads(whoami.stdout)["status"]["userInfo"]
    assert info["username"] == "skiff:agent"
    assert info["groups"] == ["system:nodes", "system:authenticated"]
    # The admin kubeconfig still authenticates with its client certificate.
    admin = json.loads(server.kubectl("auth", "whoami", "-o", "json").stdout)["status"]["userInfo"]
    assert admin["username"] == "system:admin"
    assert admin["groups"] == ["system:masters", "system:authenticated"]


def test_hollow_agent_nodes_become_ready(fresh_server):
    server = fresh_server()
    agent = subprocess.Popen(
        [skiff_binary(), "agent", "--server", server_url(server), "--token", join_token(server),
         "--hollow", "3", "--hollow-name-prefix", "agent-node-"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        expected = {"agent-node-0", "agent-node-1", "agent-node-2"}
        ready = set()
        deadline = time.time() + 60
        while time.time() < deadline and ready != expected:
            rows = [line.split() for line in server.kubectl("get", "nodes", "--no-headers", check=False).stdout.splitlines()]
            ready = {row[0] for row in rows if len(row) > 1 and row[1] == "Ready"}
            if agent.poll() is not None:
                break
            time.sleep(0.5)
        assert ready == expected, f"ready: {ready}; agent: {agent.poll()} {agent.stderr.read() if agent.poll() is not None else ''}"
        output = server.kubectl("get", "nodes").stdout
        assert output.splitlines()[0].split()[:2] == ["NAME", "STATUS"]
        agent.send_signal(signal.SIGTERM)
        assert agent.wait(15) == 0, agent.stderr.read()
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.wait()


def test_agent_refuses_a_token_with_the_wrong_ca_hash(server: Server):
    secret = join_token(server).split("::", 1)[1]
    wrong = "K10" + "0" * 64 + "::" + secret
    result = run_agent(server, wrong, "--hollow", "1")
    assert result.returncode != 0
    assert "does not match the token" in result.stderr, result.stderr
    assert "0" * 64 in result.stderr


def test_agent_refuses_a_token_the_server_does_not_know(server: Server):
    token = join_token(server)
    result = run_agent(server, token[: token.rindex(":") + 1] + "not-the-secret", "--hollow", "1")
    assert result.returncode != 0
    assert "rejected the token" in result.stderr, result.stderr


def test_agent_refuses_zero_hollow_nodes(server: Server):
    result = run_agent(server, join_token(server), "--hollow", "0")
    assert result.returncode != 0
    assert "--hollow must be at least 1" in result.stderr, result.stderr