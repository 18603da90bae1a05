#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The network-order bytes of an IP address, as an iPAddress subject alternative name holds them (RFC 5280 4.2.1.6).
enum IPAddressBytes {
    /// 4 bytes for IPv4, 16 for IPv6, nil when `text` is neither; brackets around IPv6 (`[::1]`) are accepted.
    static func parse(_ text: String) -> [UInt8]? {
        var address = text
        if address.hasPrefix("["), address.hasSuffix("]") {
            address = String(address.dropFirst().dropLast())
        }
        if let bytes = convert(address, family: AF_INET, count: 4) { return bytes }
        return convert(address, family: AF_INET6, count: 16)
    }

    private static func convert(_ address: String, family: Int32, count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        let result = bytes.withUnsafeMutableBytes { buffer in
            inet_pton(family, address, buffer.baseAddress)
        }
        return result == 1 ? bytes : nil
    }
}
