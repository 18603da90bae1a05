/// A set of label requirements that must all hold (`app=web,tier in (fe,be),!canary`), as in
/// Kubernetes' `labels.Selector`.
///
/// Built from the `labelSelector` query parameter (`init(parsing:)`) or from a `metav1.LabelSelector` object
/// (`init(object:)`). An empty selector selects everything; the selector of a missing (`null`) object selects nothing.
public struct LabelSelector: Sendable, Hashable, CustomStringConvertible {
    /// The requirement operators of the selector syntax; raw values are Kubernetes' `selection.Operator` names.
    public enum Operator: String, Sendable, Hashable {
        case equals = "="
        case doubleEquals = "=="
        case notEquals = "!="
        case `in` = "in"
        case notIn = "notin"
        case exists = "exists"
        case doesNotExist = "!"
        case greaterThan = "gt"
        case lessThan = "lt"
    }

    /// One `key op values` clause.
    public struct Requirement: Sendable, Hashable, CustomStringConvertible {
        public var key: String
        public var `operator`: Operator
        /// Sorted and without duplicates for `in`/`notin`; exactly one for the comparison operators.
        public var values: [String]

        public init(key: String, operator: Operator, values: [String]) {
            self.key = key
            self.operator = `operator`
            self.values = `operator` == .in || `operator` == .notIn ? Array(Set(values)).sorted() : values
        }

        public func matches(_ labels: [String: String]) -> Bool {
            let value = labels[key]
            switch self.operator {
            case .equals, .doubleEquals, .in:
                guard let value else { return false }
                return values.contains(value)
            case .notEquals, .notIn:
                guard let value else { return true }
                return !values.contains(value)
            case .exists:
                return value != nil
            case .doesNotExist:
                return value == nil
            case .greaterThan, .lessThan:
                guard let value, let actual = Int64(value), values.count == 1, let bound = values.first.flatMap({ Int64($0) })
                else { return false }
                return self.operator == .greaterThan ? actual > bound : actual < bound
            }
        }

        /// Kubernetes' rendering: `a=b`, `a!=b`, `a in (x,y)`, `!a`, `a>1`.
        public var description: String {
            switch self.operator {
            case .exists: return key
            case .doesNotExist: return "!" + key
            case .equals: return key + "=" + values.joined(separator: ",")
            case .doubleEquals: return key + "==" + values.joined(separator: ",")
            case .notEquals: return key + "!=" + values.joined(separator: ",")
            case .greaterThan: return key + ">" + values.joined(separator: ",")
            case .lessThan: return key + "<" + values.joined(separator: ",")
            case .in: return key + " in (" + values.sorted().joined(separator: ",") + ")"
            case .notIn: return key + " notin (" + values.sorted().joined(separator: ",") + ")"
            }
        }
    }

    /// The requirements, ordered by key as Kubernetes orders them.
    public private(set) var requirements: [Requirement]
    /// True for the selector of a missing selector object, which matches no object at all.
    public private(set) var selectsNothing: Bool

    /// The empty selector, which selects everything.
    public init() {
        requirements = []
        selectsNothing = false
    }

    public init(requirements: [Requirement]) {
        self.requirements = LabelSelector.sortedByKey(requirements)
        selectsNothing = false
    }

    /// The selector of a service or replication controller: every label must be equal.
    public init(matchLabels: [String: String]) {
        self.init(requirements: matchLabels.map { Requirement(key: $0.key, operator: .equals, values: [$0.value]) })
    }

    /// A selector that matches nothing (Kubernetes' `labels.Nothing()`).
    public static var nothing: LabelSelector {
        var selector = LabelSelector()
        selector.selectsNothing = true
        return selector
    }

    /// True when the selector selects everything.
    public var isEmpty: Bool { requirements.isEmpty && !selectsNothing }

    public func matches(_ labels: [String: String]) -> Bool {
        if selectsNothing { return false }
        return requirements.allSatisfy { $0.matches(labels) }
    }

    /// The canonical selector string, e.g. for the SELECTOR column of `kubectl get -o wide`; empty selects all.
    public var description: String {
        requirements.map(\.description).joined(separator: ",")
    }

    /// Kubernetes sorts requirements by key only; a stable sort keeps the order of equal keys as written.
    static func sortedByKey(_ requirements: [Requirement]) -> [Requirement] {
        requirements.enumerated().sorted { lhs, rhs in
            lhs.element.key != rhs.element.key ? lhs.element.key < rhs.element.key : lhs.offset < rhs.offset
        }.map(\.element)
    }
}
