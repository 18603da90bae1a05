import APIMachinery
import PodSecurity
import Testing

/// Namespace labels read as Kubernetes reads them (api/helpers.go `PolicyToEvaluate`).
struct PodSecurityPolicyTests {
    struct LabelCase: Sendable, CustomTestStringConvertible {
        var name: String
        var labels: [String: String]
        var enforce: String
        var audit: String
        var warn: String
        var invalid: [String] = []
        var testDescription: String { name }
    }

    static let cases: [LabelCase] = [
        LabelCase(name: "no labels", labels: [:], enforce: "privileged:latest", audit: "privileged:latest", warn: "privileged:latest"),
        LabelCase(name: "other labels", labels: ["team": "a"], enforce: "privileged:latest", audit: "privileged:latest", warn: "privileged:latest"),
        LabelCase(
            name: "enforce sets warn too", labels: ["pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/enforce-version": "v1.25"],
            enforce: "baseline:v1.25", audit: "privileged:latest", warn: "baseline:v1.25"),
        LabelCase(
            name: "an explicit warn level wins",
            labels: ["pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/warn": "baseline"],
            enforce: "restricted:latest", audit: "privileged:latest", warn: "baseline:latest"),
        LabelCase(
            name: "a warn version alone keeps its version",
            labels: ["pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "v1.24", "pod-security.kubernetes.io/warn-version": "v1.30"],
            enforce: "restricted:v1.24", audit: "privileged:latest", warn: "restricted:v1.30"),
        LabelCase(
            name: "all three modes",
            labels: [
                "pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/audit": "restricted", "pod-security.kubernetes.io/audit-version": "v1.0",
                "pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/warn-version": "latest",
            ],
            enforce: "baseline:latest", audit: "restricted:v1.0", warn: "restricted:latest"),
        LabelCase(
            name: "an invalid enforce level fails closed and sets no warn level",
            labels: ["pod-security.kubernetes.io/enforce": "strict"], enforce: "restricted:latest", audit: "privileged:latest", warn: "privileged:latest",
            invalid: [#"metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted"#]),
        LabelCase(
            name: "invalid audit and warn levels fail open, invalid versions are latest",
            labels: [
                "pod-security.kubernetes.io/enforce-version": "v1.025", "pod-security.kubernetes.io/audit": "x", "pod-security.kubernetes.io/warn": "Baseline",
                "pod-security.kubernetes.io/warn-version": "1.25",
            ],
            enforce: "privileged:latest", audit: "privileged:latest", warn: "privileged:latest",
            invalid: [
                #"metadata.labels[pod-security.kubernetes.io/enforce-version]: Invalid value: "v1.025": must be "latest" or "v1.x""#,
                #"metadata.labels[pod-security.kubernetes.io/audit]: Invalid value: "x": must be one of privileged, baseline, restricted"#,
                #"metadata.labels[pod-security.kubernetes.io/warn]: Invalid value: "Baseline": must be one of privileged, baseline, restricted"#,
                #"metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: "1.25": must be "latest" or "v1.x""#,
            ]),
    ]

    @Test(arguments: cases) func labels(_ row: LabelCase) {
        let (policy, invalidLabels) = PodSecurityPolicy.parse(labels: row.labels)
        #expect(policy.enforce.description == row.enforce)
        #expect(policy.audit.description == row.audit)
        #expect(policy.warn.description == row.warn)
        #expect(invalidLabels.map(\.line) == row.invalid)
    }

    @Test(arguments: [
        ("latest", LevelVersion.Version.latest), ("v1.0", .v1(minor: 0)), ("v1.9", .v1(minor: 9)), ("v1.32", .v1(minor: 32)), ("v1.100", .v1(minor: 100)),
    ])
    func validVersions(_ text: String, _ version: LevelVersion.Version) throws {
        #expect(try LevelVersion.Version(label: text) == version)
        #expect(version.description == text)
    }

    @Test(arguments: ["", "v1", "v1.", "v1.01", "v2.0", "v1.x", "V1.2", "v1.2.3", "v1.-1", "v1.99999999999999999999", "Latest"])
    func invalidVersions(_ text: String) {
        #expect {
            try LevelVersion.Version(label: text)
        } throws: { error in
            (error as? PodSecurityLabelError)?.detail == #"must be "latest" or "v1.x""#
        }
    }

    @Test func levelsAndVersionsCompare() {
        #expect(PodSecurityLevel.privileged < .baseline && PodSecurityLevel.baseline < .restricted)
        #expect(LevelVersion.Version.v1(minor: 9) < .v1(minor: 10))
        #expect(LevelVersion.Version.v1(minor: 1000) < .latest)
        #expect(LevelVersion(.privileged, .v1(minor: 3)).isEquivalent(to: .privilegedLatest))
        #expect(!LevelVersion(.baseline, .v1(minor: 3)).isEquivalent(to: LevelVersion(.baseline)))
    }

    @Test func defaultsApplyToWhatLabelsLeaveOut() {
        let defaults = PodSecurityPolicy(enforce: LevelVersion(.baseline, .v1(minor: 30)), audit: LevelVersion(.restricted), warn: LevelVersion(.restricted))
        #expect(PodSecurityPolicy.parse(labels: [:], defaults: defaults).policy == defaults)
        let (policy, _) = PodSecurityPolicy.parse(labels: ["pod-security.kubernetes.io/enforce-version": "latest"], defaults: defaults)
        #expect(policy.enforce == LevelVersion(.baseline))
        #expect(policy.warn == LevelVersion(.restricted))
    }
}
