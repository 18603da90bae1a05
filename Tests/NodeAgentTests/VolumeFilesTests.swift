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
