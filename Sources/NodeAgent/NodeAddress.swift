import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The address a node reports as its InternalIP when `--node-ip` is not given, chosen as k3s chooses it: the IPv4
/// address of the interface that holds the default route, so that what other machines dial (a joined node's kubelet
/// endpoint, a LoadBalancer's address) reaches this machine. Loopback only on a machine without a default route.
public enum NodeAddress {
    public static let loopback = "127.0.0.1"

    public static func defaultIPv4() -> String {
        guard let routes = try? String(contentsOfFile: "/proc/net/route", encoding: .utf8),
            let interface = defaultRouteInterface(routeTable: routes),
            let address = ipv4Addresses()[interface]
        else { return loopback }
        return address
    }

    /// The interface of the default route (destination and mask 0) with the lowest metric, from `/proc/net/route`'s
    /// columns: Iface Destination Gateway Flags RefCnt Use Metric Mask ...
    static func defaultRouteInterface(routeTable: String) -> String? {
        let upFlag = 0x1
        let defaults = routeTable.split(separator: "\n").dropFirst().compactMap { line -> (interface: String, metric: Int)? in
            let columns = line.split(whereSeparator: \.isWhitespace)
            guard columns.count >= 8, columns[1] == "00000000", columns[7] == "00000000",
                let flags = Int(columns[3], radix: 16), flags & upFlag != 0, let metric = Int(columns[6])
            else { return nil }
            return (String(columns[0]), metric)
        }
        return defaults.min { $0.metric < $1.metric }?.interface
    }

    /// Each interface's first IPv4 address.
    private static func ipv4Addresses() -> [String: String] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [:] }
        defer { freeifaddrs(list) }
        var addresses: [String: String] = [:]
        var cursor = list
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let socketAddress = entry.pointee.ifa_addr, socketAddress.pointee.sa_family == sa_family_t(AF_INET) else { continue }
            let name = String(cString: entry.pointee.ifa_name)
            guard addresses[name] == nil else { continue }
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            let length = socklen_t(MemoryLayout<sockaddr_in>.size)
            guard getnameinfo(socketAddress, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 else { continue }
            addresses[name] = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return addresses
    }
}
