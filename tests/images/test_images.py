"""The stand-in images of scripts/test-images.sh, pulled from the local registry and run by a real containerd + runc.

Starts its own containerd (temp root, state and socket; the CRI plugin disabled) in its own namespace, so it cannot
disturb another containerd on the machine. Needs root. All traffic stays on loopback.
"""
import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
REGISTRY = "127.0.0.1:5000"
NAMESPACE = f"skiff-images-test-{os.getpid()}"

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="running containers with containerd needs root"),
    pytest.mark.skipif(not all(shutil.which(tool) for tool in ("containerd", "ctr", "runc")),
                       reason="containerd, ctr and runc are needed (Debian: apt-get install containerd runc)"),
]


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Containerd:
    """A containerd of our own: config version 2, everything under one temp directory."""

    def __init__(self, base: pathlib.Path):
        self.base = base
        self.socket = base / "containerd.sock"
        self.log = base / "containerd.log"
        self.process = None

    def start(self, timeout: float = 20.0):
        config = self.base / "config.toml"
        config.write_text(f"""version = 2
root = "{self.base}/root"
state = "{self.base}/state"
# The CRI plugin wants CNI and a sandbox image; plain `ctr run` needs neither.
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "{self.socket}"

[ttrpc]
  address = "{self.base}/containerd.sock.ttrpc"

# Otherwise /opt/containerd, shared with every other containerd on the machine.
[plugins."io.containerd.internal.v1.opt"]
  path = "{self.base}/opt"
""")
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(["containerd", "--config", str(config)], stdout=subprocess.DEVNULL,
                                            stderr=log)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"containerd exited with {self.process.returncode}; see {self.log}")
            if self.socket.exists() and self.ctr("version", check=False).returncode == 0:
                return self
            time.sleep(0.1)
        raise RuntimeError(f"containerd did not answer on {self.socket}; see {self.log}")

    def ctr(self, *args, check=True, timeout=60):
        result = subprocess.run(["ctr", "--address", str(self.socket), "--namespace", NAMESPACE, *args],
                                capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"ctr {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result

    def run(self, *args, check=True):
        """`ctr run` with runc's state and the IO fifos under our directory instead of /run/containerd."""
        return self.ctr("run", "--runc-root", str(self.base / "runc"), "--fifo-dir", str(self.base / "fifo"), *args,
                        check=check)

    def task_status(self, container_id: str) -> str:
        for line in self.ctr("tasks", "ls").stdout.splitlines()[1:]:
            fields = line.split()
            if fields and fields[0] == container_id:
                return fields[-1]
        return ""

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        # Tasks first, so no shim outlives containerd; then containerd itself.
        for line in self.ctr("tasks", "ls", "-q", check=False).stdout.split():
            self.ctr("tasks", "kill", "--signal", "SIGKILL", line, check=False)
            self.ctr("tasks", "delete", "--force", line, check=False)
        for line in self.ctr("containers", "ls", "-q", check=False).stdout.split():
            self.ctr("containers", "delete", line, check=False)
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def remove_cgroups():
    """runc removes each container's cgroup; the namespace's parent cgroup (`/<namespace>`) stays behind."""
    root = pathlib.Path("/sys/fs/cgroup")
    for parent in [*root.glob(NAMESPACE), *root.glob(f"*/{NAMESPACE}")]:  # cgroup v2, v1
        for directory in sorted(parent.glob("**/"), key=lambda p: len(p.parts), reverse=True):
            try:
                directory.rmdir()
            except OSError:
                pass


def unmount_under(path: pathlib.Path):
    """Lazily unmounts whatever containerd left mounted below path (deepest first), so it can be removed."""
    with open("/proc/self/mounts") as mounts:
        points = [line.split()[1] for line in mounts]
    for point in sorted((p for p in points if p.startswith(str(path) + "/")), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], check=False)


@pytest.fixture(scope="module")
def images():
    started = time.monotonic()
    result = subprocess.run(["bash", str(ROOT / "scripts" / "test-images.sh")], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, f"scripts/test-images.sh failed:\n{result.stdout}\n{result.stderr}"
    print(f"scripts/test-images.sh took {time.monotonic() - started:.1f} s")


@pytest.fixture(scope="module")
def containerd(images):
    base = pathlib.Path(tempfile.mkdtemp(prefix="skiff-ctd-"))
    daemon = Containerd(base)
    try:
        yield daemon.start()
    finally:
        daemon.stop()
        remove_cgroups()
        unmount_under(base)
        shutil.rmtree(base, ignore_errors=True)


def pull(containerd: Containerd, image: str) -> str:
    ref = f"{REGISTRY}/{image}"
    containerd.ctr("images", "pull", "--plain-http", ref)
    return ref


def http_get(url: str) -> str:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only, whatever http_proxy says
    with opener.open(url, timeout=2) as response:
        return response.read().decode()


def stop_with_sigterm(containerd: Containerd, container_id: str, timeout: float = 2.0):
    """SIGTERM, as a kubelet stops a container: the task must be gone within timeout and have exited 0."""
    containerd.ctr("tasks", "kill", "--signal", "SIGTERM", container_id)
    started = time.monotonic()
    while containerd.task_status(container_id) != "STOPPED":
        assert time.monotonic() - started < timeout, f"{container_id} still running {timeout} s after SIGTERM"
        time.sleep(0.05)
    deleted = containerd.ctr("tasks", "delete", container_id)
    # ctr prints the exit status only when it is not zero, as a warning.
    assert "non-zero exit code" not in deleted.stderr, deleted.stderr
    containerd.ctr("containers", "delete", container_id)


def test_nginx_serves_welcome_page_and_stops_on_sigterm(containerd):
    ref = pull(containerd, "library/nginx:1.25")
    port = 80 if port_is_free(80) else free_port()
    env = [] if port == 80 else ["--env", f"STANDIN_PORT={port}"]
    containerd.run("--net-host", "-d", *env, ref, "nginx-test")
    deadline = time.time() + 10
    body = ""
    while time.time() < deadline:
        try:
            body = http_get(f"http://127.0.0.1:{port}/")
            break
        except OSError:
            time.sleep(0.1)
    assert "Welcome to nginx!" in body

    stop_with_sigterm(containerd, "nginx-test")


def test_busybox_exit_status_reaches_ctr(containerd):
    ref = pull(containerd, "library/busybox:latest")
    result = containerd.run("--rm", ref, "busybox-test", "sh", "-c", "exit 3", check=False)
    assert result.returncode == 3, result.stderr


def test_postgres_listens_on_its_port_and_stops_on_sigterm(containerd):
    ref = pull(containerd, "library/postgres:15-alpine")
    port = free_port()
    containerd.run("--net-host", "-d", "--env", f"STANDIN_PORT={port}", ref, "postgres-test")
    deadline = time.time() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.time() < deadline, f"nothing listens on {port}"
            time.sleep(0.1)
    stop_with_sigterm(containerd, "postgres-test")


def test_pause_runs_as_65535_and_stops_on_sigterm(containerd):
    ref = pull(containerd, "pause:3.6")
    containerd.run("-d", ref, "pause-test")
    time.sleep(0.3)
    assert containerd.task_status("pause-test") == "RUNNING"
    pid = containerd.ctr("tasks", "ls").stdout.split("pause-test")[1].split()[0]
    uids = pathlib.Path(f"/proc/{pid}/status").read_text().split("Uid:")[1].split()
    assert uids[0] == "65535", uids
    stop_with_sigterm(containerd, "pause-test")


def test_public_names_resolve_through_a_mirror(containerd):
    """The node agent's registry mirror, as containerd's hosts.toml: public names pull unchanged from 127.0.0.1:5000.
    `server` is the local registry too, so a miss fails here instead of going to the internet."""
    hosts = containerd.base / "certs.d"
    for registry in ("docker.io", "registry.k8s.io"):
        (hosts / registry).mkdir(parents=True, exist_ok=True)
        (hosts / registry / "hosts.toml").write_text(f'server = "http://{REGISTRY}"\n\n'
                                                     f'[host."http://{REGISTRY}"]\n  capabilities = ["pull", "resolve"]\n')
    for ref in ("docker.io/library/nginx:1.25-alpine", "docker.io/library/postgres:15-alpine",
                "registry.k8s.io/pause:3.6"):
        containerd.ctr("images", "pull", "--hosts-dir", str(hosts), ref)
    assert "docker.io/library/postgres:15-alpine" in containerd.ctr("images", "ls", "-q").stdout
