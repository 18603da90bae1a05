/// What a part of an nftables table declares: its sets and maps, its chains with their rules, and the elements of
/// sets and maps. Two of them are compared to write only what differs (`script(table:from:to:)`), so that a sync
/// after a small change is a small transaction however large the table.
public struct NFTableContents: Equatable, Sendable {
    /// A chain: its base-chain declaration (hook and priority) for those the kernel calls, and its rules.
    public struct Chain: Equatable, Sendable {
        public var declaration: String?
        public var rules: [String]

        public init(declaration: String? = nil, rules: [String]) {
            self.declaration = declaration
            self.rules = rules
        }
    }

    /// Set and map declarations by name (a map's type has ` : ` before its data type).
    public var collections: [String: String] = [:]
    public var chains: [String: Chain] = [:]
    /// Collection name → element key → verdict (empty for a set's element).
    public var elements: [String: [String: String]] = [:]

    public init() {}

    /// Adds what `other` declares; where both declare the same name, this one's stays.
    public mutating func merge(_ other: NFTableContents) {
        collections.merge(other.collections) { first, _ in first }
        chains.merge(other.chains) { first, _ in first }
        for (collection, entries) in other.elements { elements[collection, default: [:]].merge(entries) { first, _ in first } }
    }

    public var ruleCount: Int { chains.values.map(\.rules.count).reduce(0, +) + elements.values.map(\.count).reduce(0, +) }

    /// The commands that turn `old` into `new` in order: new sets and chains first, then the elements that go away,
    /// the chains whose rules changed, the elements that come, and last the chains and sets nothing refers to any
    /// more. Dynamic sets' elements are the kernel's own and never written.
    public static func script(table: String, from old: NFTableContents, to new: NFTableContents) -> String {
        var script = ["add table \(table)"]
        func isMap(_ declaration: String?) -> Bool { declaration?.contains(" : ") == true }
        for (name, declaration) in new.collections.sorted(by: { $0.key < $1.key }) where old.collections[name] == nil {
            script.append("add \(isMap(declaration) ? "map" : "set") \(table) \(name) { \(declaration) }")
        }
        for (name, chain) in new.chains.sorted(by: { $0.key < $1.key }) where old.chains[name] == nil {
            script.append("add chain \(table) \(name)" + (chain.declaration.map { " { \($0) }" } ?? ""))
        }
        for (name, entries) in old.elements.sorted(by: { $0.key < $1.key }) {
            let gone = entries.filter { new.elements[name]?[$0.key] != $0.value }.keys.sorted()
            if !gone.isEmpty { script.append("delete element \(table) \(name) { \(gone.joined(separator: ", ")) }") }
        }
        for (name, chain) in new.chains.sorted(by: { $0.key < $1.key }) where old.chains[name]?.rules != chain.rules {
            if old.chains[name] != nil { script.append("flush chain \(table) \(name)") }
            script += chain.rules.map { "add rule \(table) \(name) \($0)" }
        }
        for (name, entries) in new.elements.sorted(by: { $0.key < $1.key }) {
            let come = entries.filter { old.elements[name]?[$0.key] != $0.value }.sorted { $0.key < $1.key }
            guard !come.isEmpty else { continue }
            let elements = come.map { $0.value.isEmpty ? $0.key : "\($0.key) : \($0.value)" }
            script.append("add element \(table) \(name) { \(elements.joined(separator: ", ")) }")
        }
        let staleChains = old.chains.keys.filter { new.chains[$0] == nil }.sorted()
        script += staleChains.map { "flush chain \(table) \($0)" }
        script += staleChains.map { "delete chain \(table) \($0)" }
        script += old.collections.filter { new.collections[$0.key] == nil }.sorted(by: { $0.key < $1.key }).map {
            "delete \(isMap($0.value) ? "map" : "set") \(table) \($0.key)"
        }
        return script.joined(separator: "\n") + "\n"
    }
}
