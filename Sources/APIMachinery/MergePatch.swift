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

extension MergePatch {
    /// The RFC 7386 patch that turns `original` into `modified` (what `kubectl patch --type=merge` sends for an edit):
    /// changed fields with their new values, removed fields as `null`, unchanged fields left out.
    public static func diff(from original: JSONValue, to modified: JSONValue) -> JSONValue {
        guard case .object(let before) = original, case .object(let after) = modified else { return modified }
        var patch: [String: JSONValue] = [:]
        for (key, value) in after where before[key] != value {
            if let old = before[key], old.objectValue != nil, value.objectValue != nil {
                patch[key] = diff(from: old, to: value)
            } else {
                patch[key] = value
            }
        }
        for key in before.keys where after[key] == nil {
            patch[key] = .null
        }
        return .object(patch)
    }
}
