import APIMachinery
import Foundation
import Testing

@testable import NodeAgent

@Suite("volume files")
struct VolumeFilesTests {
    private func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "skiff-volume-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private func read(_ path: String) -> String? {
        (try? Data(contentsOf: URL(fileURLWithPath: path))).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func anUpdateReplacesEveryFileAtOnceUnderTheSameDirectory() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let volume = "\(root)/config"
        #expect(try AtomicVolumeWriter.write([.init(path: "a", data: Data("1".utf8), mode: 0o644), .init(path: "nested/b", data: Data("2".utf8), mode: 0o600)], to: volume))
        #expect(read("\(volume)/a") == "1" && read("\(volume)/nested/b") == "2")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "\(volume)/a") == "..data/a", "keys are links into ..data")
        let firstData = try FileManager.default.destinationOfSymbolicLink(atPath: "\(volume)/..data")

        #expect(try !AtomicVolumeWriter.write([.init(path: "nested/b", data: Data("2".utf8), mode: 0o600), .init(path: "a", data: Data("1".utf8), mode: 0o644)], to: volume), "unchanged content is not rewritten")

        #expect(try AtomicVolumeWriter.write([.init(path: "a", data: Data("changed".utf8), mode: 0o644)], to: volume))
        #expect(read("\(volume)/a") == "changed")
        #expect(!FileManager.default.fileExists(atPath: "\(volume)/nested"), "a key that went away is gone")
        #expect(!FileManager.default.fileExists(atPath: "\(volume)/\(firstData)"), "the previous version is removed")
        let mode = try FileManager.default.attributesOfItem(atPath: "\(volume)/..data/a")[.posixPermissions] as? NSNumber
        #expect(mode?.int64Value == 0o644)
    }

    @Test func downwardFilesFormatLabelsAsGoQuotedLinesSortedByKey() {
        let pod: JSONValue = [
            "metadata": ["name": "web-1", "namespace": "shop", "labels": ["tier": "front", "app": "web"], "annotations": ["note": "say \"hi\"\nbye"]]
        ]
        let downward = ContainerEnvironment(pod: pod, podIPs: [], hostIPs: [], nodeAllocatable: [:], configMap: { _ in nil }, secret: { _ in nil })
        #expect(VolumeMounts.downwardField("metadata.labels", downward: downward) == "app=\"web\"\ntier=\"front\"")
        #expect(VolumeMounts.downwardField("metadata.annotations", downward: downward) == #"note="say \"hi\"\nbye""#)
        #expect(VolumeMounts.downwardField("metadata.name", downward: downward) == "web-1")
    }

    @Test func aProjectedServiceAccountTokenIsWrittenAtItsPathWithTheVolumesMode() async throws {
        let pod: JSONValue = ["metadata": ["name": "web-1", "namespace": "shop"]]
        let downward = ContainerEnvironment(pod: pod, podIPs: [], hostIPs: [], nodeAllocatable: [:], configMap: { _ in nil }, secret: { _ in nil })
        let volume: JSONValue = [
            "name": "vault-token",
            "projected": [
                "defaultMode": 0o440,
                "sources": [["serviceAccountToken": ["path": "vault/token", "audience": "vault", "expirationSeconds": 7200]]],
            ],
        ]
        func objects(token: @escaping @Sendable (String?, Int64) throws(APIError) -> String) -> VolumeObjects {
            VolumeObjects(
                configMap: { _ in nil }, secret: { _ in nil }, persistentVolumeClaim: { _ in nil }, persistentVolume: { _ in nil },
                serviceAccountToken: { audience, seconds throws(APIError) in try token(audience, seconds) })
        }
        let written = try await VolumeMounts.filePayload(
            of: volume, podDirectory: "/pods/uid", downward: downward,
            objects: objects { audience, seconds throws(APIError) in "token-for-\(audience ?? "api")-\(seconds)" })
        #expect(written?.0 == "/pods/uid/volumes/kubernetes.io~projected/vault-token")
        #expect(written?.1.map(\.path) == ["vault/token"])
        #expect(written?.1.first.map { String(decoding: $0.data, as: UTF8.self) } == "token-for-vault-7200")
        #expect(written?.1.first?.mode == 0o440)

        await #expect(throws: ContainerConfigError.self) {
            try await VolumeMounts.filePayload(
                of: volume, podDirectory: "/pods/uid", downward: downward,
                objects: objects { _, _ throws(APIError) in throw APIError.notFound(.init(group: "", resource: "serviceaccounts"), name: "x") })
        }
    }

    @Test func itemsPickKeysAndAMissingKeyFailsUnlessOptional() throws {
        let data = ["game.properties": Data("lives=3".utf8), "ui.properties": Data("color=red".utf8)]
        let items: JSONValue = [["key": "game.properties", "path": "conf/game", "mode": 0o400]]
        let files = try VolumeMounts.selected(data, items: items, mode: 0o644, kind: "configmap", optional: false)
        #expect(files == [.init(path: "conf/game", data: Data("lives=3".utf8), mode: 0o400)])
        #expect(try VolumeMounts.selected(data, items: nil, mode: 0o644, kind: "configmap", optional: false).count == 2)
        let missing: JSONValue = [["key": "nope", "path": "x"]]
        #expect(throws: ContainerConfigError(message: "configmap references non-existent config key: nope")) {
            try VolumeMounts.selected(data, items: missing, mode: 0o644, kind: "configmap", optional: false)
        }
        #expect(try VolumeMounts.selected(data, items: missing, mode: 0o644, kind: "configmap", optional: true).isEmpty)
    }
}
