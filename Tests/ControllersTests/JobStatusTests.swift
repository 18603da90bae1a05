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
