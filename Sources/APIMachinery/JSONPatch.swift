import Foundation

/// RFC 6902 JSON patch, with the error wording of the Go library Kubernetes uses (evanphx/json-patch).
public enum JSONPatch {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    public static func apply(_ patch: JSONValue, to target: JSONValue) throws(Failure) -> JSONValue {
        guard let operations = patch.arrayValue else {
            throw Failure(description: "json: cannot unmarshal \(patch.typeName) into Go value of type jsonpatch.Patch")
        }
        var document = target
        for operation in operations {
            guard let op = operation["op"]?.stringValue else {
                throw Failure(description: "Unexpected kind: unknown")
            }
            let path = try pointer(operation, "path")
            switch op {
            case "add":
                document = try add(try requireValue(operation, op), at: path, in: document)
            case "remove":
                document = try remove(at: path, in: document).document
            case "replace":
                _ = try get(path, in: document, op: "replace")
                document = try remove(at: path, in: document).document
                document = try add(try requireValue(operation, op), at: path, in: document)
            case "move":
                let from = try pointer(operation, "from")
                let (removed, value) = try remove(at: from, in: document)
                document = try add(value, at: path, in: removed)
            case "copy":
                let from = try pointer(operation, "from")
                document = try add(try get(from, in: document, op: "copy"), at: path, in: document)
            case "test":
                let actual = try? get(path, in: document, op: "test")
                let expected = operation["value"] ?? .null
                if actual != expected {
                    throw Failure(description: "testing value \(render(path)) failed: test failed")
                }
            default:
                throw Failure(description: "Unexpected kind: \(op)")
            }
        }
        return document
    }

    private static func render(_ path: [String]) -> String {
        path.isEmpty ? "" : "/" + path.map { $0.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1") }.joined(separator: "/")
    }

    private static func requireValue(_ operation: JSONValue, _ op: String) throws(Failure) -> JSONValue {
        guard let value = operation["value"] else { throw Failure(description: "missing value for \(op) operation") }
        return value
    }

    private static func pointer(_ operation: JSONValue, _ field: String) throws(Failure) -> [String] {
        guard let text = operation[field]?.stringValue else {
            throw Failure(description: "operation missing \(field) string")
        }
        if text.isEmpty { return [] }
        guard text.hasPrefix("/") else { throw Failure(description: "JSON pointer must be empty or start with a \"/\": \(text)") }
        return text.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    private static func get(_ path: [String], in document: JSONValue, op: String) throws(Failure) -> JSONValue {
        var current = document
        for token in path {
            switch current {
            case .object(let fields):
                guard let next = fields[token] else {
                    throw Failure(description: "\(op) operation does not apply: doc is missing path: \"\(render(path))\": missing value")
                }
                current = next
            case .array(let items):
                guard let index = Int(token), items.indices.contains(index) else {
                    throw Failure(description: "\(op) operation does not apply: doc is missing path: \"\(render(path))\": missing value")
                }
                current = items[index]
            default:
                throw Failure(description: "\(op) operation does not apply: doc is missing path: \"\(render(path))\": missing value")
            }
        }
        return current
    }

    private static func add(_ value: JSONValue, at path: [String], in document: JSONValue) throws(Failure) -> JSONValue {
        guard let last = path.last else { return value }
        let parentPath = Array(path.dropLast())
        var parent: JSONValue
        do {
            parent = try get(parentPath, in: document, op: "add")
        } catch {
            throw Failure(description: "add operation does not apply: doc is missing path: \"\(render(path))\": missing value")
        }
        switch parent {
        case .object(var fields):
            fields[last] = value
            parent = .object(fields)
        case .array(var items):
            if last == "-" {
                items.append(value)
            } else if let index = Int(last), index >= 0, index <= items.count {
                items.insert(value, at: index)
            } else {
                throw Failure(description: "add operation does not apply: doc is missing path: \"\(render(path))\": missing value")
            }
            parent = .array(items)
        default:
            throw Failure(description: "add operation does not apply: doc is missing path: \"\(render(path))\": missing value")
        }
        return try replace(parentPath, with: parent, in: document)
    }

    private static func remove(at path: [String], in document: JSONValue) throws(Failure) -> (document: JSONValue, value: JSONValue) {
        guard let last = path.last else { throw Failure(description: "remove operation does not apply: cannot remove the document root") }
        let parentPath = Array(path.dropLast())
        let missing = Failure(description: "remove operation does not apply: doc is missing path: \"\(render(path))\": missing value")
        guard var parent = try? get(parentPath, in: document, op: "remove") else { throw missing }
        let removed: JSONValue
        switch parent {
        case .object(var fields):
            guard let value = fields.removeValue(forKey: last) else { throw missing }
            removed = value
            parent = .object(fields)
        case .array(var items):
            guard let index = Int(last), items.indices.contains(index) else { throw missing }
            removed = items.remove(at: index)
            parent = .array(items)
        default:
            throw missing
        }
        return (try replace(parentPath, with: parent, in: document), removed)
    }

    private static func replace(_ path: [String], with value: JSONValue, in document: JSONValue) throws(Failure) -> JSONValue {
        guard let first = path.first else { return value }
        let rest = Array(path.dropFirst())
        switch document {
        case .object(var fields):
            fields[first] = try replace(rest, with: value, in: fields[first] ?? .null)
            return .object(fields)
        case .array(var items):
            guard let index = Int(first), items.indices.contains(index) else {
                throw Failure(description: "doc is missing path: \"\(render(path))\"")
            }
            items[index] = try replace(rest, with: value, in: items[index])
            return .array(items)
        default:
            throw Failure(description: "doc is missing path: \"\(render(path))\"")
        }
    }
}
