"""Store behaviour seen from outside: acknowledged writes survive kill -9; compacted history answers 410."""
import json
import signal
import threading
import time


def test_acknowledged_writes_survive_kill_9(fresh_server):
    first = fresh_server()
    acknowledged = []
    stop = threading.Event()

    def writer(worker):
        index = 0
        while not stop.is_set():
            name = f"w{worker}-{index}"
            if first.kubectl("create", "configmap", name, "--from-literal=k=v", check=False, timeout=10).returncode == 0:
                acknowledged.append(name)
            index += 1

    threads = [threading.Thread(target=writer, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(4)
    first.process.send_signal(signal.SIGKILL)
    stop.set()
    for thread in threads:
        thread.join()
    first.process.wait()
    assert len(acknowledged) > 10

    first.start()
    stored = {item["metadata"]["name"] for item in first.kubectl_json("get", "configmaps")["items"]}
    missing = [name for name in acknowledged if name not in stored]
    assert missing == []


def test_restart_keeps_state_and_revisions_keep_increasing(fresh_server):
    server = fresh_server()
    server.kubectl("create", "namespace", "kept")
    before = int(server.kubectl_json("create", "configmap", "c1", "-n", "kept")["metadata"]["resourceVersion"])
    assert server.stop() == 0, "SIGTERM should shut the server down cleanly"
    server.start()
    assert server.kubectl_json("get", "cm", "c1", "-n", "kept")["metadata"]["resourceVersion"] == str(before)
    after = int(server.kubectl_json("create", "configmap", "c2", "-n", "kept")["metadata"]["resourceVersion"])
    assert after > before


def test_watch_from_a_compacted_revision_is_410_expired(fresh_server):
    server = fresh_server("--compaction-interval", "1")
    old = int(server.kubectl_json("create", "configmap", "old")["metadata"]["resourceVersion"])
    for index in range(5):
        server.kubectl("label", "configmap", "old", f"step={index}", "--overwrite")
    time.sleep(3.5)
    server.kubectl("label", "configmap", "old", "step=final", "--overwrite")
    time.sleep(2.5)
    raw = server.kubectl("get", "--raw", f"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={old}&timeoutSeconds=2").stdout
    event = json.loads(raw.splitlines()[0])
    assert event["type"] == "ERROR"
    assert event["object"]["code"] == 410
    assert event["object"]["reason"] == "Expired"
    assert "too old resource version" in event["object"]["message"]
    # The current state is intact and a fresh watch from it works.
    current = server.kubectl_json("get", "configmap", "old")
    assert current["metadata"]["labels"]["step"] == "final"
