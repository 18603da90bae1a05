import APIMachinery
import KubeObjects
import Testing


/// The PV controller's choice of volume for a claim, as `findMatchingVolume` makes it.
@Suite("volume matching")
struct VolumeMatchingTests {
    static func volume(
        _ name: String, _ size: String, modes: [String] = ["ReadWriteOnce"], className: String = "", labels: [String: String] = [:],
        claim: (String, String, String?)? = nil, node: String? = nil, phase: String = "Available"
    ) -> PersistentVolume {
        var spec: JSONValue = [
            "capacity": ["storage": .string(size)], "accessModes": .array(modes.map(JSONValue.string)), "storageClassName": .string(className),
        ]
        if let (namespace, claimName, uid) = claim {
            spec["claimRef"] = ["namespace": .string(namespace), "name": .string(claimName), "uid": uid.map(JSONValue.string) ?? .null]
        }
        if let node {
            spec["nodeAffinity"] = [
                "required": ["nodeSelectorTerms": [["matchExpressions": [["key": "kubernetes.io/hostname", "operator": "In", "values": [.string(node)]]]]]]
            ]
        }
        return PersistentVolume([
            "metadata": ["name": .string(name), "labels": .object(labels.mapValues(JSONValue.string))], "spec": spec, "status": ["phase": .string(phase)],
        ])
    }

    static func claim(_ size: String, modes: [String] = ["ReadWriteOnce"], className: String? = "", selector: JSONValue? = nil) -> PersistentVolumeClaim {
        var spec: JSONValue = ["accessModes": .array(modes.map(JSONValue.string)), "resources": ["requests": ["storage": .string(size)]]]
        if let className { spec["storageClassName"] = .string(className) }
        if let selector { spec["selector"] = selector }
        return PersistentVolumeClaim(["metadata": ["name": "data", "namespace": "shop", "uid": "u-1"], "spec": spec])
    }

    static func best(_ claim: PersistentVolumeClaim, _ volumes: [PersistentVolume], node: String? = nil) -> String? {
        VolumeMatching.bestVolume(
            for: claim, among: volumes, node: node.map { VolumeMatching.NodeFacts(name: $0, labels: ["kubernetes.io/hostname": $0]) }
        )?.metadata.name
    }

    @Test func theSmallestVolumeThatFitsWins() {
        let volumes = [Self.volume("five", "5Gi"), Self.volume("two", "2Gi"), Self.volume("half", "512Mi")]
        #expect(Self.best(Self.claim("1Gi"), volumes) == "two")
        #expect(Self.best(Self.claim("5Gi"), volumes) == "five")
        #expect(Self.best(Self.claim("6Gi"), volumes) == nil)
    }

    @Test func classAccessModesAndSelectorMustAgree() {
        let volumes = [
            Self.volume("fast-rwo", "1Gi", className: "fast", labels: ["tier": "gold"]),
            Self.volume("plain-rwx", "1Gi", modes: ["ReadWriteOnce", "ReadWriteMany"], labels: ["tier": "silver"]),
        ]
        #expect(Self.best(Self.claim("1Gi", className: "fast"), volumes) == "fast-rwo")
        #expect(Self.best(Self.claim("1Gi"), volumes) == "plain-rwx", "a claim of no class takes only volumes of no class")
        #expect(Self.best(Self.claim("1Gi", modes: ["ReadWriteMany"], className: "fast"), volumes) == nil)
        #expect(Self.best(Self.claim("1Gi", selector: ["matchLabels": ["tier": "gold"]]), volumes) == nil)
        #expect(Self.best(Self.claim("1Gi", selector: ["matchExpressions": [["key": "tier", "operator": "In", "values": ["silver"]]]]), volumes) == "plain-rwx")
    }

    @Test func aVolumePreBoundToTheClaimComesFirstAndOthersClaimsAreLeftAlone() {
        let volumes = [
            Self.volume("small", "1Gi"),
            Self.volume("reserved", "9Gi", claim: ("shop", "data", nil)),
            Self.volume("theirs", "1Gi", claim: ("shop", "other", "u-2"), phase: "Bound"),
        ]
        #expect(Self.best(Self.claim("1Gi"), volumes) == "reserved")
        #expect(Self.best(Self.claim("1Gi"), [volumes[2]]) == nil)
        #expect(Self.best(Self.claim("1Gi"), [Self.volume("stale", "1Gi", claim: ("shop", "data", "u-old"))]) == nil, "a reference to an older claim of the name")
    }

    @Test func aClaimThatWaitedForItsPodTakesOnlyVolumesItsNodeReaches() {
        let volumes = [Self.volume("on-a", "1Gi", node: "node-a"), Self.volume("on-b", "2Gi", node: "node-b")]
        #expect(Self.best(Self.claim("1Gi"), volumes, node: "node-b") == "on-b")
        #expect(Self.best(Self.claim("1Gi"), volumes, node: "node-c") == nil)
        #expect(Self.best(Self.claim("1Gi"), volumes) == "on-a", "a claim that binds at once ignores nodes")
    }

    @Test func nodeSelectorTermsAreOredAndTheirRequirementsAnded() {
        let node = VolumeMatching.NodeFacts(name: "n1", labels: ["zone": "a", "disk": "ssd", "cores": "8"])
        let ssdInA: JSONValue = ["matchExpressions": [["key": "zone", "operator": "In", "values": ["a"]], ["key": "disk", "operator": "Exists"]]]
        let zoneB: JSONValue = ["matchExpressions": [["key": "zone", "operator": "In", "values": ["b"]]]]
        let byName: JSONValue = ["matchFields": [["key": "metadata.name", "operator": "In", "values": ["n1"]]]]
        #expect(VolumeMatching.matches([zoneB, ssdInA], node: node))
        #expect(!VolumeMatching.matches([zoneB], node: node))
        #expect(VolumeMatching.matches([byName], node: node))
        #expect(VolumeMatching.matches([["matchExpressions": [["key": "cores", "operator": "Gt", "values": ["4"]]]]], node: node))
        #expect(!VolumeMatching.matches([["matchExpressions": [["key": "gpu", "operator": "Exists"]]]], node: node))
        #expect(!VolumeMatching.matches([.emptyObject], node: node), "a term without requirements matches no node")
    }
}
