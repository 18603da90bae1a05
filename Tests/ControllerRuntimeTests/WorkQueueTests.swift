import ControllerRuntime
import Testing

@Suite("work queue")
struct WorkQueueTests {
    @Test func repeatedAddsOfAWaitingKeyCollapseIntoOne() async {
        let queue = WorkQueue<String>()
        queue.add("a")
        queue.add("b")
        queue.add("a")
        #expect(queue.count == 2)
        #expect(await queue.next() == "a")
        #expect(await queue.next() == "b")
    }

    @Test func aKeyAddedWhileProcessingIsHandedOutAgainOnlyAfterDone() async {
        let queue = WorkQueue<String>()
        queue.add("a")
        let first = await queue.next()
        queue.add("a")
        #expect(queue.count == 0, "a key being processed is not handed to a second worker")
        queue.done("a")
        #expect(first == "a")
        #expect(queue.count == 1)
        #expect(await queue.next() == "a")
    }

    @Test func aKeyWaitingOutADelayKeepsOneTimerAtItsSoonestTime() async {
        let queue = WorkQueue<String>()
        let started = ContinuousClock.now
        queue.add("a", after: .milliseconds(300))
        queue.add("a", after: .milliseconds(20))
        queue.add("a", after: .milliseconds(600))
        queue.add("b", after: .milliseconds(250))
        #expect(await queue.next() == "a", "the soonest of a's times wins")
        queue.done("a")
        #expect(await queue.next() == "b")
        queue.done("b")
        try? await Task.sleep(until: started + .milliseconds(900), clock: .continuous)
        #expect(queue.count == 0, "a's later times were dropped, not kept as retries of their own")
    }

    @Test func aWaitingWorkerGetsTheNextAdd() async {
        let queue = WorkQueue<Int>()
        async let next = queue.next()
        try? await Task.sleep(for: .milliseconds(20))
        queue.add(7)
        #expect(await next == 7)
    }

    @Test func shutDownWakesWaitingWorkersWithNil() async {
        let queue = WorkQueue<Int>()
        async let next = queue.next()
        try? await Task.sleep(for: .milliseconds(20))
        queue.shutDown()
        #expect(await next == nil)
        queue.add(1)
        #expect(queue.count == 0)
    }

    @Test func failuresBackOffAndForgetResetsTheCount() async {
        let queue = WorkQueue<String>(baseRetryDelay: .milliseconds(10), maximumRetryDelay: .milliseconds(40))
        queue.addRateLimited("k")
        queue.addRateLimited("k")
        #expect(queue.failureCount("k") == 2)
        #expect(queue.count == 0, "a rate-limited add waits for its delay")
        let started = ContinuousClock.now
        #expect(await queue.next() == "k")
        #expect(ContinuousClock.now - started >= .milliseconds(5))
        queue.forget("k")
        #expect(queue.failureCount("k") == 0)
    }
}
