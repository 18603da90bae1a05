import Testing

@testable import APIRegistry

@Suite struct CatalogStorageTests {
    @Test func virtualKindsAreNotStored() {
        let catalog = ResourceCatalog.builtIn
        let virtual = catalog.resources.filter { !$0.isStored }.map { "\($0.groupResource)" }
        #expect(
            Set(virtual) == [
                "bindings", "componentstatuses", "selfsubjectreviews.authentication.k8s.io", "tokenreviews.authentication.k8s.io",
                "localsubjectaccessreviews.authorization.k8s.io", "selfsubjectaccessreviews.authorization.k8s.io",
                "selfsubjectrulesreviews.authorization.k8s.io", "subjectaccessreviews.authorization.k8s.io",
                "pods.metrics.k8s.io", "nodes.metrics.k8s.io",
            ])
    }
}
