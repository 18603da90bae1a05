/// A stable 64-bit FNV-1a digest, printed as 16 upper-case hex digits: the `hash` of `/openapi/v3` URLs that
/// clients use as a cache key. Not a security measure; only equal content must give equal digests.
enum ContentDigest {
    static func hex<Bytes: Sequence<UInt8>>(_ bytes: Bytes, seed: String = "") -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in seed.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        let digits = String(hash, radix: 16, uppercase: true)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
