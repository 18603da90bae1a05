import APIMachinery
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The OpenAPI documents a server publishes: `/openapi/v2` and the per-group-version `/openapi/v3` documents.
///
/// Creating it costs nothing. The first v3 request parses the bundled 4 MB spec once, builds every group-version
/// document, keeps only their bytes (or writes them to `cacheDirectory`) and lets the parsed spec go, so that an
/// idle server stays small.
public final class OpenAPIDocuments: Sendable {
    /// Bump when the produced documents change shape, so that clients' caches (keyed by the hash) are refreshed.
    private static let formatVersion = "skiff-openapi-v3-1"

    private struct Built: Sendable {
        /// Index path (`apis/apps/v1`) to the document's digest.
        var digests: [String: String]
        /// Index path to the document bytes, when there is no cache directory.
        var documents: [String: [UInt8]]
        var directory: URL?
    }

    private let cacheDirectory: URL?
    private let specURL: URL?
    private let built = Mutex<Built?>(nil)
    /// The protobuf form of the v2 document, when it is kept in memory (there is no cache directory).
    private let v2Protobuf = Mutex<[UInt8]?>(nil)

    /// - Parameters:
    ///   - cacheDirectory: where to keep the built v3 documents across restarts instead of in memory.
    ///   - specURL: the OpenAPI v2 spec; the bundled `kubernetes-openapi-v2.json` by default.
    public init(cacheDirectory: URL? = nil, specURL: URL? = nil) {
        self.cacheDirectory = cacheDirectory
        self.specURL = specURL ?? Bundle.module.url(forResource: "kubernetes-openapi-v2", withExtension: "json")
    }

    /// `GET /openapi/v2` as JSON: the bundled spec.
    public func v2Document() -> [UInt8] {
        readSpec() ?? Array("{}".utf8)
    }

    /// `GET /openapi/v2` as protobuf (gnostic's `openapi.v2.Document`), which kubectl asks for. Encoded from the
    /// bundled spec on first request (about 0.1 s) and kept in `cacheDirectory`, or in memory without one.
    public func v2ProtobufDocument() -> [UInt8] {
        v2Protobuf.withLock { cached in
            if let cached { return cached }
            guard let spec = readSpec() else { return [] }
            let file = cacheDirectory?.appendingPathComponent("openapi-v2-" + ContentDigest.hex(spec, seed: Self.formatVersion) + ".pb")
            if let file, let data = try? Data(contentsOf: file) { return [UInt8](data) }
            guard let parsed = try? JSONValue.parse(spec) else { return [] }
            let bytes = OpenAPIv2Protobuf.encode(parsed)
            defer { Self.returnFreedMemory() }
            if let directory = cacheDirectory, let file,
                (try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)) != nil,
                (try? Data(bytes).write(to: file)) != nil
            {
                return bytes
            }
            cached = bytes
            return bytes
        }
    }

    /// `GET /openapi/v3`: `{"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=…"},…}}`.
    public func v3Index() -> JSONValue {
        let digests = withBuilt { $0.digests }
        var paths: [String: JSONValue] = [:]
        for (path, digest) in digests {
            paths[path] = ["serverRelativeURL": .string("/openapi/v3/\(path)?hash=\(digest)")]
        }
        return ["paths": .object(paths)]
    }

    /// `GET /openapi/v3/<path>` for `api/v1`, `apis/apps/v1`, …; `nil` for a path the index does not list.
    public func v3Document(path: String) -> [UInt8]? {
        let trimmed = path.hasPrefix("/") ? String(path.dropFirst()) : path
        let (bytes, file) = withBuilt { built -> ([UInt8]?, URL?) in
            guard let digest = built.digests[trimmed] else { return (nil, nil) }
            if let bytes = built.documents[trimmed] { return (bytes, nil) }
            return (nil, built.directory.map { Self.documentFile(in: $0, path: trimmed, digest: digest) })
        }
        if let bytes { return bytes }
        guard let file, let data = try? Data(contentsOf: file) else { return nil }
        return [UInt8](data)
    }

    private func withBuilt<Result>(_ body: (Built) -> Result) -> Result {
        built.withLock { state in
            if let state { return body(state) }
            let fresh = build()
            state = fresh
            return body(fresh)
        }
    }

    private func readSpec() -> [UInt8]? {
        guard let specURL, let data = try? Data(contentsOf: specURL) else { return nil }
        return [UInt8](data)
    }

    private func build() -> Built {
        guard let spec = readSpec() else { return Built(digests: [:], documents: [:], directory: nil) }
        let directory = cacheDirectory?.appendingPathComponent(
            "openapi-v3-" + ContentDigest.hex(spec, seed: Self.formatVersion), isDirectory: true
        )
        if let directory, let cached = Self.loadIndex(in: directory) {
            return Built(digests: cached, documents: [:], directory: directory)
        }
        let result = convert(spec: spec, directory: directory)
        Self.returnFreedMemory()
        return result
    }

    private func convert(spec: [UInt8], directory: URL?) -> Built {
        guard let parsed = try? JSONValue.parse(spec) else { return Built(digests: [:], documents: [:], directory: nil) }
        let converter = OpenAPIV3Converter(spec: parsed)
        var digests: [String: String] = [:]
        var documents: [String: [UInt8]] = [:]
        var directoryUsable = false
        if let directory {
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                directoryUsable = true
            } catch {
                directoryUsable = false
            }
        }
        for groupVersion in ResourceCatalog.builtIn.groupVersions where converter.hasPaths(for: groupVersion) {
            let path = OpenAPIV3Converter.indexPath(groupVersion)
            let bytes = converter.document(for: groupVersion).serialized()
            let digest = ContentDigest.hex(bytes)
            digests[path] = digest
            if directoryUsable, let directory {
                let file = Self.documentFile(in: directory, path: path, digest: digest)
                directoryUsable = (try? Data(bytes).write(to: file)) != nil
            }
            documents[path] = bytes
        }
        guard directoryUsable, let directory, Self.saveIndex(digests, in: directory) else {
            return Built(digests: digests, documents: documents, directory: nil)
        }
        return Built(digests: digests, documents: [:], directory: directory)
    }

    private static func documentFile(in directory: URL, path: String, digest: String) -> URL {
        directory.appendingPathComponent(path.replacingOccurrences(of: "/", with: "_") + "-" + digest + ".json")
    }

    private static func loadIndex(in directory: URL) -> [String: String]? {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("index.json")),
            let index = try? JSONValue.parse([UInt8](data)), let fields = index.objectValue
        else { return nil }
        var digests: [String: String] = [:]
        for (path, digest) in fields {
            guard let digest = digest.stringValue,
                FileManager.default.fileExists(atPath: documentFile(in: directory, path: path, digest: digest).path)
            else { return nil }
            digests[path] = digest
        }
        return digests.isEmpty ? nil : digests
    }

    private static func saveIndex(_ digests: [String: String], in directory: URL) -> Bool {
        let index = JSONValue.object(digests.mapValues { .string($0) })
        return (try? Data(index.serialized()).write(to: directory.appendingPathComponent("index.json"))) != nil
    }

    /// The parsed spec is tens of megabytes of small allocations; hand the freed pages back to the system.
    /// glibc's `malloc_trim` is not in Swift's Glibc module map, so it is looked up at run time.
    private static func returnFreedMemory() {
        #if canImport(Glibc)
        typealias MallocTrim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(nil, "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
        #endif
    }
}
