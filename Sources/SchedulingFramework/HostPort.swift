import APIMachinery

/// A host port a container asks for (`ports[]` with `hostPort > 0`), normalised as the scheduler does: an empty
/// protocol is TCP and an empty host IP is `0.0.0.0`, which binds every address.
public struct HostPort: Sendable, Hashable {
    public static let anyAddress = "0.0.0.0"

    public var `protocol`: String
    public var hostIP: String
    public var port: Int32

    public init(protocol: String = "TCP", hostIP: String = HostPort.anyAddress, port: Int32) {
        self.protocol = `protocol`.isEmpty ? "TCP" : `protocol`
        self.hostIP = hostIP.isEmpty ? HostPort.anyAddress : hostIP
        self.port = port
    }

    /// From a container port object; nil unless it has a positive `hostPort`.
    init?(json: JSONValue) {
        guard let port = json["hostPort"]?.integerValue, port > 0, port <= Int64(Int32.max) else { return nil }
        self.init(
            protocol: json["protocol"]?.stringValue ?? "", hostIP: json["hostIP"]?.stringValue ?? "", port: Int32(port))
    }
}
