import APIMachinery
import Testing

@testable import Controllers

@Suite("job status")
struct JobStatusTests {
    func pod(_ phase: String, ready: Bool = false, deleting: Bool = false) -> JSONValue {
        var pod: JSONValue = ["status": ["phase": .string(phase), "conditions": [["type": "Ready", "status": ready ? "True" : "False"]]]]
        if deleting { pod[path: "metadata", "deletionTimestamp"] = "2026-01-01T00:00:00Z" }
        return pod
    }

    @Test func countsActiveReadySucceededAndFailedPods() {
        let counts = JobStatus.counts([pod("Running", ready: true), pod("Pending"), pod("Succeeded"), pod("Failed"), pod("Running", deleting: true)])
        #expect(counts == .init(active: 2, ready: 1, succeeded: 1, failed: 1))
    }

    @Test func keepsParallelismPodsRunningUntilCompletions() {
        let spec: JSONValue = ["completions": 5, "parallelism": 2]
        #expect(JobStatus.verdict(spec: spec, counts: .init(active: 0, ready: 0, succeeded: 0, failed: 0), activeSeconds: 0) == .running(createPods: 2))
        #expect(JobStatus.verdict(spec: spec, counts: .init(active: 2, ready: 1, succeeded: 3, failed: 0), activeSeconds: 0) == .running(createPods: 0))
        #expect(JobStatus.verdict(spec: spec, counts: .init(active: 1, ready: 1, succeeded: 3, failed: 0), activeSeconds: 0) == .running(createPods: 1))
        #expect(JobStatus.verdict(spec: spec, counts: .init(active: 0, ready: 0, succeeded: 4, failed: 0), activeSeconds: 0) == .running(createPods: 1))
        #expect(JobStatus.verdict(spec: spec, counts: .init(active: 0, ready: 0, succeeded: 5, failed: 0), activeSeconds: 0) == .complete)
    }

    @Test func aWorkQueueJobCompletesWhenOnePodSucceededAndTheRestFinished() {
        let spec: JSONValue = ["parallelism": 3]
        #expect(JobStatus.verdict(spec: spec, counts: .init(active: 2, ready: 0, succeeded: 1, failed: 0), activeSeconds: 0) == .running(createPods: 0))
        #expect(JobStatus.verdict(spec: spec, counts: .init(active: 0, ready: 0, succeeded: 1, failed: 0), activeSeconds: 0) == .complete)
    }

    @Test func failsPastTheBackoffLimitOrTheDeadline() {
        let spec: JSONValue = ["backoffLimit": 2, "activeDeadlineSeconds": 30]
        #expect(JobStatus.verdict(spec: spec, counts: .init(active: 0, ready: 0, succeeded: 0, failed: 2), activeSeconds: 5) == .running(createPods: 1))
        #expect(
            JobStatus.verdict(spec: spec, counts: .init(active: 0, ready: 0, succeeded: 0, failed: 3), activeSeconds: 5)
                == .failed(reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit"))
        #expect(
            JobStatus.verdict(spec: spec, counts: .init(active: 1, ready: 0, succeeded: 0, failed: 0), activeSeconds: 31)
                == .failed(reason: "DeadlineExceeded", message: "Job was active longer than specified deadline"))
    }

    @Test func replacementsBackOffExponentiallyUpToSixMinutes() {
        #expect(JobStatus.backoff(failures: 0) == 0)
        #expect(JobStatus.backoff(failures: 1) == 10)
        #expect(JobStatus.backoff(failures: 3) == 40)
        #expect(JobStatus.backoff(failures: 10) == 360)
    }
}

@Suite("indexed jobs")
struct JobIndexesTests {
    @Test func completedIndexesAreWrittenAsRanges() {
        #expect(JobIndexes.format([0, 1, 2, 4, 6, 7]) == "0-2,4,6-7")
        #expect(JobIndexes.format([3]) == "3")
        #expect(JobIndexes.format([]) == "")
    }

    @Test func theLowestIndexesThatNeitherSucceededNorRunStartFirst() {
        #expect(JobIndexes.toStart(completions: 5, succeeded: [0, 2], active: [1], count: 2) == [3, 4])
        #expect(JobIndexes.toStart(completions: 3, succeeded: [0, 1, 2], active: [], count: 2) == [])
    }

    @Test func indexedPodsCarryTheirIndex() {
        let pod: JSONValue = ["metadata": ["generateName": "work-"], "spec": ["containers": [["name": "c", "image": "busybox"]]]]
        let indexed = JobController.indexed(pod, index: 3, job: "work")
        #expect(indexed[path: "metadata", "generateName"] == "work-3-")
        #expect(indexed[path: "metadata", "annotations", "batch.kubernetes.io/job-completion-index"] == "3")
        #expect(indexed[path: "spec", "hostname"] == "work-3")
        #expect(indexed[path: "spec", "containers"]?.arrayValue?.first?["env"]?.arrayValue?.first?["name"] == "JOB_COMPLETION_INDEX")
    }
}
