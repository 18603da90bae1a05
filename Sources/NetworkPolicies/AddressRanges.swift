import APIMachinery

/// The addresses of `ipBlock` peers as disjoint ranges: each block without its `except` ranges, and overlapping or
/// adjacent blocks joined, since an nftables interval set refuses overlapping elements.
struct AddressRanges: Equatable {
    private(set) var ranges: [ClosedRange<UInt32>] = []

    init(_ blocks: [(cidr: IPv4CIDR, except: [IPv4CIDR])]) {
        var pieces: [ClosedRange<UInt32>] = []
        for (cidr, except) in blocks {
            var remaining = [Self.range(cidr)]
            for hole in except.map(Self.range) {
                remaining = remaining.flatMap { piece -> [ClosedRange<UInt32>] in
                    guard piece.overlaps(hole) else { return [piece] }
                    var left: [ClosedRange<UInt32>] = []
                    if hole.lowerBound > piece.lowerBound { left.append(piece.lowerBound...(hole.lowerBound - 1)) }
                    if hole.upperBound < piece.upperBound { left.append((hole.upperBound + 1)...piece.upperBound) }
                    return left
                }
            }
            pieces += remaining
        }
        for piece in pieces.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = ranges.last, last.upperBound == UInt32.max || piece.lowerBound <= last.upperBound + 1 {
                ranges[ranges.count - 1] = last.lowerBound...max(last.upperBound, piece.upperBound)
            } else {
                ranges.append(piece)
            }
        }
    }

    private static func range(_ cidr: IPv4CIDR) -> ClosedRange<UInt32> {
        cidr.base...(cidr.base &+ UInt32(truncatingIfNeeded: cidr.size - 1))
    }

    /// nftables elements: one address, or `first-last`.
    var elements: [String] {
        ranges.map { range in
            range.lowerBound == range.upperBound
                ? IPv4CIDR.format(range.lowerBound) : "\(IPv4CIDR.format(range.lowerBound))-\(IPv4CIDR.format(range.upperBound))"
        }
    }
}
