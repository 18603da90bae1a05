/// A profile at a version of the Pod Security Standards, written `restricted:latest` or `baseline:v1.25`
/// (`api.LevelVersion`): the checks as that Kubernetes release defined them.
public struct LevelVersion: Sendable, Hashable, CustomStringConvertible {
    public var level: PodSecurityLevel
    public var version: Version

    public init(_ level: PodSecurityLevel, _ version: Version = .latest) {
        self.level = level
        self.version = version
    }

    public static let privilegedLatest = LevelVersion(.privileged)

    public var description: String { "\(level.rawValue):\(version)" }

    /// Whether both admit exactly the same pods: every privileged version does, otherwise level and version must match.
    public func isEquivalent(to other: LevelVersion) -> Bool {
        (level == .privileged && other.level == .privileged) || self == other
    }

    /// A version of the standards: `latest`, or the checks of Kubernetes 1.N. A version newer than the newest that
    /// changed a check (or `latest`) means the checks of Kubernetes 1.32, which Skiff implements.
    public enum Version: Sendable, Hashable, Comparable, CustomStringConvertible {
        case latest
        case v1(minor: Int)

        /// Parses a `…-version` label's value: `latest` or `v1.N`, with no leading zeros.
        public init(label value: String) throws(PodSecurityLabelError) {
            if value == "latest" {
                self = .latest
                return
            }
            let digits = value.dropFirst("v1.".count)
            guard value.hasPrefix("v1."), let first = digits.first, first != "0" || digits.count == 1,
                digits.allSatisfy({ $0.isASCII && $0.isNumber }), let minor = Int(digits)
            else {
                throw PodSecurityLabelError(detail: #"must be "latest" or "v1.x""#)
            }
            self = .v1(minor: minor)
        }

        public var description: String {
            switch self {
            case .latest: "latest"
            case .v1(let minor): "v1.\(minor)"
            }
        }

        /// `latest` is newer than every numbered version, even future ones.
        public static func < (lhs: Version, rhs: Version) -> Bool {
            switch (lhs, rhs) {
            case (.latest, _): false
            case (.v1, .latest): true
            case (.v1(let left), .v1(let right)): left < right
            }
        }

        /// The Kubernetes 1.N whose checks apply: versions past the newest check change evaluate as that one.
        var checksMinor: Int {
            switch self {
            case .latest: PodSecurityStandards.newestChecksMinor
            case .v1(let minor): min(minor, PodSecurityStandards.newestChecksMinor)
            }
        }
    }
}
