import APIMachinery
import Testing

@testable import NodeAgent

/// The variables a kubelet writes (its envvars package), for the seed's Service and the API's own.
@Suite("service environment variables")
struct ServiceEnvironmentTests {
    static let services: [JSONValue] = [
        [
            "metadata": ["name": "kubernetes", "namespace": "default"],
            "spec": ["clusterIP": "10.43.0.1", "ports": [["name": "https", "port": 443, "protocol": "TCP"]]],
        ],
        ["metadata": ["name": "myapp-service", "namespace": "shop"], "spec": ["clusterIP": "10.43.0.7", "ports": [["port": 80, "protocol": "TCP"]]]],
        ["metadata": ["name": "db", "namespace": "shop"], "spec": ["clusterIP": "None", "ports": [["port": 5432]]]],
        ["metadata": ["name": "elsewhere", "namespace": "other"], "spec": ["clusterIP": "10.43.0.9", "ports": [["port": 80]]]],
    ]

    @Test func theNamespacesServicesAndTheAPIsOwnAreWrittenAsTheKubeletWritesThem() {
        let variables = ServiceEnvironment.variables(services: Self.services, namespace: "shop", enableServiceLinks: true)
        #expect(variables.map { "\($0.name)=\($0.value)" } == [
            "KUBERNETES_SERVICE_HOST=10.43.0.1", "KUBERNETES_SERVICE_PORT=443", "KUBERNETES_SERVICE_PORT_HTTPS=443",
            "KUBERNETES_PORT=tcp://10.43.0.1:443", "KUBERNETES_PORT_443_TCP=tcp://10.43.0.1:443", "KUBERNETES_PORT_443_TCP_PROTO=tcp",
            "KUBERNETES_PORT_443_TCP_PORT=443", "KUBERNETES_PORT_443_TCP_ADDR=10.43.0.1",
            "MYAPP_SERVICE_SERVICE_HOST=10.43.0.7", "MYAPP_SERVICE_SERVICE_PORT=80", "MYAPP_SERVICE_PORT=tcp://10.43.0.7:80",
            "MYAPP_SERVICE_PORT_80_TCP=tcp://10.43.0.7:80", "MYAPP_SERVICE_PORT_80_TCP_PROTO=tcp", "MYAPP_SERVICE_PORT_80_TCP_PORT=80",
            "MYAPP_SERVICE_PORT_80_TCP_ADDR=10.43.0.7",
        ])
    }

    @Test func withoutServiceLinksOnlyTheAPIsServiceRemains() {
        let names = ServiceEnvironment.variables(services: Self.services, namespace: "shop", enableServiceLinks: false).map(\.name)
        #expect(!names.isEmpty && names.allSatisfy { $0.hasPrefix("KUBERNETES_") })
    }

    @Test func aContainersOwnVariableWinsAndMayReferToAServiceVariable() throws {
        var environment = ContainerEnvironment(
            pod: ["metadata": ["name": "p", "namespace": "shop"]], podIPs: [], hostIPs: [], nodeAllocatable: [:], configMap: { _ in nil },
            secret: { _ in nil })
        environment.serviceVariables = ServiceEnvironment.variables(services: Self.services, namespace: "shop", enableServiceLinks: true)
        let variables = try environment.variables(for: [
            "name": "app",
            "env": [["name": "MYAPP_SERVICE_SERVICE_PORT", "value": "8080"], ["name": "BACKEND", "value": "http://$(MYAPP_SERVICE_SERVICE_HOST)/api"]],
        ])
        let values = Dictionary(variables.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        #expect(values["MYAPP_SERVICE_SERVICE_PORT"] == "8080")
        #expect(values["BACKEND"] == "http://10.43.0.7/api")
        #expect(variables.filter { $0.name == "MYAPP_SERVICE_SERVICE_PORT" }.count == 1)
        #expect(variables.first?.name == "MYAPP_SERVICE_SERVICE_PORT", "the container's own variables come first")
    }
}
