import APIMachinery

/// `networking.k8s.io/v1`: Ingresses, IngressClasses and NetworkPolicies.
extension Validation {
    static func validateIngress(_ ingress: JSONValue) -> [StatusCause] {
        let spec = ingress["spec"] ?? .emptyObject
        let path = FieldPath("spec")
        var errors: [StatusCause] = []
        let rules = spec.items("rules")
        if rules.isEmpty && !spec.isSet("defaultBackend") {
            let rendered = spec.isSet("rules") ? "[]networking.IngressRule{}" : "[]networking.IngressRule(nil)"
            errors.append(.invalid(path.description, renderedValue: rendered, "either `defaultBackend` or `rules` must be specified"))
        }
        if let backend = spec["defaultBackend"], !backend.isNull {
            errors += validateIngressBackend(backend, path: path.child("defaultBackend"))
        }
        for (index, rule) in rules.enumerated() {
            let rulePath = path.child("rules").index(index)
            let host = rule.text("host")
            if !host.isEmpty {
                if NameRules.isIP(host) { errors.append(.invalid(rulePath.child("host").description, value: .string(host), "must be a DNS name, not an IP address")) }
                let messages = host.contains("*") ? wildcardSubdomainErrors(host) : NameRules.dns1123Subdomain(host)
                errors += messages.map { .invalid(rulePath.child("host").description, value: .string(host), $0) }
            }
            guard let http = rule["http"], !http.isNull else { continue }
            let paths = http.items("paths")
            if paths.isEmpty { errors.append(.required(rulePath.child("http", "paths").description)) }
            for (pathIndex, entry) in paths.enumerated() {
                errors += validateHTTPIngressPath(entry, path: rulePath.child("http", "paths").index(pathIndex))
            }
        }
        for (index, tls) in spec.items("tls").enumerated() {
            let tlsPath = path.child("tls").index(index)
            for (hostIndex, host) in tls.items("hosts").compactMap(\.stringValue).enumerated() {
                let messages = host.contains("*") ? wildcardSubdomainErrors(host) : NameRules.dns1123Subdomain(host)
                errors += messages.map { .invalid(tlsPath.child("hosts").index(hostIndex).description, value: .string(host), $0) }
            }
            let secretName = tls.text("secretName")
            if !secretName.isEmpty {
                errors += NameRules.dns1123Subdomain(secretName).map { .invalid(tlsPath.child("secretName").description, value: .string(secretName), $0) }
            }
        }
        if spec.isSet("ingressClassName") {
            let className = spec.text("ingressClassName")
            errors += NameRules.dns1123Subdomain(className).map { .invalid(path.child("ingressClassName").description, value: .string(className), $0) }
        }
        return errors
    }

    private static func validateHTTPIngressPath(_ entry: JSONValue, path: FieldPath) -> [StatusCause] {
        guard entry.isSet("pathType") else { return [.required(path.child("pathType").description, "pathType must be specified")] }
        var errors: [StatusCause] = []
        let value = entry.text("path")
        let pathPath = path.child("path").description
        switch entry.text("pathType") {
        case "Exact", "Prefix":
            if !value.hasPrefix("/") { errors.append(.invalid(pathPath, value: .string(value), "must be an absolute path")) }
            if !value.isEmpty {
                for sequence in ["//", "/./", "/../", "%2f", "%2F"] where value.contains(sequence) {
                    errors.append(.invalid(pathPath, value: .string(value), "must not contain '\(sequence)'"))
                }
                for suffix in ["/..", "/."] where value.hasSuffix(suffix) {
                    errors.append(.invalid(pathPath, value: .string(value), "cannot end with '\(suffix)'"))
                }
            }
        case "ImplementationSpecific":
            if !value.isEmpty && !value.hasPrefix("/") { errors.append(.invalid(pathPath, value: .string(value), "must be an absolute path")) }
        case let other:
            errors.append(.notSupported(path.child("pathType").description, value: .string(other), supported: ["Exact", "ImplementationSpecific", "Prefix"]))
        }
        errors += validateIngressBackend(entry["backend"] ?? .emptyObject, path: path.child("backend"))
        return errors
    }

    private static func validateIngressBackend(_ backend: JSONValue, path: FieldPath) -> [StatusCause] {
        let hasResource = backend.isSet("resource")
        let hasService = backend.isSet("service")
        if hasResource && hasService { return [.invalid(path.description, value: "", "cannot set both resource and service backends")] }
        if hasResource {
            let resource = backend["resource"] ?? .emptyObject
            var errors: [StatusCause] = []
            if resource.text("kind").isEmpty { errors.append(.required(path.child("resource", "kind").description)) }
            if resource.text("name").isEmpty { errors.append(.required(path.child("resource", "name").description)) }
            return errors
        }
        guard hasService, let service = backend["service"] else {
            return [.invalid(path.description, value: "", "resource or service backend is required")]
        }
        var errors: [StatusCause] = []
        let name = service.text("name")
        if name.isEmpty {
            errors.append(.required(path.child("service", "name").description))
        } else {
            errors += NameRules.dns1035Label(name).map { .invalid(path.child("service", "name").description, value: .string(name), $0) }
        }
        let portName = service[path: "port", "name"]?.stringValue ?? ""
        let portNumber = service[path: "port", "number"]?.integerValue ?? 0
        if !portName.isEmpty && portNumber != 0 {
            errors.append(.invalid(path.description, value: "", "cannot set both port name & port number"))
        } else if !portName.isEmpty {
            errors += NameRules.portName(portName).map { .invalid(path.child("service", "port", "name").description, value: .string(portName), $0) }
        } else if portNumber != 0 {
            errors += NameRules.portNumber(portNumber).map { .invalid(path.child("service", "port", "number").description, value: .integer(portNumber), $0) }
        } else {
            errors.append(.required(path.description, "port name or number is required"))
        }
        return errors
    }

    /// `IsWildcardDNS1123Subdomain`: `*.` followed by a DNS subdomain.
    static func wildcardSubdomainErrors(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.count > 253 { errors.append(NameRules.maxLengthError(253)) }
        if !(value.hasPrefix("*.") && NameRules.dns1123Subdomain(String(value.dropFirst(2))).isEmpty) {
            errors.append(
                NameRules.regexError(
                    "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character",
                    "\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", examples: ["*.example.com"]))
        }
        return errors
    }

    static func validateIngressClass(_ ingressClass: JSONValue) -> [StatusCause] {
        let controller = ingressClass[path: "spec", "controller"]?.stringValue ?? ""
        let path = "spec.controller"
        if controller.isEmpty { return [.required(path)] }
        var errors: [StatusCause] = []
        if controller.utf8.count > 250 { errors.append(.tooLong(path, value: .string(controller), maximum: 250)) }
        let parts = controller.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        if parts.count != 2 || parts[1].isEmpty {
            errors.append(.invalid(path, value: .string(controller), "must be a domain-prefixed path (such as \"acme.io/foo\")"))
        } else {
            errors += NameRules.dns1123Subdomain(String(parts[0])).map { .invalid(path, value: .string(String(parts[0])), $0) }
        }
        return errors
    }

    static func validateNetworkPolicy(_ policy: JSONValue) -> [StatusCause] {
        let spec = policy["spec"] ?? .emptyObject
        let path = FieldPath("spec")
        var errors = validateLabelSelector(spec["podSelector"], path: path.child("podSelector"))
        for (direction, peers) in [("ingress", "from"), ("egress", "to")] {
            for (index, rule) in spec.items(direction).enumerated() {
                let rulePath = path.child(direction).index(index)
                for (portIndex, port) in rule.items("ports").enumerated() {
                    errors += validateNetworkPolicyPort(port, path: rulePath.child("ports").index(portIndex))
                }
                for (peerIndex, peer) in rule.items(peers).enumerated() {
                    errors += validateNetworkPolicyPeer(peer, path: rulePath.child(peers).index(peerIndex))
                }
            }
        }
        let types = spec.items("policyTypes").compactMap(\.stringValue)
        if types.count > 2 {
            errors.append(.invalid(path.child("policyTypes").description, renderedValue: "&\(GoSyntax.stringSlice(types))", "may not specify more than two policyTypes"))
            return errors
        }
        for (index, type) in types.enumerated() where type != "Ingress" && type != "Egress" {
            errors.append(.notSupported(path.child("policyTypes").index(index).description, value: .string(type), supported: ["Ingress", "Egress"]))
        }
        return errors
    }

    private static func validateNetworkPolicyPort(_ port: JSONValue, path: FieldPath) -> [StatusCause] {
        var errors: [StatusCause] = []
        if port.isSet("protocol") {
            let value = port.text("protocol")
            if !["TCP", "UDP", "SCTP"].contains(value) {
                errors.append(.notSupported(path.child("protocol").description, value: .string(value), supported: ["TCP", "UDP", "SCTP"]))
            }
        }
        let endPort = port.number("endPort")
        switch port["port"] {
        case .string(let name)?:
            if let endPort { errors.append(.invalid(path.child("endPort").description, value: .integer(endPort), "may not be specified when `port` is non-numeric")) }
            errors += NameRules.portName(name).map { .invalid(path.child("port").description, value: .string(name), $0) }
        case let value? where !value.isNull:
            let number = value.integerValue ?? 0
            errors += NameRules.portNumber(number).map { .invalid(path.child("port").description, value: .integer(number), $0) }
            if let endPort {
                if endPort < number {
                    errors.append(.invalid(path.child("endPort").description, value: .integer(number), "must be greater than or equal to `port`"))
                }
                errors += NameRules.portNumber(endPort).map { .invalid(path.child("endPort").description, value: .integer(endPort), $0) }
            }
        default:
            if let endPort { errors.append(.invalid(path.child("endPort").description, value: .integer(endPort), "may not be specified when `port` is not specified")) }
        }
        return errors
    }

    private static func validateNetworkPolicyPeer(_ peer: JSONValue, path: FieldPath) -> [StatusCause] {
        var errors: [StatusCause] = []
        var peers = 0
        for key in ["podSelector", "namespaceSelector"] where peer.isSet(key) {
            peers += 1
            errors += validateLabelSelector(peer[key], path: path.child(key))
        }
        if let block = peer["ipBlock"], !block.isNull {
            peers += 1
            let cidr = block.text("cidr")
            let cidrPath = path.child("ipBlock", "cidr").description
            if cidr.isEmpty {
                errors.append(.required(cidrPath))
            } else if !NameRules.isCIDR(cidr) {
                errors.append(.invalid(cidrPath, value: .string(cidr), "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"))
            }
            for (index, except) in block.items("except").compactMap(\.stringValue).enumerated() where !NameRules.isCIDR(except) {
                errors.append(
                    .invalid(path.child("ipBlock", "except").index(index).description, value: .string(except), "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"))
            }
        }
        if peers == 0 {
            errors.append(.required(path.description, "must specify a peer"))
        } else if peers > 1 && peer.isSet("ipBlock") {
            errors.append(.forbidden(path.description, "may not specify both ipBlock and another peer"))
        }
        return errors
    }
}
