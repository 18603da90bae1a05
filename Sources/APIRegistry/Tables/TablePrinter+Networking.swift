import APIMachinery

/// Services, endpoints, endpoint slices, ingresses, ingress classes, network policies.
extension TablePrinter {
    static let services = TablePrinter(
        columns: [
            .name, TableColumn("Type", "type determines how the Service is exposed."),
            TableColumn("Cluster-IP", "clusterIP is the IP address of the service and is usually assigned randomly."),
            TableColumn("External-IP", "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service."),
            TableColumn("Port(s)", "The list of ports that are exposed by this service."), .age,
            .selector("Route service traffic to pods with label keys and values matching this selector."),
        ],
        cells: { service in
            let clusterIP =
                service.array("spec", "clusterIPs").first?.stringValue
                ?? service.optionalString("spec", "clusterIP").flatMap { $0.isEmpty ? nil : $0 } ?? "<none>"
            let ports = service.array("spec", "ports").map { port -> String in
                let number = port["port"]?.integerValue ?? 0
                let proto = port["protocol"]?.stringValue ?? "TCP"
                if let nodePort = port["nodePort"]?.integerValue, nodePort > 0 { return "\(number):\(nodePort)/\(proto)" }
                return "\(number)/\(proto)"
            }.joined(separator: ",")
            return [
                .string(service.name), .string(service.string("spec", "type")), .string(clusterIP),
                .string(externalIP(service)), .string(ports.isEmpty ? "<none>" : ports), .string(service.age),
                .string(TableFormat.labels(service.stringMap("spec", "selector"))),
            ]
        })

    /// EXTERNAL-IP: explicit external IPs, load-balancer ingress points (`<pending>` until assigned) or the external
    /// name, by service type.
    private static func externalIP(_ service: PrintedObject) -> String {
        let externalIPs = service.array("spec", "externalIPs").compactMap(\.stringValue)
        switch service.string("spec", "type") {
        case "ClusterIP", "NodePort":
            return externalIPs.isEmpty ? "<none>" : externalIPs.joined(separator: ",")
        case "LoadBalancer":
            let ingress = loadBalancerAddresses(service.array("status", "loadBalancer", "ingress"))
            if !externalIPs.isEmpty { return (ingress + externalIPs).joined(separator: ",") }
            return ingress.isEmpty ? "<pending>" : ingress.joined(separator: ",")
        case "ExternalName":
            return service.string("spec", "externalName")
        default:
            return "<unknown>"
        }
    }

    /// The distinct ingress IPs (or host names) of a load balancer status, sorted.
    private static func loadBalancerAddresses(_ ingress: [JSONValue]) -> [String] {
        Set(
            ingress.compactMap { entry -> String? in
                if let ip = entry["ip"]?.stringValue, !ip.isEmpty { return ip }
                if let host = entry["hostname"]?.stringValue, !host.isEmpty { return host }
                return nil
            }
        ).sorted()
    }

    static let endpoints = TablePrinter(
        columns: [.name, TableColumn("Endpoints", "The set of all endpoints is the union of all subsets."), .age],
        cells: { endpoints in
            let subsets = endpoints.array("subsets")
            guard !subsets.isEmpty else { return [.string(endpoints.name), "<none>", .string(endpoints.age)] }
            var list: [String] = []
            var count = 0
            for subset in subsets {
                let addresses = (subset["addresses"]?.arrayValue ?? []).map { $0["ip"]?.stringValue ?? "" }
                let ports = subset["ports"]?.arrayValue ?? []
                if ports.isEmpty {
                    // Headless services may have addresses without ports.
                    count += addresses.count
                    list += addresses.prefix(max(0, 3 - list.count))
                    continue
                }
                for port in ports {
                    count += addresses.count
                    let number = port["port"]?.integerValue ?? 0
                    for address in addresses where list.count < 3 {
                        list.append(address.contains(":") ? "[\(address)]:\(number)" : "\(address):\(number)")
                    }
                }
            }
            var text = list.joined(separator: ",")
            if count > 3 { text += " + \(count - 3) more..." }
            return [.string(endpoints.name), .string(text), .string(endpoints.age)]
        })

    static let endpointSlices = TablePrinter(
        columns: [
            .name, TableColumn("AddressType", "addressType specifies the type of address carried by this EndpointSlice."),
            TableColumn("Ports", "ports specifies the list of network ports exposed by each endpoint in this slice."),
            TableColumn("Endpoints", "endpoints is a list of unique endpoints in this slice."), .age,
        ],
        cells: { slice in
            let ports = slice.array("ports").map { port -> String in
                if let number = port["port"]?.integerValue { return String(number) }
                return port["name"]?.stringValue ?? "*"
            }
            let addresses = slice.array("endpoints").flatMap { ($0["addresses"]?.arrayValue ?? []).compactMap(\.stringValue) }
            return [
                .string(slice.name), .string(slice.string("addressType")), .string(TableFormat.limitedList(ports)),
                .string(TableFormat.limitedList(addresses)), .string(slice.age),
            ]
        })

    static let ingresses = TablePrinter(
        columns: [
            .name,
            TableColumn("Class", "The name of the IngressClass resource that should be used for additional configuration"),
            TableColumn("Hosts", "Hosts that incoming requests are matched against before the ingress rule"),
            TableColumn("Address", "Address is a list containing ingress points for the load-balancer"),
            TableColumn("Ports", "Ports of TLS configurations that open"), .age,
        ],
        cells: { ingress in
            let rules = ingress.array("spec", "rules")
            // The first three hosts; "more" once a rule follows the third, counted over all rules as Kubernetes does.
            var hosts: [String] = []
            var more = false
            for rule in rules {
                if hosts.count == 3 { more = true }
                if !more, let host = rule["host"]?.stringValue, !host.isEmpty { hosts.append(host) }
            }
            var hostText = hosts.isEmpty ? "*" : hosts.joined(separator: ",")
            if more && !hosts.isEmpty { hostText += " + \(rules.count - 3) more..." }
            let address = loadBalancerAddresses(ingress.array("status", "loadBalancer", "ingress")).joined(separator: ",")
            return [
                .string(ingress.name), .string(ingress.optionalString("spec", "ingressClassName") ?? "<none>"),
                .string(hostText), .string(address), .string(ingress.array("spec", "tls").isEmpty ? "80" : "80, 443"),
                .string(ingress.age),
            ]
        })

    static let ingressClasses = TablePrinter(
        columns: [
            .name, TableColumn("Controller", "Controller that is responsible for handling this class"),
            TableColumn("Parameters", "A reference to a resource with additional parameters"), .age,
        ],
        cells: { ingressClass in
            var parameters = "<none>"
            if let reference = ingressClass.value("spec", "parameters"), reference.objectValue != nil {
                parameters = reference["kind"]?.stringValue ?? ""
                if let group = reference["apiGroup"]?.stringValue { parameters += "." + group }
                parameters += "/" + (reference["name"]?.stringValue ?? "")
            }
            return [
                .string(ingressClass.name), .string(ingressClass.string("spec", "controller")), .string(parameters),
                .string(ingressClass.age),
            ]
        })

    static let networkPolicies = TablePrinter(
        columns: [
            .name, TableColumn("Pod-Selector", "Selects the pods to which this NetworkPolicy object applies."), .age,
        ],
        cells: { policy in
            [
                .string(policy.name),
                .string(TableFormat.labelSelector(policy.value("spec", "podSelector") ?? .emptyObject)),
                .string(policy.age),
            ]
        })
}
