/// The scheduler's tie-breaking randomness: a SplitMix64 stream seeded once from any generator (a seeded one in
/// tests), so that the hot loop neither calls through an existential nor asks the system for entropy per draw.
struct RandomSource: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seededFrom generator: any RandomNumberGenerator & Sendable) {
        var source = generator
        state = source.next()
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
