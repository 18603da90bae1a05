import APIMachinery

/// What Kubernetes' strict JSON decoder (sigs.k8s.io/json) reports for a built-in kind, worded the same way.
extension APISchema {
    /// Fields the kind's schema does not have, e.g. `unknown field "spec.template.spec.containers[0].imagePullPolic"`.
    /// Fields typed as free-form JSON (`RawExtension`, `FieldsV1`, ...) accept anything. Empty for an unknown kind.
    /// Duplicate keys cannot be seen in a parsed `JSONValue`; `duplicateFields(in:)` finds them in the raw bytes.
    public func unknownFields(in object: JSONValue, group: String, version: String, kind: String) -> [String] {
        guard let root = definition(group: group, version: version, kind: kind) else { return [] }
        var problems: [String] = []
        collectUnknownFields(in: object, type: .reference(root.name), path: "", into: &problems)
        return problems
    }

    /// Values of the wrong JSON type, worded like Go's `encoding/json`:
    /// `json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32`,
    /// plus the errors of Kubernetes' own decoders (quantities, times, int-or-strings, base64 bytes).
    /// Kubernetes stops at the first; all are returned in field order. Empty for an unknown kind.
    public func typeErrors(in object: JSONValue, group: String, version: String, kind: String) -> [String] {
        guard let root = definition(group: group, version: version, kind: kind) else { return [] }
        var problems: [String] = []
        var context = DecodeContext(structName: nil, fieldStack: [])
        collectTypeErrors(in: object, type: .reference(root.name), context: &context, into: &problems)
        return problems
    }

    private func collectUnknownFields(in value: JSONValue, type: SchemaType, path: String, into problems: inout [String]) {
        switch (type, value) {
        case (.reference(let name), .object(let fields)):
            guard let definition = definition(named: name) else { return }
            for key in fields.keys.sorted() {
                let childPath = path.isEmpty ? key : "\(path).\(key)"
                guard let property = definition.properties[key] else {
                    problems.append("unknown field \"\(childPath)\"")
                    continue
                }
                if let child = fields[key] {
                    collectUnknownFields(in: child, type: property.type, path: childPath, into: &problems)
                }
            }
        case (.array(let element), .array(let items)):
            for (index, item) in items.enumerated() {
                collectUnknownFields(in: item, type: element, path: "\(path)[\(index)]", into: &problems)
            }
        case (.map(let element), .object(let fields)):
            for key in fields.keys.sorted() {
                if let child = fields[key] {
                    collectUnknownFields(in: child, type: element, path: "\(path).\(key)", into: &problems)
                }
            }
        default:
            return
        }
    }

    /// Go's `errorContext`: the innermost struct and the JSON names of the struct fields leading to the value.
    private struct DecodeContext {
        var structName: String?
        var fieldStack: [String]
    }

    private func collectTypeErrors(
        in value: JSONValue, type: SchemaType, context: inout DecodeContext, into problems: inout [String]
    ) {
        // Go leaves a field alone when the JSON says null, whatever its type.
        if value.isNull { return }
        func mismatch(_ jsonValue: String) {
            problems.append(Self.unmarshalError(value: jsonValue, goType: goTypeName(of: type), context: context))
        }
        switch type {
        case .any:
            return
        case .string:
            if value.stringValue == nil { mismatch(value.typeName) }
        case .boolean:
            if value.boolValue == nil { mismatch(value.typeName) }
        case .number:
            if value.doubleValue == nil { mismatch(value.typeName) }
        case .int32, .int64:
            guard value.doubleValue != nil else { return mismatch(value.typeName) }
            let range: ClosedRange<Int64> = type == .int32 ? Int64(Int32.min)...Int64(Int32.max) : Int64.min...Int64.max
            guard let number = value.integerValue, range.contains(number) else {
                return mismatch("number \(Self.numberText(value))")
            }
        case .bytes:
            guard let text = value.stringValue else { return mismatch(value.typeName) }
            if let offset = Self.invalidBase64Offset(text) {
                problems.append("illegal base64 data at input byte \(offset)")
            }
        case .quantity:
            let text = value.stringValue ?? (value.doubleValue != nil ? Self.numberText(value) : value.typeName)
            if let problem = QuantitySyntax.problem(in: text.trimmingSpaces) { problems.append(problem) }
        case .time, .microTime:
            guard let text = value.stringValue else {
                return problems.append("json: cannot unmarshal \(value.typeName) into Go value of type string")
            }
            if let problem = RFC3339Syntax.problem(in: text) { problems.append(problem) }
        case .intOrString:
            if value.stringValue != nil { return }
            let jsonValue = value.doubleValue == nil ? value.typeName : "number \(Self.numberText(value))"
            if let number = value.integerValue, Int64(Int32.min)...Int64(Int32.max) ~= number { return }
            problems.append("json: cannot unmarshal \(jsonValue) into Go value of type int32")
        case .array(let element):
            guard let items = value.arrayValue else { return mismatch(value.typeName) }
            for item in items {
                collectTypeErrors(in: item, type: element, context: &context, into: &problems)
            }
        case .map(let element):
            guard let fields = value.objectValue else { return mismatch(value.typeName) }
            for key in fields.keys.sorted() {
                if let child = fields[key] {
                    collectTypeErrors(in: child, type: element, context: &context, into: &problems)
                }
            }
        case .reference(let name):
            guard let definition = definition(named: name) else { return }
            guard let fields = value.objectValue else { return mismatch(value.typeName) }
            for key in fields.keys.sorted() {
                guard let property = definition.properties[key], let child = fields[key] else { continue }
                let saved = context
                context.structName = definition.goStructName
                context.fieldStack.append(key)
                collectTypeErrors(in: child, type: property.type, context: &context, into: &problems)
                context = saved
            }
        }
    }

    private static func unmarshalError(value: String, goType: String, context: DecodeContext) -> String {
        guard let structName = context.structName else {
            return "json: cannot unmarshal \(value) into Go value of type \(goType)"
        }
        let field = context.fieldStack.joined(separator: ".")
        return "json: cannot unmarshal \(value) into Go struct field \(structName).\(field) of type \(goType)"
    }

    /// The Go type name `encoding/json` prints for a field of this type.
    func goTypeName(of type: SchemaType) -> String {
        switch type {
        case .string: return "string"
        case .bytes: return "[]uint8"
        case .int32: return "int32"
        case .int64: return "int64"
        case .number: return "float64"
        case .boolean: return "bool"
        case .quantity: return "resource.Quantity"
        case .time: return "v1.Time"
        case .microTime: return "v1.MicroTime"
        case .intOrString: return "intstr.IntOrString"
        case .any: return "interface {}"
        case .reference(let name): return definition(named: name)?.goTypeName ?? name
        case .array(let element): return "[]" + goTypeName(of: element)
        case .map(let element): return "map[string]" + goTypeName(of: element)
        }
    }

    private static func numberText(_ value: JSONValue) -> String {
        switch value {
        case .integer(let number): return String(number)
        case .double(let number): return String(number)
        default: return value.typeName
        }
    }

    /// Where Go's `base64.StdEncoding` gives up on `text`, or `nil` when it decodes.
    static func invalidBase64Offset(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        var quantumStart = 0
        var inQuantum = 0
        var padding = 0
        for (index, byte) in bytes.enumerated() {
            // Go's decoder skips line breaks anywhere.
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") { continue }
            if padding > 0 {
                guard byte == UInt8(ascii: "="), inQuantum + padding < 4 else { return index }
                padding += 1
                continue
            }
            if byte == UInt8(ascii: "=") {
                guard inQuantum >= 2 else { return index }
                padding = 1
                continue
            }
            guard Self.isBase64Letter(byte) else { return index }
            if inQuantum == 0 { quantumStart = index }
            inQuantum = (inQuantum + 1) % 4
        }
        if padding > 0 { return inQuantum + padding == 4 ? nil : bytes.count }
        return inQuantum == 0 ? nil : quantumStart
    }

    private static func isBase64Letter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"):
            return true
        default:
            return false
        }
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
