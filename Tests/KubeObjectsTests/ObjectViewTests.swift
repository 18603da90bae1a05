import APIMachinery
import KubeObjects
import Testing

@Suite("object views")
struct ObjectViewTests {
    @Test func metadataReadsNamesLabelsOwnersAndDeletion() {
        let object: JSONValue = [
            "metadata": [
                "name": "web-1", "namespace": "shop", "uid": "u1", "labels": ["app": "web", "odd": 3],
                "ownerReferences": [
                    ["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": "u0", "controller": true, "blockOwnerDeletion": true],
                    ["apiVersion": "v1", "kind": "Node", "name": "n1", "uid": "u2"], ["kind": "Broken"],
                ],
                "deletionTimestamp": "2026-12-06T00:00:00Z",
            ]
        ]
        let metadata = object.metadata
        #expect(metadata.name == "web-1" && metadata.namespace == "shop" && metadata.uid == "u1")
        #expect(metadata.labels == ["app": "web"], "a label that is not a string is not a label")
        #expect(metadata.ownerReferences.count == 2, "an entry without a name and uid is no reference")
        #expect(metadata.controllerRef == OwnerReference(apiVersion: "apps/v1", kind: "ReplicaSet", name: "web", uid: "u0", controller: true, blockOwnerDeletion: true))
        #expect(metadata.controller(kind: "ReplicaSet", apiVersion: "apps/v1")?.name == "web")
        #expect(metadata.controller(kind: "Deployment") == nil)
        #expect(metadata.isDeleting)
        let bare = JSONValue.emptyObject.metadata
        #expect(bare.name == "" && bare.namespace == nil && bare.labels.isEmpty && bare.controllerRef == nil && !bare.isDeleting)
    }

    @Test func aPodsLeftOutFieldsReadAsKubernetesDefaultsThem() {
        let pod = Pod(["spec": ["containers": [["name": "app", "ports": [["name": "http", "containerPort": 8080]]]]]])
        #expect(pod.spec.schedulerName == "default-scheduler")
        #expect(pod.spec.restartPolicy == "Always")
        #expect(pod.spec.terminationGracePeriodSeconds == 30)
        #expect(pod.spec.nodeName == nil && !pod.spec.hostNetwork)
        #expect(pod.spec.containers.first?.ports.first?.protocol == "TCP")
        #expect(pod.status.phase == nil && !pod.isReady && !pod.isFinished)
        let running = Pod([
            "status": ["phase": "Running", "podIP": "10.42.0.7", "conditions": [["type": "Ready", "status": "True"], ["type": "PodScheduled", "status": "True"]]]
        ])
        #expect(running.isReady && running.status.podIP == "10.42.0.7")
        #expect(running.status.conditions["PodScheduled"]?.isTrue == true && running.status.conditions["Initialized"] == nil)
        #expect(Pod(["status": ["phase": "Failed"]]).isFinished)
    }

    @Test func aServicesTargetPortDefaultsToItsPortAndNamesAContainerPort() {
        let service = Service([
            "spec": [
                "clusterIP": "None", "selector": [:],
                "ports": [["port": 80], ["name": "web", "port": 443, "targetPort": "https", "protocol": "UDP"], ["port": 81, "targetPort": "8081"]],
            ]
        ])
        #expect(service.spec.type == "ClusterIP" && service.isHeadless)
        #expect(service.spec.selector == nil, "an empty selector selects nothing: the endpoints are the user's")
        let ports = service.spec.ports
        #expect(ports[0].targetPort == .number(80) && ports[0].protocol == "TCP" && ports[0].name == "")
        #expect(ports[1].targetPort == .name("https") && ports[1].protocol == "UDP")
        #expect(ports[2].targetPort == .number(8081))
    }
}

@Suite("storage views")
struct StorageViewTests {
    @Test func aClaimIsPendingUntilBoundAndAVolumeNamesItsPath() {
        let claim = PersistentVolumeClaim(["spec": ["resources": ["requests": ["storage": "1Gi"]], "accessModes": ["ReadWriteOnce"]]])
        #expect(claim.phase == "Pending" && claim.volumeName == nil && claim.requestedStorage == Quantity("1Gi"))
        #expect(claim.accessModes == ["ReadWriteOnce"])
        let bound = PersistentVolumeClaim(["spec": ["volumeName": "pv-1"], "status": ["phase": "Bound"]])
        #expect(bound.volumeName == "pv-1" && bound.phase == "Bound")
        let hostPath = PersistentVolume(["spec": ["hostPath": ["path": "/srv/data"], "claimRef": ["namespace": "shop", "name": "data"]]])
        #expect(hostPath.hostPath?.path == "/srv/data" && hostPath.hostPath?.type == "DirectoryOrCreate")
        #expect(hostPath.claimRef?.namespace == "shop" && hostPath.claimRef?.name == "data")
        #expect(PersistentVolume(["spec": ["local": ["path": "/mnt/disk"]]]).localPath == "/mnt/disk")
    }
}
