/// The host ports in use on a node, counted per pod so that removing one of two pods that share a port keeps it
/// in use (Kubernetes' `HostPortInfo` is a set and would forget it).
public struct HostPortUsage: Sendable, Hashable {
    private struct ProtocolPort: Hashable, Sendable {
        var `protocol`: String
        var port: Int32
    }

    private var byAddress: [HostPort: Int] = [:]
    /// The same counts without the address, for the `0.0.0.0` check that conflicts with every address.
    private var byProtocolPort: [ProtocolPort: Int] = [:]

    public init() {}

    public var isEmpty: Bool { byAddress.isEmpty }

    public mutating func add(_ port: HostPort) {
        byAddress[port, default: 0] += 1
        byProtocolPort[ProtocolPort(protocol: port.protocol, port: port.port), default: 0] += 1
    }

    public mutating func remove(_ port: HostPort) {
        HostPortUsage.decrement(&byAddress, port)
        HostPortUsage.decrement(&byProtocolPort, ProtocolPort(protocol: port.protocol, port: port.port))
    }

    /// `HostPortInfo.CheckConflict`: `0.0.0.0` conflicts with the same protocol and port on any address; a specific
    /// address conflicts with itself and with `0.0.0.0`.
    public func conflicts(with port: HostPort) -> Bool {
        if port.hostIP == HostPort.anyAddress {
            return byProtocolPort[ProtocolPort(protocol: port.protocol, port: port.port)] != nil
        }
        var wildcard = port
        wildcard.hostIP = HostPort.anyAddress
        return byAddress[port] != nil || byAddress[wildcard] != nil
    }

    private static func decrement<Key: Hashable>(_ counts: inout [Key: Int], _ key: Key) {
        guard let count = counts[key] else { return }
        counts[key] = count > 1 ? count - 1 : nil
    }
}
