"""Shared fixtures: a real `skiff server` on a random port in a temp dir, driven by the real kubectl."""
import base64
import contextlib
import json
import os
import pathlib
import signal
import socket
import subprocess
import tempfile
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
# A copy of the seed documents the project was created from; every Kubernetes YAML block in them is a test case.
SEEDS = pathlib.Path(os.environ.get("SKIFF_SEEDS", pathlib.Path(__file__).resolve().parent / "seeds"))


def skiff_binary() -> str:
    explicit = os.environ.get("SKIFF_BIN")
    if explicit:
        return explicit
    for candidate in (ROOT / ".build" / "release" / "skiff", ROOT / ".build" / "debug" / "skiff"):
        if candidate.exists():
            return str(candidate)
    raise RuntimeError("no skiff binary: run `swift build` first or set SKIFF_BIN")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """One running `skiff server` process with its own data directory and kubeconfig."""

    def __init__(self, data_dir: pathlib.Path, extra_args=(), agent=False):
        """`agent`: run the server's own node agent (real containers); most tests use hollow nodes instead."""
        self.data_dir = data_dir
        self.port = free_port()
        self.kubeconfig = data_dir / "kubeconfig.yaml"
        self.extra_args = list(extra_args) + ([] if agent else ["--disable-agent"])
        self.process = None
        self.log = data_dir / "server.log"

    def start(self, timeout: float = 30.0):
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log, "ab")
        self.process = subprocess.Popen(
            [skiff_binary(), "server", "--data-dir", str(self.data_dir), "--https-listen-port", str(self.port), *self.extra_args],
            stdout=subprocess.PIPE, stderr=log, text=True)
        deadline = time.time() + timeout
        line = self.process.stdout.readline()
        if "running at" not in line:
            raise RuntimeError(f"skiff server did not start: {line!r}; see {self.log}")
        while time.time() < deadline:
            if self.kubectl("get", "--raw", "/readyz", check=False).stdout.strip() == "ok":
                return self
            time.sleep(0.1)
        raise RuntimeError("skiff server never became ready")

    def stop(self, sig=signal.SIGTERM, timeout: float = 15.0):
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode if self.process else None

    def env(self):
        env = dict(os.environ)
        env["KUBECONFIG"] = str(self.kubeconfig)
        return env

    def kubectl(self, *args, input=None, check=True, timeout=60):
        result = subprocess.run(["kubectl", *args], input=input, capture_output=True, text=True, env=self.env(), timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def kubectl_json(self, *args):
        return json.loads(self.kubectl(*args, "-o", "json").stdout)

    def raw(self, method, path, body=b"", content_type="application/json", with_headers=False, parse=True):
        """One HTTPS request with the admin client certificate; returns (status, parsed JSON or text), plus the
        response headers (lower-cased names) when `with_headers` is set; the body's text unparsed without `parse`."""
        import http.client
        import ssl

        import yaml

        config = yaml.safe_load(self.kubeconfig.read_text())
        files = {}
        for name, data in (("ca.crt", config["clusters"][0]["cluster"]["certificate-authority-data"]),
                           ("client.crt", config["users"][0]["user"]["client-certificate-data"]),
                           ("client.key", config["users"][0]["user"]["client-key-data"])):
            files[name] = self.data_dir / f"raw-{name}"
            files[name].write_bytes(base64.b64decode(data))
        context = ssl.create_default_context(cafile=str(files["ca.crt"]))
        context.load_cert_chain(str(files["client.crt"]), str(files["client.key"]))
        connection = http.client.HTTPSConnection("127.0.0.1", self.port, context=context, timeout=30)
        connection.request(method, path, body=body, headers={"Content-Type": content_type})
        response = connection.getresponse()
        text = response.read().decode()
        headers = {name.lower(): value for name, value in response.getheaders()}
        connection.close()
        try:
            parsed = json.loads(text) if parse else text
        except ValueError:
            parsed = text
        return (response.status, parsed, headers) if with_headers else (response.status, parsed)

    def popen_kubectl(self, *args):
        return subprocess.Popen(["kubectl", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env())


def wait_for(predicate, what, timeout=45.0, interval=0.2):
    """Polls `predicate` until it returns something truthy, which is returned; fails naming `what` after `timeout`."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


@contextlib.contextmanager
def own_server(prefix, args=(), agent=False):
    """A `skiff server` of a test module's own (e.g. with hollow nodes), in a temp dir that goes with it."""
    with tempfile.TemporaryDirectory(prefix=prefix) as directory:
        running = Server(pathlib.Path(directory), args, agent=agent).start()
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture(scope="session")
def server():
    with tempfile.TemporaryDirectory(prefix="skiff-e2e-") as directory:
        running = Server(pathlib.Path(directory)).start()
        yield running
        running.stop()


@pytest.fixture
def fresh_server(tmp_path):
    """A server of its own, for tests that stop or kill it."""
    servers = []

    def start(*extra_args):
        started = Server(tmp_path / f"server-{len(servers)}", extra_args).start()
        servers.append(started)
        return started

    yield start
    for running in servers:
        running.stop(signal.SIGKILL)


_namespace_counter = [0]


@pytest.fixture
def namespace(server):
    _namespace_counter[0] += 1
    name = f"e2e-{os.getpid() % 10000}-{_namespace_counter[0]}"
    server.kubectl("create", "namespace", name)
    return name


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
