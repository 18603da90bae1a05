import APIMachinery
import Foundation
import Testing

@testable import Controllers

/// The autoscaler's replica calculation against upstream's table (`TestReplicaCalcResourceScale` and the
/// missing-metrics cases of `replica_calculator_test.go`): every pod has two containers, each requesting the same
/// CPU and reporting the same usage unless a case says otherwise; metrics are a minute's window stamped at the
/// epoch; pods started long ago unless "hot" (a minute ago) or "cool" (three minutes ago) with a 2-minute CPU
/// initialization period.
struct ReplicaCalculatorTests {
    static let now = Date()

    enum Start { case longAgo, hot, cool }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var current: Int32
        var requests: [String]
        var levels: [[Int64]]
        var readiness: [Bool] = []
        var phases: [String] = []
        var deleting: [Bool] = []
        var starts: [Start] = []
        var container: String?
        var target: Int32
        var expectedReplicas: Int32
        var expectedUtilization: Int32
        var expectedAverage: Int64
        var testDescription: String { name }
    }

    static func levels(_ values: Int64...) -> [[Int64]] { values.map { [$0, $0] } }

    static let cases: [Case] = [
        Case(name: "scale up", current: 3, requests: ["1.0", "1.0", "1.0"], levels: levels(300, 500, 700), target: 30,
            expectedReplicas: 5, expectedUtilization: 50, expectedAverage: 2 * 500),
        Case(name: "scale up: container metric", current: 3, requests: ["1.0", "1.0", "1.0"], levels: [[1000, 300], [1000, 500], [1000, 700]],
            container: "container2", target: 30, expectedReplicas: 5, expectedUtilization: 50, expectedAverage: 500),
        Case(name: "scale up: unready pod scales less", current: 3, requests: ["1.0", "1.0", "1.0"], levels: levels(300, 500, 700),
            readiness: [false, true, true], target: 30, expectedReplicas: 4, expectedUtilization: 60, expectedAverage: 2 * 600),
        Case(name: "scale up: hot-CPU container scales less", current: 3, requests: ["1.0", "1.0", "1.0"], levels: [[0, 300], [0, 500], [0, 700]],
            starts: [.hot, .cool, .cool], container: "container2", target: 30, expectedReplicas: 4, expectedUtilization: 60, expectedAverage: 600),
        Case(name: "scale up: hot-CPU pod scales less", current: 3, requests: ["1.0", "1.0", "1.0"], levels: levels(300, 500, 700),
            starts: [.hot, .cool, .cool], target: 30, expectedReplicas: 4, expectedUtilization: 60, expectedAverage: 2 * 600),
        Case(name: "no scale: unready pods ignored", current: 3, requests: ["1.0", "1.0", "1.0"], levels: levels(400, 500, 700),
            readiness: [true, false, false], target: 30, expectedReplicas: 3, expectedUtilization: 40, expectedAverage: 2 * 400),
        Case(name: "no scale: hot-CPU pods ignored", current: 3, requests: ["1.0", "1.0", "1.0"], levels: levels(400, 500, 700),
            readiness: [true, false, false], starts: [.cool, .hot, .hot], target: 30, expectedReplicas: 3, expectedUtilization: 40,
            expectedAverage: 2 * 400),
        Case(name: "scale up: failed pods ignored", current: 2, requests: ["1.0", "1.0", "1.0", "1.0"], levels: levels(500, 700),
            readiness: [true, true, false, false], phases: ["Running", "Running", "Failed", "Failed"], target: 30, expectedReplicas: 4,
            expectedUtilization: 60, expectedAverage: 2 * 600),
        Case(name: "scale up: failed pods ignored with missing container metric", current: 2, requests: ["1.0", "1.0", "1.0", "1.0"],
            levels: [[1000, 500], [9000, 700], [1000], [9000]], readiness: [true, true, false, false],
            phases: ["Running", "Running", "Failed", "Failed"], container: "container2", target: 30, expectedReplicas: 4,
            expectedUtilization: 60, expectedAverage: 600),
        Case(name: "scale up: pods being deleted are ignored", current: 2, requests: ["1.0", "1.0", "1.0", "1.0"], levels: levels(500, 700),
            readiness: [true, true, false, false], deleting: [false, false, true, true], target: 30, expectedReplicas: 4,
            expectedUtilization: 60, expectedAverage: 2 * 600),
        Case(name: "scale down", current: 5, requests: ["1.0", "1.0", "1.0", "1.0", "1.0"], levels: levels(100, 300, 500, 250, 250),
            target: 50, expectedReplicas: 3, expectedUtilization: 28, expectedAverage: 2 * 280),
        Case(name: "scale down: container metric", current: 5, requests: ["1.0", "1.0", "1.0", "1.0", "1.0"],
            levels: [[1000, 100], [1000, 300], [1000, 500], [1000, 250], [1000, 250]], container: "container2", target: 50,
            expectedReplicas: 3, expectedUtilization: 28, expectedAverage: 280),
        Case(name: "scale down: exclude unready pods", current: 5, requests: ["1.0", "1.0", "1.0", "1.0", "1.0"],
            levels: levels(100, 300, 500, 250, 250), readiness: [true, true, true, false, false], target: 50, expectedReplicas: 2,
            expectedUtilization: 30, expectedAverage: 2 * 300),
        Case(name: "scale down: exclude unscheduled pods", current: 5, requests: ["1.0", "1.0", "1.0", "1.0", "1.0"], levels: levels(100),
            readiness: [true, false, false, false, false], phases: ["Running", "Pending", "Pending", "Pending", "Pending"], target: 50,
            expectedReplicas: 1, expectedUtilization: 10, expectedAverage: 2 * 100),
        Case(name: "scale down: ignore hot-CPU pods", current: 5, requests: ["1.0", "1.0", "1.0", "1.0", "1.0"],
            levels: levels(100, 300, 500, 250, 250), starts: [.cool, .cool, .cool, .hot, .hot], target: 50, expectedReplicas: 2,
            expectedUtilization: 30, expectedAverage: 2 * 300),
        Case(name: "scale down: failed pods ignored", current: 5, requests: Array(repeating: "1.0", count: 7),
            levels: levels(100, 300, 500, 250, 250), readiness: [true, true, true, true, true, false, false],
            phases: ["Running", "Running", "Running", "Running", "Running", "Failed", "Failed"], target: 50, expectedReplicas: 3,
            expectedUtilization: 28, expectedAverage: 2 * 280),
        Case(name: "scale down: still-running pods being deleted are ignored", current: 5, requests: Array(repeating: "1.0", count: 7),
            levels: [[1000, 100], [1000, 300], [1000, 500], [1000, 250], [1000, 250]], readiness: [true, true, true, true, true, false, false],
            deleting: [false, false, false, false, false, true, true], container: "container2", target: 50, expectedReplicas: 3,
            expectedUtilization: 28, expectedAverage: 280),
        Case(name: "scale down: missing metrics count as the full request", current: 4, requests: ["1.0", "1.0", "1.0", "1.0"],
            levels: levels(100, 100, 100), readiness: [false, true, true, true], target: 50, expectedReplicas: 3, expectedUtilization: 10,
            expectedAverage: 2 * 100),
        Case(name: "scale down: missing metrics count as the target above 100%", current: 4, requests: ["1.0", "1.0", "2.0", "2.0"],
            levels: levels(200, 100, 100), readiness: [false, true, true, true], target: 300, expectedReplicas: 2, expectedUtilization: 6,
            expectedAverage: 2 * 100),
        Case(name: "no scale: within tolerance", current: 3, requests: ["0.9", "1.0", "1.1"], levels: levels(1010, 1030, 1020),
            target: 100, expectedReplicas: 3, expectedUtilization: 102, expectedAverage: 2 * 1020),
    ]

    static func pods(_ testCase: Case) -> [JSONValue] {
        let count = max(Int(testCase.current), testCase.phases.count)
        return (0..<count).map { index in
            let request = index < testCase.requests.count ? testCase.requests[index] : nil
            let resources: JSONValue = request.map { ["requests": ["cpu": .string($0)]] } ?? .emptyObject
            let start: Date
            switch index < testCase.starts.count ? testCase.starts[index] : .longAgo {
            case .longAgo: start = Date(timeIntervalSince1970: 0)
            case .hot: start = now.addingTimeInterval(-60)
            case .cool: start = now.addingTimeInterval(-180)
            }
            var metadata: JSONValue = ["name": .string("test-pod-\(index)"), "namespace": "test-namespace", "labels": ["name": "test-pod"]]
            if index < testCase.deleting.count, testCase.deleting[index] { metadata["deletionTimestamp"] = .string(KubeTime.format(now)) }
            let ready = index < testCase.readiness.count ? testCase.readiness[index] : true
            return [
                "metadata": metadata,
                "spec": ["containers": [["name": "container1", "resources": resources], ["name": "container2", "resources": resources]]],
                "status": [
                    "phase": .string(index < testCase.phases.count ? testCase.phases[index] : "Running"), "startTime": .string(KubeTime.format(start)),
                    "conditions": [["type": "Ready", "status": .string(ready ? "True" : "False")]],
                ],
            ]
        }
    }

    /// The PodMetrics the metrics API would list, read as the controller reads them.
    static func metrics(_ testCase: Case) throws -> [String: PodMetric] {
        let items: [JSONValue] = testCase.levels.enumerated().map { index, levels in
            [
                "metadata": ["name": .string("test-pod-\(index)"), "namespace": "test-namespace"],
                "timestamp": "1970-01-01T00:00:00Z", "window": "1m0s",
                "containers": .array(levels.enumerated().map { ["name": .string("container\($0.offset + 1)"), "usage": ["cpu": .string("\($0.element)m")]] }),
            ]
        }
        return try HorizontalPodAutoscalerController.podMetrics(.success(items), resource: "cpu", container: testCase.container)
    }

    @Test(arguments: cases) func resourceReplicas(_ testCase: Case) throws {
        let calculator = ReplicaCalculator(cpuInitializationPeriod: .seconds(120), delayOfInitialReadinessStatus: .seconds(10), now: Self.now)
        let proposal = try calculator.resourceReplicas(
            currentReplicas: testCase.current, targetUtilization: testCase.target, resource: "cpu", container: testCase.container,
            pods: Self.pods(testCase), metrics: Self.metrics(testCase))
        #expect(proposal.replicas == testCase.expectedReplicas)
        #expect(proposal.utilization == testCase.expectedUtilization)
        #expect(proposal.averageValue == testCase.expectedAverage)
    }

    @Test func failuresAreWordedAsUpstream() throws {
        let calculator = ReplicaCalculator(now: Self.now)
        let noRequest = Case(name: "", current: 1, requests: [], levels: Self.levels(100), target: 50, expectedReplicas: 0, expectedUtilization: 0,
            expectedAverage: 0)
        #expect(throws: ReplicaCalculationError("missing request for cpu in container container1 of Pod test-pod-0")) {
            try calculator.resourceReplicas(
                currentReplicas: 1, targetUtilization: 50, resource: "cpu", container: nil, pods: Self.pods(noRequest), metrics: Self.metrics(noRequest))
        }
        #expect(throws: ReplicaCalculationError("no pods returned by selector while calculating replica count")) {
            try calculator.resourceReplicas(currentReplicas: 1, targetUtilization: 50, resource: "cpu", container: nil, pods: [], metrics: [:])
        }
        #expect(throws: ReplicaCalculationError("unable to get metrics for resource cpu: no metrics returned from resource metrics API")) {
            try HorizontalPodAutoscalerController.podMetrics(.success([]), resource: "cpu", container: nil)
        }
    }

    @Test func averageValueTargets() throws {
        // 3 pods using 200Mi, 300Mi and 400Mi of memory against 100Mi each: 9 replicas.
        let testCase = Case(name: "", current: 3, requests: ["1.0", "1.0", "1.0"], levels: [], target: 0, expectedReplicas: 0,
            expectedUtilization: 0, expectedAverage: 0)
        let mebibyte: Int64 = 1 << 20
        let metrics = Dictionary(uniqueKeysWithValues: [200, 300, 400].enumerated().map {
            ("test-pod-\($0.offset)", PodMetric(value: Int64($0.element) * mebibyte * 1000, timestamp: Self.now, window: .seconds(15)))
        })
        let proposal = try ReplicaCalculator(now: Self.now).averageValueReplicas(
            currentReplicas: 3, targetAverage: 100 * mebibyte * 1000, resource: "memory", pods: Self.pods(testCase), metrics: metrics)
        #expect(proposal.replicas == 9)
        #expect(proposal.averageValue == 300 * mebibyte * 1000)
        #expect(HorizontalPodAutoscalerController.milliQuantity(proposal.averageValue) == "314572800")
        #expect(HorizontalPodAutoscalerController.milliQuantity(250) == "250m")
        #expect(HorizontalPodAutoscalerController.milliQuantity(3_000_000) == "3k")
    }
}
