"""Jobs run to completion on hollow nodes, as kubectl users expect from Kubernetes' job controller."""
import time

import pytest

from conftest import own_server, wait_for


@pytest.fixture(scope="module")
def cluster():
    with own_server("skiff-e2e-jobs-", ["--hollow-nodes", "2"]) as running:
        yield running


def job_row(cluster, name):
    lines = cluster.kubectl("get", "job", name).stdout.splitlines()
    return lines[1].split()


def events(cluster, name, reason):
    return cluster.kubectl_json("get", "events", "--field-selector", f"involvedObject.name={name},reason={reason}")["items"]


def test_kubectl_create_job_runs_to_completion(cluster):
    cluster.kubectl("create", "job", "hello", "--image=busybox", "--", "echo", "hello")
    wait_for(lambda: job_row(cluster, "hello")[1] == "Complete", "the job Complete")
    assert job_row(cluster, "hello")[:3] == ["hello", "Complete", "1/1"]
    job = cluster.kubectl_json("get", "job", "hello")
    types = [c["type"] for c in job["status"]["conditions"]]
    assert types == ["SuccessCriteriaMet", "Complete"]
    assert job["status"]["succeeded"] == 1 and "completionTime" in job["status"]
    pods = cluster.kubectl_json("get", "pods", "-l", "job-name=hello")["items"]
    assert len(pods) == 1 and pods[0]["status"]["phase"] == "Succeeded"
    assert pods[0]["metadata"]["ownerReferences"][0]["kind"] == "Job"
    describe = cluster.kubectl("describe", "job", "hello").stdout
    assert "SuccessfulCreate" in describe and "job-controller" in describe and "Completed" in describe


def test_parallel_job_with_completions(cluster):
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: batch/v1
kind: Job
metadata: {name: batch}
spec:
  completions: 5
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: work, image: busybox}]
""")
    active = wait_for(lambda: cluster.kubectl_json("get", "job", "batch").get("status", {}).get("active"), "pods started")
    assert active <= 2
    wait_for(lambda: job_row(cluster, "batch")[1] == "Complete", "the job Complete", timeout=40)
    assert job_row(cluster, "batch")[2] == "5/5"
    assert len(cluster.kubectl_json("get", "pods", "-l", "job-name=batch")["items"]) == 5


def test_failing_pods_are_retried_up_to_the_backoff_limit(cluster):
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: batch/v1
kind: Job
metadata: {name: flaky}
spec:
  backoffLimit: 1
  template:
    metadata:
      annotations: {hollow.skiff.dev/exit-code: "1"}
    spec:
      restartPolicy: Never
      containers: [{name: work, image: busybox}]
""")
    wait_for(lambda: job_row(cluster, "flaky")[1] == "Failed", "the job Failed", timeout=40)
    job = cluster.kubectl_json("get", "job", "flaky")
    failed = next(c for c in job["status"]["conditions"] if c["type"] == "Failed")
    assert (failed["reason"], failed["message"]) == ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
    assert job["status"]["failed"] == 2
    pods = cluster.kubectl_json("get", "pods", "-l", "job-name=flaky")["items"]
    assert len(pods) == 2, "one try and one retry after the back-off"
    assert events(cluster, "flaky", "BackoffLimitExceeded")[0]["type"] == "Warning"


def test_finished_job_is_deleted_after_its_ttl(cluster):
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: batch/v1
kind: Job
metadata: {name: ephemeral}
spec:
  ttlSecondsAfterFinished: 1
  template:
    spec:
      restartPolicy: Never
      containers: [{name: work, image: busybox}]
""")
    wait_for(lambda: cluster.kubectl("get", "job", "ephemeral", check=False).returncode != 0, "the job deleted", timeout=30)


def test_cronjob_creates_a_job_each_scheduled_minute_and_create_job_from_cronjob(cluster):
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: batch/v1
kind: CronJob
metadata: {name: tick}
spec:
  schedule: "* * * * *"
  successfulJobsHistoryLimit: 1
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: work, image: busybox}]
""")
    # kubectl builds this Job from the CronJob's template itself.
    cluster.kubectl("create", "job", "tick-manual", "--from=cronjob/tick")
    wait_for(lambda: job_row(cluster, "tick-manual")[1] == "Complete", "the manual job Complete")
    owner = cluster.kubectl_json("get", "job", "tick-manual")["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"]) == ("CronJob", "tick")

    def scheduled_jobs():
        jobs = cluster.kubectl_json("get", "jobs")["items"]
        return [j for j in jobs if j["metadata"]["name"].startswith("tick-") and j["metadata"]["name"][5:].isdigit()]

    first = wait_for(scheduled_jobs, "a scheduled job", timeout=75)[0]
    minutes = int(first["metadata"]["name"][5:])
    assert first["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"].endswith(":00Z")
    assert abs(minutes * 60 - time.time()) < 120
    wait_for(lambda: job_row(cluster, first["metadata"]["name"])[1] == "Complete", "the scheduled job Complete")
    cronjob = wait_for(lambda: cluster.kubectl_json("get", "cronjob", "tick").get("status", {}).get("lastScheduleTime") and
                       cluster.kubectl_json("get", "cronjob", "tick"), "lastScheduleTime")
    assert cronjob["status"].get("lastSuccessfulTime")
    row = cluster.kubectl("get", "cronjob", "tick").stdout.splitlines()
    assert row[0].split()[:3] == ["NAME", "SCHEDULE", "TIMEZONE"] and row[1].split()[:2] == ["tick", "*"]
    assert any(e["message"] == f"Created job {first['metadata']['name']}"
               for e in cluster.kubectl_json("get", "events", "--field-selector", "involvedObject.name=tick,reason=SuccessfulCreate")["items"])
    cluster.kubectl("patch", "cronjob", "tick", "--type=merge", "-p", '{"spec":{"suspend":true}}')


def test_indexed_job_runs_each_index_once(cluster):
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: batch/v1
kind: Job
metadata: {name: shards}
spec:
  completions: 3
  parallelism: 2
  completionMode: Indexed
  template:
    spec:
      restartPolicy: Never
      containers: [{name: work, image: busybox}]
""")
    wait_for(lambda: job_row(cluster, "shards")[1] == "Complete", "the indexed job Complete", timeout=40)
    job = cluster.kubectl_json("get", "job", "shards")
    assert job["status"]["completedIndexes"] == "0-2" and job["status"]["succeeded"] == 3
    pods = cluster.kubectl_json("get", "pods", "-l", "job-name=shards")["items"]
    indexes = sorted(p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"] for p in pods)
    assert indexes == ["0", "1", "2"]
    for pod in pods:
        index = pod["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]
        assert pod["metadata"]["name"].startswith(f"shards-{index}-") and pod["spec"]["hostname"] == f"shards-{index}"
        assert any(e["name"] == "JOB_COMPLETION_INDEX" for e in pod["spec"]["containers"][0]["env"])


def test_pod_failure_policy_fails_the_job_at_once_or_ignores_failures(cluster):
    """`podFailurePolicy`: exit code 42 fails the Job without retries; exit code 3 is ignored, so failures past
    `backoffLimit` do not fail the Job (hollow pods exit with their `hollow.skiff.dev/exit-code`)."""
    def job(name, exit_code):
        return f"""apiVersion: batch/v1
kind: Job
metadata: {{name: {name}}}
spec:
  backoffLimit: 0
  podFailurePolicy:
    rules:
    - action: FailJob
      onExitCodes: {{containerName: main, operator: In, values: [42]}}
    - action: Ignore
      onExitCodes: {{operator: In, values: [3]}}
  template:
    metadata:
      annotations: {{hollow.skiff.dev/exit-code: "{exit_code}", hollow.skiff.dev/run-seconds: "0.2"}}
    spec:
      restartPolicy: Never
      containers:
      - {{name: main, image: busybox}}
"""
    cluster.kubectl("apply", "-f", "-", input=job("fatal", 42))
    wait_for(lambda: job_row(cluster, "fatal")[1] == "Failed", "the fatal job Failed")
    failed = [c for c in cluster.kubectl_json("get", "job", "fatal")["status"]["conditions"] if c["type"] == "Failed"][0]
    assert failed["reason"] == "PodFailurePolicy"
    assert failed["message"].startswith("Container main for pod default/fatal-") and "failed with exit code 42 matching FailJob rule at index 0" in failed["message"]

    cluster.kubectl("apply", "-f", "-", input=job("tolerant", 3))
    wait_for(lambda: len(cluster.kubectl_json("get", "pods", "-l", "job-name=tolerant", "--field-selector", "status.phase=Failed")["items"]) >= 2,
             "two ignored failures")
    status = cluster.kubectl_json("get", "job", "tolerant")["status"]
    assert status.get("failed", 0) == 0 and not any(c["type"] == "Failed" for c in status.get("conditions", [])), status
    cluster.kubectl("delete", "job", "fatal", "tolerant")
