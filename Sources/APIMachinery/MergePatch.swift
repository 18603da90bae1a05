/// RFC 7386 JSON merge patch: objects merge recursively, `null` deletes a field, everything else replaces.
public enum MergePatch {
    public static func apply(_ patch: JSONValue, to target: JSONValue) -> JSONValue {
        guard case .object(let patchFields) = patch else { return patch }
        var result = target.objectValue ?? [:]
        for (key, value) in patchFields {
            if value.isNull {
                result.removeValue(forKey: key)
            } else {
                result[key] = apply(value, to: result[key] ?? .null)
            }
        }
        return .object(result)
    }
}
