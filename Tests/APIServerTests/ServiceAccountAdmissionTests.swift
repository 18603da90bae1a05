import APIMachinery
import Testing

@testable import APIServer

@Suite("ServiceAccount admission")
struct ServiceAccountAdmissionTests {
    static let account: JSONValue = ["metadata": ["name": "default", "namespace": "dev"]]

    static func pod(_ spec: JSONValue) -> JSONValue {
        ["metadata": ["name": "web", "namespace": "dev"], "spec": spec]
    }

    @Test func podsRunAsDefaultUnlessTheyNameAnAccount() {
        #expect(ServiceAccountAdmission.accountName(of: Self.pod(["containers": []])) == "default")
        #expect(ServiceAccountAdmission.accountName(of: Self.pod(["serviceAccount": "old"])) == "old")
        #expect(ServiceAccountAdmission.accountName(of: Self.pod(["serviceAccountName": "new", "serviceAccount": "old"])) == "new")
    }

    @Test func everyContainerMountsTheAPIAccessVolume() {
        var pod = Self.pod([
            "initContainers": [["name": "setup", "image": "busybox"]],
            "containers": [["name": "app", "image": "nginx", "volumeMounts": [["name": "data", "mountPath": "/data"]]]],
            "volumes": [["name": "data", "emptyDir": .emptyObject]],
        ])
        ServiceAccountAdmission.admitNewPod(&pod, account: Self.account, newVolumeName: "kube-api-access-x7k2p")
        #expect(pod[path: "spec", "serviceAccountName"] == "default")
        #expect(pod[path: "spec", "serviceAccount"] == "default")
        let mount: JSONValue = ["name": "kube-api-access-x7k2p", "readOnly": true, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"]
        #expect(element(pod[path: "spec", "initContainers"], 0)?["volumeMounts"] == [mount])
        #expect(element(pod[path: "spec", "containers"], 0)?["volumeMounts"] == [["name": "data", "mountPath": "/data"], mount])
        let volumes = pod[path: "spec", "volumes"]?.arrayValue ?? []
        #expect(volumes.count == 2)
        #expect(volumes.last == ServiceAccountAdmission.apiAccessVolume(named: "kube-api-access-x7k2p"))
        #expect(volumes.last?[path: "projected", "defaultMode"] == 420)
        #expect(element(volumes.last?[path: "projected", "sources"], 0) == ["serviceAccountToken": ["expirationSeconds": 3607, "path": "token"]])
        #expect(element(volumes.last?[path: "projected", "sources"], 1)?[path: "configMap", "name"] == "kube-root-ca.crt")
        #expect(element(element(volumes.last?[path: "projected", "sources"], 2)?[path: "downwardAPI", "items"], 0)?["path"] == "namespace")
    }

    @Test func aContainerWithItsOwnMountThereKeepsIt() {
        let own: JSONValue = ["name": "mine", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"]
        var pod = Self.pod([
            "containers": [["name": "app", "volumeMounts": [own]]], "volumes": [["name": "mine", "secret": ["secretName": "s"]]],
        ])
        ServiceAccountAdmission.admitNewPod(&pod, account: Self.account, newVolumeName: "kube-api-access-abcde")
        #expect(element(pod[path: "spec", "containers"], 0)?["volumeMounts"] == [own])
        #expect(pod[path: "spec", "volumes"]?.arrayValue?.count == 1)
    }

    @Test func anExistingAPIAccessVolumeIsReused() {
        var pod = Self.pod([
            "containers": [["name": "app"]], "volumes": [ServiceAccountAdmission.apiAccessVolume(named: "kube-api-access-old12")],
        ])
        ServiceAccountAdmission.admitNewPod(&pod, account: Self.account, newVolumeName: "kube-api-access-new34")
        #expect(element(element(pod[path: "spec", "containers"], 0)?["volumeMounts"], 0)?["name"] == "kube-api-access-old12")
        #expect(pod[path: "spec", "volumes"]?.arrayValue?.count == 1)
    }

    @Test func thePodsChoiceWinsOverTheAccounts() {
        let optedOut: JSONValue = ["metadata": ["name": "default"], "automountServiceAccountToken": false]
        var pod = Self.pod(["containers": [["name": "app"]]])
        ServiceAccountAdmission.admitNewPod(&pod, account: optedOut, newVolumeName: "kube-api-access-abcde")
        #expect(pod[path: "spec", "volumes"] == nil)
        #expect(element(pod[path: "spec", "containers"], 0)?["volumeMounts"] == nil)

        var optedIn = Self.pod(["containers": [["name": "app"]], "automountServiceAccountToken": true])
        ServiceAccountAdmission.admitNewPod(&optedIn, account: optedOut, newVolumeName: "kube-api-access-abcde")
        #expect(optedIn[path: "spec", "volumes"]?.arrayValue?.count == 1)

        var podOptedOut = Self.pod(["containers": [["name": "app"]], "automountServiceAccountToken": false])
        ServiceAccountAdmission.admitNewPod(&podOptedOut, account: Self.account, newVolumeName: "kube-api-access-abcde")
        #expect(podOptedOut[path: "spec", "volumes"] == nil)
    }

    @Test func theAccountsPullSecretsGoToPodsWithoutAny() {
        let account: JSONValue = ["metadata": ["name": "default"], "imagePullSecrets": [["name": "registry"]]]
        var pod = Self.pod(["containers": [["name": "app"]]])
        ServiceAccountAdmission.admitNewPod(&pod, account: account, newVolumeName: "kube-api-access-abcde")
        #expect(pod[path: "spec", "imagePullSecrets"] == [["name": "registry"]])

        var own = Self.pod(["containers": [["name": "app"]], "imagePullSecrets": [["name": "mine"]]])
        ServiceAccountAdmission.admitNewPod(&own, account: account, newVolumeName: "kube-api-access-abcde")
        #expect(own[path: "spec", "imagePullSecrets"] == [["name": "mine"]])
    }

    @Test func aMissingAccountIsForbiddenWithKubernetesMessage() {
        let error = ServiceAccountAdmission.missingAccount(namespace: "dev", name: "builder", admissionName: "web")
        #expect(error.code == 403)
        #expect(error.message == #"pods "web" is forbidden: error looking up service account dev/builder: serviceaccount "builder" not found"#)
    }

    private func element(_ array: JSONValue?, _ index: Int) -> JSONValue? {
        guard let items = array?.arrayValue, items.indices.contains(index) else { return nil }
        return items[index]
    }
}
