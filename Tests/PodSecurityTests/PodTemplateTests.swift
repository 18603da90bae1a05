import APIMachinery
import PodSecurity
import Testing

/// Where each workload keeps its pod template (`DefaultPodSpecExtractor`).
struct PodTemplateTests {
    static let template: JSONValue = ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "web", "image": "nginx"]]]]

    @Test(arguments: [
        ("", "replicationcontrollers", ["spec": ["template": template]]),
        ("", "podtemplates", ["template": template]),
        ("apps", "replicasets", ["spec": ["template": template]]),
        ("apps", "deployments", ["spec": ["template": template]]),
        ("apps", "statefulsets", ["spec": ["template": template]]),
        ("apps", "daemonsets", ["spec": ["template": template]]),
        ("batch", "jobs", ["spec": ["template": template]]),
        ("batch", "cronjobs", ["spec": ["jobTemplate": ["spec": ["template": template]]]]),
    ] as [(String, String, JSONValue)])
    func templates(_ group: String, _ resource: String, _ object: JSONValue) {
        let resource = GroupResource(group: group, resource: resource)
        #expect(PodSecurityAdmission.podTemplateResources.contains(resource))
        #expect(PodSecurityAdmission.podTemplate(in: object, resource: resource) == Self.template)
    }

    @Test func aPodIsItsOwnTemplate() {
        let pod = Fixtures.plainPod()
        #expect(PodSecurityAdmission.podTemplate(in: pod, resource: GroupResource(group: "", resource: "pods")) == pod)
    }

    @Test func missingTemplates() {
        // Only a ReplicationController's template is optional; the others are empty templates, which pass every check.
        #expect(PodSecurityAdmission.podTemplate(in: ["spec": [:]], resource: GroupResource(group: "", resource: "replicationcontrollers")) == nil)
        #expect(PodSecurityAdmission.podTemplate(in: ["spec": [:]], resource: GroupResource(group: "apps", resource: "deployments")) == .emptyObject)
        #expect(PodSecurityAdmission.podTemplate(in: ["spec": [:]], resource: GroupResource(group: "", resource: "services")) == nil)
        #expect(!PodSecurityAdmission.podTemplateResources.contains(GroupResource(group: "", resource: "services")))
        #expect(PodSecurityStandards.evaluate(.emptyObject, at: LevelVersion(.restricted)) == [])
    }
}
