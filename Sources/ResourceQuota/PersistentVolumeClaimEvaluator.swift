import APIMachinery
import Foundation
import KubeObjects

/// Quota for claims (`persistent_volume_claims.go`): the count of claims and the storage they request, in total
/// and per storage class (`gold.storageclass.storage.k8s.io/requests.storage`).
public struct PersistentVolumeClaimEvaluator: UsageEvaluator {
    public init() {}

    public var groupResource: GroupResource { GroupResource(group: "", resource: "persistentvolumeclaims") }

    static let objectCountName = ObjectCountEvaluator.quotaName(for: GroupResource(group: "", resource: "persistentvolumeclaims"))
    static let claimResources = ["persistentvolumeclaims", "requests.storage"]
    static let storageClassSuffix = ".storageclass.storage.k8s.io/"

    /// Creates and updates: an update may ask for more storage.
    public func handles(_ operation: QuotaOperation, subresource: String) -> Bool { subresource.isEmpty }

    public func matchingResources(_ names: Set<String>) -> Set<String> {
        names.filter { name in
            name == Self.objectCountName || Self.claimResources.contains(name)
                || Self.claimResources.contains { name.hasSuffix(Self.storageClassSuffix + $0) }
        }
    }

    public func usage(of object: JSONValue, now: Date) -> ResourceList {
        let claim = PersistentVolumeClaim(object)
        let className = claim.className ?? ""
        var usage = ResourceList([Self.objectCountName: Quantity(1), "persistentvolumeclaims": Quantity(1)])
        if !className.isEmpty { usage[className + Self.storageClassSuffix + "persistentvolumeclaims"] = Quantity(1) }
        if let storage = Self.chargedStorage(claim) {
            usage["requests.storage"] = storage
            if !className.isEmpty { usage[className + Self.storageClassSuffix + "requests.storage"] = storage }
        }
        return usage
    }

    /// The request in whole bytes, or what the volume was already expanded to when that is more: a failed
    /// expansion the owner backs out of keeps its allocation until it is recovered (RecoverVolumeExpansionFailure).
    static func chargedStorage(_ claim: PersistentVolumeClaim) -> Quantity? {
        guard let requested = claim.requestedStorage?.roundedUpToInteger else { return nil }
        if let allocated = claim.json[path: "status", "allocatedResources", "storage"].flatMap(Quantity.init(json:)), allocated > requested {
            return allocated.roundedUpToInteger
        }
        return requested
    }
}
