import APIMachinery
import CRI

/// The node's `status.images` as the kubelet reports them (`nodestatus.Images`): the runtime's images largest first,
/// at most 50, each named by its digests and then its tags, at most five names. The scheduler's ImageLocality score
/// reads them.
enum NodeImages {
    static let maximumImages = 50
    static let maximumNamesPerImage = 5

    static func status(_ images: [Runtime_V1_Image]) -> [JSONValue] {
        // Ties keep the runtime's order, so that equal lists give equal statuses and no needless update.
        let sorted = images.enumerated().sorted { ($0.element.size, $1.offset) > ($1.element.size, $0.offset) }.map(\.element)
        return sorted.prefix(maximumImages).map { image in
            let names = (image.repoDigests + image.repoTags).prefix(maximumNamesPerImage)
            return ["names": .array(names.map { .string($0) }), "sizeBytes": .integer(Int64(clamping: image.size))]
        }
    }
}
