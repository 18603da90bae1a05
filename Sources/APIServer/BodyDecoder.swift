import APIMachinery
import Foundation
import KubeProtobuf
import Yams

/// Turns a request body in any content type Kubernetes accepts into one JSON object.
enum BodyDecoder {
    static func decode(_ request: APIRequest) throws(APIError) -> JSONValue {
        if let decoded = request.decodedBody { return decoded }
        let body = request.body
        guard !body.isEmpty else {
            throw APIError.badRequest("the request body is empty: a JSON, YAML or protobuf object is required")
        }
        switch request.contentType {
        case "application/vnd.kubernetes.protobuf":
            do {
                return try KubeProtobuf.decodeObject(body)
            } catch {
                throw APIError.badRequest("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf: \(error)")
            }
        case "application/yaml", "application/apply-patch+yaml":
            return try decodeYAML(body)
        case "", "application/json", "*/*", "application/merge-patch+json", "application/strategic-merge-patch+json",
            "application/json-patch+json":
            return try decodeJSON(body)
        default:
            throw APIError.unsupportedMediaType(request.contentType)
        }
    }

    static func decodeJSON(_ body: [UInt8]) throws(APIError) -> JSONValue {
        do {
            return try JSONValue.parse(body)
        } catch {
            throw APIError.badRequest("the body of the request could not be decoded as JSON: \(error.message) (at byte \(error.offset))")
        }
    }

    static func decodeYAML(_ body: [UInt8]) throws(APIError) -> JSONValue {
        guard let text = String(validating: body, as: UTF8.self) else {
            throw APIError.badRequest("the YAML body of the request is not valid UTF-8")
        }
        do {
            let parser = try Parser(yaml: text)
            guard let first = try parser.nextRoot() else {
                throw APIError.badRequest("the YAML body of the request holds no object")
            }
            if try parser.nextRoot() != nil {
                throw APIError.badRequest("the YAML body of the request holds more than one object; send one object per request")
            }
            return try jsonValue(fromYAML: first.any, path: "")
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.badRequest("error converting YAML to JSON: \(error)")
        }
    }

    private static func jsonValue(fromYAML value: Any?, path: String) throws(APIError) -> JSONValue {
        switch value {
        case nil, is NSNull: return .null
        case let flag as Bool: return .bool(flag)
        case let number as Int: return .integer(Int64(number))
        case let number as Double: return .double(number)
        case let text as String: return .string(text)
        case let date as Date:
            // YAML timestamps stay strings in Kubernetes' YAML-to-JSON conversion.
            return .string(ISO8601DateFormatter().string(from: date))
        case let data as Data: return .string(data.base64EncodedString())
        case let items as [Any?]:
            var converted: [JSONValue] = []
            for (index, item) in items.enumerated() {
                converted.append(try jsonValue(fromYAML: item, path: "\(path)[\(index)]"))
            }
            return .array(converted)
        case let fields as [AnyHashable: Any?]:
            var converted: [String: JSONValue] = [:]
            for (key, field) in fields {
                guard let name = key.base as? String ?? (key.base as? CustomStringConvertible)?.description else {
                    throw APIError.badRequest("error converting YAML to JSON: unsupported map key at \(path)")
                }
                converted[name] = try jsonValue(fromYAML: field, path: "\(path).\(name)")
            }
            return .object(converted)
        default:
            return .string("\(value ?? "")")
        }
    }
}
