import APIMachinery

/// Core networking objects: Services and Endpoints.
extension Validation {
    static let ipAddressMessage = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"

    static func validateService(_ service: JSONValue) -> [StatusCause] {
        let spec = service["spec"] ?? .emptyObject
        let path = FieldPath("spec")
        var errors: [StatusCause] = []
        let type = spec.text("type")
        let clusterIPs = effectiveClusterIPs(spec)
        let headless = clusterIPs.first == "None"
        let ports = spec.items("ports")
        if ports.isEmpty && !headless && type != "ExternalName" {
            errors.append(.required(path.child("ports").description))
        }
        switch type {
        case "LoadBalancer", "NodePort":
            if headless {
                errors.append(
                    .invalid(path.child("clusterIPs").index(0).description, value: "None", "may not be set to 'None' for \(type) services"))
            }
            if type == "LoadBalancer" {
                for (index, port) in ports.enumerated() where port.number("port") == 10250 {
                    errors.append(.invalid(path.child("ports").index(index).description, value: 10250, "may not expose port 10250 externally since it is used by kubelet"))
                }
            }
        case "ExternalName":
            if !spec.items("clusterIPs").isEmpty || !spec.text("clusterIP").isEmpty {
                errors.append(.forbidden(path.child("clusterIPs").description, "may not be set for ExternalName services"))
            }
            if !spec.items("ipFamilies").isEmpty { errors.append(.forbidden(path.child("ipFamilies").description, "may not be set for ExternalName services")) }
            if spec.isSet("ipFamilyPolicy") { errors.append(.forbidden(path.child("ipFamilyPolicy").description, "may not be set for ExternalName services")) }
            let externalName = spec.text("externalName")
            let name = externalName.hasSuffix(".") ? String(externalName.dropLast()) : externalName
            if name.isEmpty {
                errors.append(.required(path.child("externalName").description))
            } else {
                errors += NameRules.dns1123Subdomain(name).map { .invalid(path.child("externalName").description, value: .string(name), $0) }
            }
        default:
            break
        }
        var names: Set<String> = []
        for (index, port) in ports.enumerated() {
            errors += validateServicePort(port, requireName: ports.count > 1, names: &names, path: path.child("ports").index(index))
        }
        errors += validateLabels(spec["selector"], path: path.child("selector"))
        switch spec.text("sessionAffinity") {
        case "": errors.append(.required(path.child("sessionAffinity").description))
        case "ClientIP":
            if let timeout = spec[path: "sessionAffinityConfig", "clientIP", "timeoutSeconds"]?.integerValue, !(1...86400).contains(timeout) {
                errors.append(
                    .invalid(path.child("sessionAffinityConfig", "clientIP", "timeoutSeconds").description, value: .integer(timeout), "must be greater than 0 and less than 86400"))
            }
        case "None":
            if spec.isSet("sessionAffinityConfig") {
                errors.append(.forbidden(path.child("sessionAffinityConfig").description, "must not be set when session affinity is None"))
            }
        case let other:
            errors.append(.notSupported(path.child("sessionAffinity").description, value: .string(other), supported: ["ClientIP", "None"]))
        }
        for (index, ip) in clusterIPs.enumerated() where ip != "None" && !NameRules.isIP(ip) {
            errors.append(.invalid(path.child("clusterIPs").index(index).description, value: .string(ip), ipAddressMessage))
        }
        if spec.isSet("ipFamilyPolicy") {
            let policy = spec.text("ipFamilyPolicy")
            if !["SingleStack", "PreferDualStack", "RequireDualStack"].contains(policy) {
                errors.append(
                    .notSupported(path.child("ipFamilyPolicy").description, value: .string(policy), supported: ["SingleStack", "PreferDualStack", "RequireDualStack"]))
            }
        }
        for (index, family) in spec.items("ipFamilies").enumerated() {
            let name = family.stringValue ?? ""
            if name != "IPv4" && name != "IPv6" {
                errors.append(.notSupported(path.child("ipFamilies").index(index).description, value: .string(name), supported: ["IPv4", "IPv6"]))
            }
        }
        for (index, ip) in spec.items("externalIPs").enumerated() {
            let address = ip.stringValue ?? ""
            if !NameRules.isIP(address) { errors.append(.invalid(path.child("externalIPs").index(index).description, value: .string(address), ipAddressMessage)) }
        }
        if type.isEmpty {
            errors.append(.required(path.child("type").description))
        } else if !["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"].contains(type) {
            errors.append(.notSupported(path.child("type").description, value: .string(type), supported: ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]))
        }
        if type == "ClusterIP" {
            for (index, port) in ports.enumerated() where (port.number("nodePort") ?? 0) != 0 {
                errors.append(.forbidden(path.child("ports").index(index).child("nodePort").description, "may not be used when `type` is 'ClusterIP'"))
            }
        }
        var nodePorts: Set<String> = []
        var servicePorts: Set<String> = []
        for (index, port) in ports.enumerated() {
            let portPath = path.child("ports").index(index)
            let nodePort = port.number("nodePort") ?? 0
            if nodePort != 0 {
                if !(30000...32767).contains(nodePort) {
                    errors.append(
                        .invalid(portPath.child("nodePort").description, value: .integer(nodePort), "provided port is not in the valid range. The range of valid ports is 30000-32767"))
                }
                if !nodePorts.insert("\(port.text("protocol"))/\(nodePort)").inserted {
                    errors.append(.duplicate(portPath.child("nodePort").description, value: .integer(nodePort)))
                }
            }
            let number = port.number("port") ?? 0
            if !servicePorts.insert("\(port.text("protocol"))/\(number)").inserted {
                let rendered = "core.ServicePort{Name:\"\", Protocol:\(GoSyntax.quote(port.text("protocol"))), AppProtocol:(*string)(nil), Port:\(number), "
                    + "TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}"
                errors.append(.duplicate(portPath.description, renderedValue: rendered))
            }
        }
        errors += validateTrafficPolicies(spec, path: path)
        return errors
    }

    private static func validateServicePort(_ port: JSONValue, requireName: Bool, names: inout Set<String>, path: FieldPath) -> [StatusCause] {
        var errors: [StatusCause] = []
        let name = port.text("name")
        if requireName && name.isEmpty {
            errors.append(.required(path.child("name").description))
        } else if !name.isEmpty {
            errors += NameRules.dns1123Label(name).map { .invalid(path.child("name").description, value: .string(name), $0) }
            if !names.insert(name).inserted { errors.append(.duplicate(path.child("name").description, value: .string(name))) }
        }
        let number = port.number("port") ?? 0
        errors += NameRules.portNumber(number).map { .invalid(path.child("port").description, value: .integer(number), $0) }
        errors += validateProtocol(port.text("protocol"), path: path.child("protocol"))
        errors += validatePortNumberOrName(port["targetPort"], path: path.child("targetPort"))
        return errors
    }

    private static func validateTrafficPolicies(_ spec: JSONValue, path: FieldPath) -> [StatusCause] {
        var errors: [StatusCause] = []
        let type = spec.text("type")
        let external = spec.text("externalTrafficPolicy")
        if !external.isEmpty && external != "Cluster" && external != "Local" {
            errors.append(.notSupported(path.child("externalTrafficPolicy").description, value: .string(external), supported: ["Cluster", "Local"]))
        }
        let externallyAccessible = type == "LoadBalancer" || type == "NodePort" || (type == "ClusterIP" && !spec.items("externalIPs").isEmpty)
        if !externallyAccessible && !external.isEmpty {
            errors.append(.invalid(path.child("externalTrafficPolicy").description, value: .string(external), "may only be set for externally-accessible services"))
        } else if externallyAccessible && external.isEmpty {
            errors.append(.required(path.child("externalTrafficPolicy").description))
        }
        if ["ClusterIP", "NodePort", "LoadBalancer"].contains(type) {
            if !spec.isSet("internalTrafficPolicy") {
                errors.append(.required(path.child("internalTrafficPolicy").description))
            } else if !["Cluster", "Local"].contains(spec.text("internalTrafficPolicy")) {
                errors.append(
                    .notSupported(
                        path.child("internalTrafficPolicy").description, value: .string(spec.text("internalTrafficPolicy")), supported: ["Cluster", "Local"]))
            }
        }
        return errors
    }

    /// `clusterIPs`, with a changed or lone `clusterIP` applied to the first entry as Kubernetes' strategy does.
    static func effectiveClusterIPs(_ spec: JSONValue) -> [String] {
        var addresses = spec.items("clusterIPs").compactMap(\.stringValue)
        let single = spec.text("clusterIP")
        if !single.isEmpty {
            if addresses.isEmpty { addresses = [single] } else { addresses[0] = single }
        }
        return addresses
    }

    static func validateServiceUpdate(_ service: JSONValue, old: JSONValue) -> [StatusCause] {
        let spec = service["spec"] ?? .emptyObject
        let oldSpec = old["spec"] ?? .emptyObject
        guard spec.text("type") != "ExternalName" && oldSpec.text("type") != "ExternalName" else { return [] }
        let new = effectiveClusterIPs(spec)
        let previous = effectiveClusterIPs(oldSpec)
        // An update that leaves the addresses out keeps the allocated ones, as Kubernetes' REST storage does.
        guard !new.isEmpty, !(new.first == "None" && previous.first == "None") else { return [] }
        let rendered = GoSyntax.stringSlice(new)
        var errors: [StatusCause] = []
        for (index, address) in previous.enumerated() where index < new.count && new[index] != address {
            if index == 0 || new.count == previous.count {
                errors.append(.invalid("spec.clusterIPs[\(index)]", renderedValue: rendered, "may not change once set"))
            }
        }
        return errors
    }

    static func validateEndpoints(_ endpoints: JSONValue) -> [StatusCause] {
        var errors: [StatusCause] = []
        for (index, subset) in endpoints.items("subsets").enumerated() {
            let subsetPath = FieldPath("subsets").index(index)
            if subset.items("addresses").isEmpty && subset.items("notReadyAddresses").isEmpty {
                errors.append(.required(subsetPath.description, "must specify `addresses` or `notReadyAddresses`"))
            }
            for key in ["addresses", "notReadyAddresses"] {
                for (addressIndex, address) in subset.items(key).enumerated() {
                    let ip = address.text("ip")
                    if !NameRules.isIP(ip) {
                        errors.append(.invalid(subsetPath.child(key).index(addressIndex).child("ip").description, value: .string(ip), ipAddressMessage))
                    }
                }
            }
            let ports = subset.items("ports")
            for (portIndex, port) in ports.enumerated() {
                let portPath = subsetPath.child("ports").index(portIndex)
                let name = port.text("name")
                if ports.count > 1 && name.isEmpty {
                    errors.append(.required(portPath.child("name").description))
                } else if !name.isEmpty {
                    errors += NameRules.dns1123Label(name).map { .invalid(portPath.child("name").description, value: .string(name), $0) }
                }
                let number = port.number("port") ?? 0
                errors += NameRules.portNumber(number).map { .invalid(portPath.child("port").description, value: .integer(number), $0) }
                errors += validateProtocol(port.text("protocol"), path: portPath.child("protocol"))
            }
        }
        return errors
    }
}
