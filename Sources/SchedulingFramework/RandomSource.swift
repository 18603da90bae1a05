/// A random number generator behind an existential, so the scheduler can take any generator (a seeded one in
/// tests) without becoming generic.
struct RandomSource: RandomNumberGenerator, Sendable {
    var base: any RandomNumberGenerator & Sendable

    mutating func next() -> UInt64 {
        base.next()
    }
}
