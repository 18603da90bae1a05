"""Probes and lifecycle hooks run by the server's own node agent against real containers, driven with real kubectl
(the same cluster fixture as test_node_agent.py: set SKIFF_TEST_NODE and SKIFF_TEST_CLUSTER_CIDR the same way)."""
import time

from conftest import wait_for
from test_node_agent import cluster, pod, pytestmark  # noqa: F401 (the fixture and the module's skip conditions)


def ready_column(cluster, name):
    rows = cluster.kubectl("get", "pod", name, "--no-headers", check=False).stdout.split()
    return rows[1] if len(rows) > 1 else ""


def restart_count(cluster, name, container=0):
    statuses = pod(cluster, name)["status"].get("containerStatuses") or [{}]
    return statuses[container].get("restartCount", 0)


def events(cluster, name):
    return cluster.kubectl_json("get", "events", "--field-selector", f"involvedObject.name={name}")["items"]


def condition(cluster, name, type_):
    return next((c for c in pod(cluster, name)["status"].get("conditions", []) if c["type"] == type_), {})


def test_a_failing_exec_liveness_probe_restarts_the_container(cluster):
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: v1
kind: Pod
metadata: {name: liveness-exec}
spec:
  terminationGracePeriodSeconds: 60
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "touch /tmp/healthy; sleep 4; rm -f /tmp/healthy; sleep 3600"]
    livenessProbe:
      exec: {command: ["cat", "/tmp/healthy"]}
      periodSeconds: 1
      failureThreshold: 2
      terminationGracePeriodSeconds: 1
""")
    # sh ignores SIGTERM as PID 1, so the kill takes the whole grace period: the probe's 1 s, not the pod's 60 s.
    wait_for(lambda: restart_count(cluster, "liveness-exec") >= 1, "a restart after the liveness probe failed", timeout=50)
    described = cluster.kubectl("describe", "pod", "liveness-exec").stdout
    assert "Unhealthy" in described and "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory" in described
    assert "Killing" in described and "Container app failed liveness probe, will be restarted" in described
    status = pod(cluster, "liveness-exec")["status"]["containerStatuses"][0]
    assert status["lastState"]["terminated"]["exitCode"] != 0
    # The restarted container is probed afresh: it is healthy for its first seconds again, then killed again.
    wait_for(lambda: restart_count(cluster, "liveness-exec") >= 2, "a second restart", timeout=120)
    cluster.kubectl("delete", "pod", "liveness-exec", "--grace-period=1")


def test_an_http_liveness_probe_on_a_missing_path_restarts_the_container(cluster):
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: v1
kind: Pod
metadata: {name: liveness-http}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: web
    image: nginx:1.25
    ports: [{name: http, containerPort: 80}]
    livenessProbe:
      httpGet: {path: /no-such-page, port: http, httpHeaders: [{name: X-Probe, value: liveness}]}
      periodSeconds: 1
      timeoutSeconds: 2
      failureThreshold: 2
""")
    wait_for(lambda: restart_count(cluster, "liveness-http") >= 1, "a restart after the HTTP liveness probe failed", timeout=90)
    # A new pod address can take a moment to answer (a probe that times out fails too), so the 404 is awaited.
    wait_for(lambda: "Liveness probe failed: HTTP probe failed with statuscode: 404" in [e["message"] for e in events(cluster, "liveness-http")],
             "the 404's event", timeout=60)
    assert "Container web failed liveness probe, will be restarted" in [e["message"] for e in events(cluster, "liveness-http")]
    cluster.kubectl("delete", "pod", "liveness-http", "--grace-period=1")


def test_a_readiness_probe_gates_the_pods_ready_condition(cluster):
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: v1
kind: Pod
metadata: {name: readiness-exec}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "sleep 8; touch /tmp/ready; sleep 3600"]
    readinessProbe:
      exec: {command: ["cat", "/tmp/ready"]}
      periodSeconds: 1
""")
    wait_for(lambda: pod(cluster, "readiness-exec")["status"].get("containerStatuses", [{}])[0].get("state", {}).get("running"),
             "the container running")
    status = pod(cluster, "readiness-exec")["status"]
    if not status["containerStatuses"][0]["ready"]:
        # Caught before the file exists (the usual case): running, started, but not ready.
        assert ready_column(cluster, "readiness-exec") == "0/1"
        assert status["containerStatuses"][0]["started"] is True
        ready = condition(cluster, "readiness-exec", "Ready")
        assert ready["status"] == "False" and ready["reason"] == "ContainersNotReady"
    wait_for(lambda: ready_column(cluster, "readiness-exec") == "1/1", "READY 1/1 once /tmp/ready exists", timeout=60)
    assert condition(cluster, "readiness-exec", "Ready")["status"] == "True"
    assert condition(cluster, "readiness-exec", "ContainersReady")["status"] == "True"
    assert restart_count(cluster, "readiness-exec") == 0, "a failing readiness probe does not restart anything"
    cluster.kubectl("delete", "pod", "readiness-exec", "--grace-period=1")


def test_tcp_readiness_probes_against_an_open_and_a_closed_port(cluster):
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: v1
kind: Pod
metadata: {name: readiness-tcp}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: nginx:1.25
    readinessProbe:
      tcpSocket: {port: 80}
      periodSeconds: 1
  - name: closed
    image: busybox
    command: ["sleep", "3600"]
    readinessProbe:
      tcpSocket: {port: 81}
      periodSeconds: 1
""")
    def web_ready():
        statuses = pod(cluster, "readiness-tcp")["status"].get("containerStatuses", [])
        return {s["name"]: s["ready"] for s in statuses}.get("web")
    wait_for(web_ready, "the nginx container ready on port 80", timeout=60)
    assert ready_column(cluster, "readiness-tcp") == "1/2"
    ip = pod(cluster, "readiness-tcp")["status"]["podIP"]
    expected = f"Readiness probe failed: dial tcp {ip}:81: connect: connection refused"
    wait_for(lambda: expected in [e["message"] for e in events(cluster, "readiness-tcp")], "the refused connection's event")
    ready = condition(cluster, "readiness-tcp", "Ready")
    assert ready["status"] == "False" and ready["message"] == "containers with unready status: [closed]"
    cluster.kubectl("delete", "pod", "readiness-tcp", "--grace-period=1")


def test_a_startup_probe_holds_liveness_and_readiness_until_it_succeeds(cluster):
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: v1
kind: Pod
metadata: {name: startup}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "sleep 6; touch /tmp/started; sleep 3600"]
    startupProbe:
      exec: {command: ["cat", "/tmp/started"]}
      periodSeconds: 1
      failureThreshold: 30
    livenessProbe:
      exec: {command: ["cat", "/tmp/started"]}
      periodSeconds: 1
      failureThreshold: 1
""")
    wait_for(lambda: pod(cluster, "startup")["status"].get("containerStatuses", [{}])[0].get("state", {}).get("running"), "running")
    status = pod(cluster, "startup")["status"]["containerStatuses"][0]
    if not status["started"]:
        assert status["ready"] is False, "not ready before it started"
    wait_for(lambda: pod(cluster, "startup")["status"]["containerStatuses"][0]["started"], "started once the startup probe succeeds",
             timeout=60)
    wait_for(lambda: pod(cluster, "startup")["status"]["containerStatuses"][0]["ready"], "ready once started")
    # The liveness probe (one failure kills) did not run while the file was missing.
    assert restart_count(cluster, "startup") == 0
    assert not any(e["message"].startswith("Liveness probe failed") for e in events(cluster, "startup"))
    cluster.kubectl("delete", "pod", "startup", "--grace-period=1")


def test_a_prestop_hook_runs_before_the_container_stops_within_the_grace_period(cluster, tmp_path):
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    cluster.kubectl("apply", "-f", "-", input=f"""apiVersion: v1
kind: Pod
metadata: {{name: prestop}}
spec:
  terminationGracePeriodSeconds: 15
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "trap 'echo stopped by TERM >> /hooks/log; exit 0' TERM; while true; do sleep 1; done"]
    volumeMounts: [{{name: hooks, mountPath: /hooks}}]
    lifecycle:
      preStop:
        exec: {{command: ["sh", "-c", "echo preStop >> /hooks/log; sleep 3"]}}
  volumes:
  - name: hooks
    hostPath: {{path: {hooks}}}
""")
    wait_for(lambda: pod(cluster, "prestop")["status"].get("phase") == "Running", "prestop Running")
    started = time.time()
    cluster.kubectl("delete", "pod", "prestop", "--timeout=60s", timeout=90)
    took = time.time() - started
    assert (hooks / "log").read_text().splitlines() == ["preStop", "stopped by TERM"], "the hook ran, then the stop signal came"
    assert 3 <= took < 15, f"the hook's 3 s, then a prompt stop, within the 15 s grace period (took {took:.1f} s)"


def test_a_prestop_hook_that_outlives_the_grace_period_is_cut_short(cluster):
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: v1
kind: Pod
metadata: {name: slow-prestop}
spec:
  terminationGracePeriodSeconds: 4
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
    lifecycle:
      preStop:
        sleep: {seconds: 60}
""")
    wait_for(lambda: pod(cluster, "slow-prestop")["status"].get("phase") == "Running", "slow-prestop Running")
    started = time.time()
    cluster.kubectl("delete", "pod", "slow-prestop", "--timeout=60s", timeout=90)
    took = time.time() - started
    # 4 s of grace for the hook, then the kubelet's minimum of 2 s for the stop signal, and some slack for a loaded machine.
    assert took < 15, f"the pod stopped after its grace period rather than the hook's 60 s (took {took:.1f} s)"


def test_a_poststart_hook_runs_and_a_failing_one_kills_the_container(cluster):
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: v1
kind: Pod
metadata: {name: poststart}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "while [ ! -f /tmp/poststart ]; do sleep 0.2; done; cat /tmp/poststart; sleep 3600"]
    lifecycle:
      postStart:
        exec: {command: ["sh", "-c", "echo written by postStart > /tmp/poststart"]}
---
apiVersion: v1
kind: Pod
metadata: {name: poststart-fails}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
    lifecycle:
      postStart:
        exec: {command: ["sh", "-c", "exit 7"]}
""")
    wait_for(lambda: cluster.kubectl("logs", "poststart", check=False).stdout == "written by postStart\n", "the hook's file in the log")
    wait_for(lambda: "FailedPostStartHook" in [e["reason"] for e in events(cluster, "poststart-fails")], "a FailedPostStartHook event")
    wait_for(lambda: restart_count(cluster, "poststart-fails") >= 1, "the container killed and started again", timeout=60)
    by_reason = {e["reason"]: e["message"] for e in events(cluster, "poststart-fails")}
    assert by_reason["FailedPostStartHook"] == "PostStartHook failed" and by_reason["Killing"] == "FailedPostStartHook"
    cluster.kubectl("delete", "pod", "poststart", "poststart-fails", "--grace-period=1")
