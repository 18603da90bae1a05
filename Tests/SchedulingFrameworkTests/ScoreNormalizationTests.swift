import Testing

@testable import SchedulingFramework

/// The cases of Kubernetes' `TestDefaultNormalizeScore`.
struct ScoreNormalizationTests {
    private func normalized(_ scores: [Int64], reverse: Bool) -> [Int64] {
        var scores = scores
        ScoreNormalization.normalize(&scores, reverse: reverse)
        return scores
    }

    @Test func scalesToTheHighestScore() {
        #expect(normalized([1, 2, 3, 4], reverse: false) == [25, 50, 75, 100])
        #expect(normalized([1, 2, 3, 4], reverse: true) == [75, 50, 25, 0])
        #expect(normalized([1000, 10, 20, 30], reverse: false) == [100, 1, 2, 3])
        #expect(normalized([1000, 10, 20, 30], reverse: true) == [0, 99, 98, 97])
        #expect(normalized([1, 1, 1, 1], reverse: false) == [100, 100, 100, 100])
        #expect(normalized([1, 1, 1, 1], reverse: true) == [0, 0, 0, 0])
    }

    @Test func allZeroStaysZeroUnlessReversed() {
        #expect(normalized([0, 0, 0, 0], reverse: false) == [0, 0, 0, 0])
        #expect(normalized([0, 0, 0, 0], reverse: true) == [100, 100, 100, 100])
    }

    @Test func interPodAffinityScalesBetweenMinimumAndMaximum() throws {
        let cluster = snapshot(nodes: [TestNode("n1")])
        let pod = TestPod("p").affinity(
            "podAffinity", "preferredDuringSchedulingIgnoredDuringExecution",
            [["weight": 1, "podAffinityTerm": podAffinityTerm(["app": "x"], topologyKey: "kubernetes.io/hostname")]])
        var withMatch = cluster
        withMatch.addPod(TestPod("x").labels(["app": "x"]).node("n1").info)
        let scoring = try #require(InterPodAffinity.Scoring(pod: pod.info, snapshot: withMatch))
        var scores: [Int64] = [-5, 0, 15]
        scoring.normalize(&scores)
        #expect(scores == [0, 25, 100])
        var equal: [Int64] = [3, 3]
        scoring.normalize(&equal)
        #expect(equal == [0, 0])
    }
}
