import APIMachinery
import PodSecurity
import Testing

/// One row of a check's table: a pod, the check, and what Kubernetes answers (nil reason: the pod passes).
struct CheckCase: Sendable, CustomTestStringConvertible {
    var name: String
    var pod: JSONValue
    var check: String
    var level: LevelVersion
    var reason: String?
    var detail: String

    init(_ name: String, _ pod: JSONValue, check: String, at level: LevelVersion = LevelVersion(.baseline), fails reason: String? = nil, _ detail: String = "") {
        self.name = name
        self.pod = pod
        self.check = check
        self.level = level
        self.reason = reason
        self.detail = detail
    }

    var testDescription: String { "\(check): \(name)" }

    func verify() {
        let found = PodSecurityStandards.evaluate(pod, at: level).filter { $0.check == check }
        if let reason {
            #expect(found == [PodSecurityViolation(check: check, reason: reason, detail: detail)])
        } else {
            #expect(found == [])
        }
    }
}
