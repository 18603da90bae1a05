import APIMachinery
import Testing

@testable import APIRegistry

/// The Kubernetes objects found in the project's seed documents (`/work/shared/seeds`), as JSON, and what
/// defaulting then validation make of them.
@Suite struct ValidationSeedTests {
    static let seeds: [String] = [
        #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"frontend-deployment"},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"frontend"}},"template":{"metadata":{"labels":{"app":"frontend"}},"spec":{"containers":[{"name":"frontend","image":"myrepo/frontend:latest","ports":[{"containerPort":80}]}]}}}}"#,
        #"{"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler","metadata":{"name":"frontend-hpa"},"spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"frontend-deployment"},"minReplicas":3,"maxReplicas":10,"targetCPUUtilizationPercentage":50}}"#,
        #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"app-config"},"data":{"DATABASE_URL":"postgres://admin:secret@db:5432/ecommerce"}}"#,
        #"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"app-secret"},"type":"Opaque","data":{"API_KEY":"YXBpa2V5X3ZhbHVlCg=="}}"#,
        #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"backend-deployment"},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"backend"}},"template":{"metadata":{"labels":{"app":"backend"}},"spec":{"containers":[{"name":"backend","image":"myrepo/backend:latest","env":[{"name":"DATABASE_URL","valueFrom":{"configMapKeyRef":{"name":"app-config","key":"DATABASE_URL"}}},{"name":"API_KEY","valueFrom":{"secretKeyRef":{"name":"app-secret","key":"API_KEY"}}}]}]}}}}"#,
        #"{"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"pv-volume"},"spec":{"capacity":{"storage":"10Gi"},"accessModes":["ReadWriteOnce"],"hostPath":{"path":"/mnt/data"}}}"#,
        #"{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"pvc-claim"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"10Gi"}}}}"#,
        #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"database-deployment"},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"database"}},"template":{"metadata":{"labels":{"app":"database"}},"spec":{"containers":[{"name":"database","image":"postgres:13","volumeMounts":[{"mountPath":"/var/lib/postgresql/data","name":"db-storage"}]}],"volumes":[{"name":"db-storage","persistentVolumeClaim":{"claimName":"pvc-claim"}}]}}}}"#,
        #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"backend-deployment"},"spec":{"replicas":3,"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":1,"maxSurge":1}},"selector":{"matchLabels":{"app":"backend"}},"template":{"metadata":{"labels":{"app":"backend"}},"spec":{"containers":[{"name":"backend","image":"myrepo/backend:latest","ports":[{"containerPort":5000}]}]}}}}"#,
        #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"backend-service"},"spec":{"selector":{"app":"backend"},"ports":[{"protocol":"TCP","port":80,"targetPort":5000}]}}"#,
        #"{"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"app-ingress"},"spec":{"rules":[{"host":"myapp.example.com","http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":"backend-service","port":{"number":80}}}}]}}]}}"#,
        #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"prometheus-deployment"},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"prometheus"}},"template":{"metadata":{"labels":{"app":"prometheus"}},"spec":{"containers":[{"name":"prometheus","image":"prom/prometheus:latest","ports":[{"containerPort":9090}],"volumeMounts":[{"name":"config-volume","mountPath":"/etc/prometheus/"}]}],"volumes":[{"name":"config-volume","configMap":{"name":"prometheus-config"}}]}}}}"#,
        #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"grafana-deployment"},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"grafana"}},"template":{"metadata":{"labels":{"app":"grafana"}},"spec":{"containers":[{"name":"grafana","image":"grafana/grafana:latest","ports":[{"containerPort":3000}]}]}}}}"#,
        #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"myapp-pod","labels":{"app":"myapp","type":"front-end"}},"spec":{"containers":[{"name":"nginx-container","image":"nginx"}]}}"#,
        #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"prod"}}"#,
        #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"my-nginx-pod","labels":{"app":"nginx"}},"spec":{"containers":[{"name":"nginx-container","image":"nginx","ports":[{"containerPort":80,"protocol":"TCP"}],"env":[{"name":"ENVIRONMENT","value":"production"}],"command":["nginx","-g","daemon off;"]}]}}"#,
        #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"my-flask-app"},"spec":{"initContainers":[{"name":"init-db","image":"busybox","command":["sh","-c","echo Initializing DB... && sleep 5"]}],"containers":[{"name":"flask-container","image":"python:3.8","command":["python","app.py"]}]}}"#,
        #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"myapp-deployment"},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"myapp"}},"template":{"metadata":{"labels":{"app":"myapp"}},"spec":{"containers":[{"name":"myapp-container","image":"nginx","ports":[{"containerPort":80}]}]}}}}"#,
        #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"myapp-service"},"spec":{"selector":{"app":"myapp"},"ports":[{"protocol":"TCP","port":80,"targetPort":80}],"type":"ClusterIP"}}"#,
        #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"headless-service"},"spec":{"clusterIP":"None","selector":{"app":"messaging"},"ports":[{"port":9092,"protocol":"TCP"}]}}"#,
        #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"multi-container-service"},"spec":{"selector":{"app":"multi-container"},"ports":[{"protocol":"TCP","port":8080,"targetPort":8081}]}}"#,
        #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"flask-app","labels":{"app":"flask-app"}},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"flask-app"}},"template":{"metadata":{"labels":{"app":"flask-app"}},"spec":{"containers":[{"name":"flask-app","image":"flask:latest","ports":[{"containerPort":5000}],"resources":{"requests":{"memory":"64Mi","cpu":"250m"},"limits":{"memory":"128Mi","cpu":"500m"}}}]}}}}"#,
        #"{"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler","metadata":{"name":"flask-app-hpa"},"spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"flask-app"},"minReplicas":2,"maxReplicas":10,"metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":50}}}]}}"#,
        #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"flask-config"},"data":{"APP_ENV":"production","DEBUG":"false","APP_PORT":"5000"}}"#,
        #"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"flask-secrets"},"type":"Opaque","data":{"DB_USER":"YWRtaW4=","DB_PASS":"c2VjdXJlcGFzcw=="}}"#,
        #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"flask-app"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"flask-app"}},"template":{"metadata":{"labels":{"app":"flask-app"}},"spec":{"containers":[{"name":"flask-app","image":"flask:latest","ports":[{"containerPort":5000}],"envFrom":[{"configMapRef":{"name":"flask-config"}},{"secretRef":{"name":"flask-secrets"}}],"resources":{"requests":{"memory":"64Mi","cpu":"250m"},"limits":{"memory":"128Mi","cpu":"500m"}},"livenessProbe":{"httpGet":{"path":"/healthz","port":5000},"initialDelaySeconds":10,"periodSeconds":5},"readinessProbe":{"httpGet":{"path":"/readyz","port":5000},"initialDelaySeconds":5,"periodSeconds":5}}]}}}}"#,
        #"{"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler","metadata":{"name":"flask-app-hpa"},"spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"flask-app"},"minReplicas":2,"maxReplicas":10,"metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":50}}}]}}"#,
        #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"flask-service"},"spec":{"selector":{"app":"flask-app"},"type":"LoadBalancer","ports":[{"protocol":"TCP","port":80,"targetPort":5000}]}}"#,
        #"{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"mysql"},"spec":{"serviceName":"mysql","replicas":3,"selector":{"matchLabels":{"app":"mysql"}},"template":{"metadata":{"labels":{"app":"mysql"}},"spec":{"containers":[{"name":"mysql","image":"mysql:5.7","ports":[{"containerPort":3306}],"volumeMounts":[{"name":"mysql-data","mountPath":"/var/lib/mysql"}]}]}},"volumeClaimTemplates":[{"metadata":{"name":"mysql-data"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}]}}"#,
        #"{"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"my-app-ingress","annotations":{"nginx.ingress.kubernetes.io/rewrite-target":"/"}},"spec":{"rules":[{"host":"my-app.example.com","http":{"paths":[{"path":"/service1","pathType":"Prefix","backend":{"service":{"name":"service1","port":{"number":80}}}},{"path":"/service2","pathType":"Prefix","backend":{"service":{"name":"service2","port":{"number":80}}}}]}}]}}"#,
        #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"dev-pod","namespace":"dev"},"spec":{"containers":[{"name":"nginx","image":"nginx"}]}}"#,
        #"{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"allow-app-to-db"},"spec":{"podSelector":{"matchLabels":{"role":"db"}},"ingress":[{"from":[{"podSelector":{"matchLabels":{"role":"app"}}}]}],"policyTypes":["Ingress"]}}"#,
        #"{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"restrict-app-egress"},"spec":{"podSelector":{"matchLabels":{"role":"app"}},"egress":[{"to":[{"podSelector":{"matchLabels":{"role":"db"}}}]}],"policyTypes":["Egress"]}}"#,
        #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"user-service"},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"user-service"}},"template":{"metadata":{"labels":{"app":"user-service"}},"spec":{"containers":[{"name":"user-service","image":"myrepo/user-service:latest","ports":[{"containerPort":8080}]}]}}}}"#,
        #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"user-service"},"spec":{"type":"ClusterIP","ports":[{"port":8080,"targetPort":8080}],"selector":{"app":"user-service"}}}"#,
        #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"nginx-pod","labels":{"app":"nginx"}},"spec":{"containers":[{"name":"nginx","image":"nginx:1.25-alpine","ports":[{"containerPort":80}]}]}}"#,
        #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"nginx-deployment"},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"nginx"}},"template":{"metadata":{"labels":{"app":"nginx"}},"spec":{"containers":[{"name":"nginx","image":"nginx:1.25-alpine","ports":[{"containerPort":80}],"resources":{"requests":{"memory":"64Mi","cpu":"250m"},"limits":{"memory":"128Mi","cpu":"500m"}}}]}}}}"#,
        #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"nginx-service"},"spec":{"type":"LoadBalancer","selector":{"app":"nginx"},"ports":[{"port":80,"targetPort":80}]}}"#,
        #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"app-config"},"data":{"DATABASE_HOST":"postgres.default.svc.cluster.local","DATABASE_PORT":"5432","LOG_LEVEL":"info"}}"#,
        #"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db-secret"},"type":"Opaque","stringData":{"username":"admin","password":"supersecret123"}}"#,
        #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"postgres"},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"postgres"}},"template":{"metadata":{"labels":{"app":"postgres"}},"spec":{"containers":[{"name":"postgres","image":"postgres:15-alpine","env":[{"name":"POSTGRES_PASSWORD","valueFrom":{"secretKeyRef":{"name":"db-secret","key":"password"}}},{"name":"POSTGRES_DB","value":"myapp"}],"ports":[{"containerPort":5432}],"volumeMounts":[{"name":"postgres-storage","mountPath":"/var/lib/postgresql/data"}]}],"volumes":[{"name":"postgres-storage","persistentVolumeClaim":{"claimName":"postgres-pvc"}}]}}}}"#,
        #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"postgres"},"spec":{"selector":{"app":"postgres"},"ports":[{"port":5432,"targetPort":5432}]}}"#,
        #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"api"},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"api"}},"template":{"metadata":{"labels":{"app":"api"}},"spec":{"containers":[{"name":"api","image":"myregistry.azurecr.io/myapi:1.2.3","ports":[{"containerPort":3000}],"env":[{"name":"DATABASE_URL","value":"postgresql://postgres:5432/myapp"},{"name":"DB_PASSWORD","valueFrom":{"secretKeyRef":{"name":"db-secret","key":"password"}}}],"resources":{"requests":{"memory":"128Mi","cpu":"250m"},"limits":{"memory":"256Mi","cpu":"500m"}},"livenessProbe":{"httpGet":{"path":"/health","port":3000},"initialDelaySeconds":30,"periodSeconds":10},"readinessProbe":{"httpGet":{"path":"/ready","port":3000},"initialDelaySeconds":5,"periodSeconds":5}}]}}}}"#,
        #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"api"},"spec":{"type":"LoadBalancer","selector":{"app":"api"},"ports":[{"port":80,"targetPort":3000}]}}"#,
        #"{"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler","metadata":{"name":"api-hpa"},"spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"api"},"minReplicas":3,"maxReplicas":10,"metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":70}}},{"type":"Resource","resource":{"name":"memory","target":{"type":"Utilization","averageUtilization":80}}}]}}"#,
    ]

    static func object(_ text: String) throws -> JSONValue {
        try JSONValue.parse(text)
    }

    static func groupAndKind(_ object: JSONValue) -> (String, String) {
        let group = GroupVersion(apiVersion: object["apiVersion"]?.stringValue ?? "").group
        return (group, object["kind"]?.stringValue ?? "")
    }

    static let clusterScoped: Set<String> = ["Namespace", "PersistentVolume"]

    @Test(arguments: seeds)
    func seedValidatesCleanAfterDefaulting(_ text: String) throws {
        var object = try Self.object(text)
        let (group, kind) = Self.groupAndKind(object)
        let namespaced = !Self.clusterScoped.contains(kind)
        if namespaced && object[path: "metadata", "namespace"] == nil {
            object[path: "metadata", "namespace"] = "default"
        }
        Defaulting.apply(to: &object, group: group, kind: kind)
        let causes = Validation.validateCreate(object, group: group, kind: kind, namespaced: namespaced)
        #expect(causes.isEmpty, "\(kind) \(object[path: "metadata", "name"]?.stringValue ?? ""): \(causes.map(\.line))")
    }

    @Test(arguments: seeds)
    func defaultingIsIdempotent(_ text: String) throws {
        var object = try Self.object(text)
        let (group, kind) = Self.groupAndKind(object)
        Defaulting.apply(to: &object, group: group, kind: kind)
        var again = object
        Defaulting.apply(to: &again, group: group, kind: kind)
        #expect(again == object)
    }

    @Test(arguments: seeds)
    func unchangedSeedPassesUpdateValidation(_ text: String) throws {
        var object = try Self.object(text)
        let (group, kind) = Self.groupAndKind(object)
        let namespaced = !Self.clusterScoped.contains(kind)
        if namespaced { object[path: "metadata", "namespace"] = "default" }
        Defaulting.apply(to: &object, group: group, kind: kind)
        let causes = Validation.validateUpdate(object, old: object, group: group, kind: kind, namespaced: namespaced)
        #expect(causes.isEmpty, "\(causes.map(\.line))")
    }

    /// The last Deployment in the seeds leaves out its selector, which Kubernetes rejects with two causes.
    @Test func seedDeploymentWithoutSelectorIsRejectedLikeKubernetes() throws {
        var object = try Self.object(
            #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"api","namespace":"default"},"spec":{"replicas":5,"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1,"maxUnavailable":1}},"template":{"spec":{"containers":[{"name":"api","image":"myapi:1.2.3"}]}}}}"#)
        Defaulting.apply(to: &object, group: "apps", kind: "Deployment")
        let causes = Validation.validateCreate(object, group: "apps", kind: "Deployment", namespaced: true)
        let error = APIError.invalid(kind: "Deployment", group: "apps", name: "api", causes: causes)
        #expect(
            error.message
                == "Deployment.apps \"api\" is invalid: [spec.selector: Required value, spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`]"
        )
        #expect(causes.map(\.type) == ["FieldValueRequired", "FieldValueInvalid"])
    }
}
