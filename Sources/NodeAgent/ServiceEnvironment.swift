import APIMachinery
import KubeObjects

/// The variables the kubelet gives every container for the Services of its namespace (and `kubernetes` in
/// `default`, always): `MYAPP_SERVICE_SERVICE_HOST`, `..._SERVICE_PORT`, one `..._SERVICE_PORT_<NAME>` per named
/// port, and Docker's link variables (`..._PORT=tcp://10.43.0.7:80`, `..._PORT_80_TCP_ADDR`, ...). A Service without
/// a ClusterIP (headless, ExternalName) gives none; `enableServiceLinks: false` keeps only `kubernetes`'.
enum ServiceEnvironment {
    static let masterNamespace = "default"
    static let masterService = "kubernetes"

    static func variables(services: [JSONValue], namespace: String, enableServiceLinks: Bool) -> [(name: String, value: String)] {
        var chosen: [String: Service] = [:]
        for json in services {
            let service = Service(json)
            guard let clusterIP = service.spec.clusterIP, clusterIP != "None", !service.spec.ports.isEmpty else { continue }
            let name = service.metadata.name
            if service.metadata.namespace == masterNamespace && name == masterService {
                if chosen[name] == nil { chosen[name] = service }
            } else if service.metadata.namespace == namespace && enableServiceLinks {
                chosen[name] = service
            }
        }
        return chosen.sorted { $0.key < $1.key }.flatMap { variables(for: $0.value) }
    }

    private static func variables(for service: Service) -> [(name: String, value: String)] {
        let prefix = variableName(service.metadata.name)
        let ip = service.spec.clusterIP ?? ""
        let ports = service.spec.ports
        var result: [(name: String, value: String)] = [
            ("\(prefix)_SERVICE_HOST", ip), ("\(prefix)_SERVICE_PORT", String(ports.first?.port ?? 0)),
        ]
        for port in ports where !port.name.isEmpty {
            result.append(("\(prefix)_SERVICE_PORT_\(variableName(port.name))", String(port.port ?? 0)))
        }
        for (index, port) in ports.enumerated() {
            let proto = port.protocol.lowercased()
            let address = "\(proto)://\(ip):\(port.port ?? 0)"
            if index == 0 { result.append(("\(prefix)_PORT", address)) }
            let portPrefix = "\(prefix)_PORT_\(port.port ?? 0)_\(port.protocol.uppercased())"
            result += [(portPrefix, address), ("\(portPrefix)_PROTO", proto), ("\(portPrefix)_PORT", String(port.port ?? 0)), ("\(portPrefix)_ADDR", ip)]
        }
        return result
    }

    /// `my-app` → `MY_APP`.
    static func variableName(_ name: String) -> String {
        name.replacingOccurrences(of: "-", with: "_").uppercased()
    }
}
