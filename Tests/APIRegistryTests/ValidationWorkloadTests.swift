import APIMachinery
import Testing

@testable import APIRegistry

/// Deployments, StatefulSets, DaemonSets, Jobs and CronJobs, with Kubernetes 1.32's messages.
@Suite struct ValidationWorkloadTests {
    static func lines(_ json: String, group: String, kind: String) throws -> [String] {
        try ValidationTests.lines(json, group: group, kind: kind)
    }

    static func deployment(_ spec: String) -> String {
        #"{"metadata":{"name":"web","namespace":"default"},"spec":\#(spec)}"#
    }

    static let template = #""template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx:1.25"}]}}"#

    @Test func missingImageInTemplate() throws {
        let lines = try Self.lines(
            Self.deployment(#"{"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web"}]}}}"#),
            group: "apps", kind: "Deployment")
        #expect(lines == ["spec.template.spec.containers[0].image: Required value"])
    }

    @Test func selectorMustMatchTemplate() throws {
        let lines = try Self.lines(
            Self.deployment(#"{"selector":{"matchLabels":{"app":"api"}},"template":{"metadata":{"labels":{"app":"web","tier":"front"}},"spec":{"containers":[{"name":"web","image":"nginx"}]}}}"#),
            group: "apps", kind: "Deployment")
        #expect(
            lines == [#"spec.template.metadata.labels: Invalid value: map[string]string{"app":"web", "tier":"front"}: `selector` does not match template `labels`"#])
    }

    @Test func emptySelectorAndNegativeReplicas() throws {
        let lines = try Self.lines(Self.deployment(#"{"replicas":-1,"selector":{},\#(Self.template)}"#), group: "apps", kind: "Deployment")
        #expect(
            lines == [
                "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
                "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment",
            ])
    }

    @Test func deploymentStrategyAndTemplateRules() throws {
        let lines = try Self.lines(
            Self.deployment(
                #"{"selector":{"matchLabels":{"app":"web"}},"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":0,"maxSurge":"0%"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"restartPolicy":"OnFailure","containers":[{"name":"web","image":"nginx"}]}}}"#),
            group: "apps", kind: "Deployment")
        #expect(
            lines == [
                #"spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always""#,
                #"spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0"#,
            ])
        let recreate = try Self.lines(
            Self.deployment(#"{"selector":{"matchLabels":{"app":"web"}},"strategy":{"type":"Recreate","rollingUpdate":{}},\#(Self.template)}"#),
            group: "apps", kind: "Deployment")
        #expect(recreate == ["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"])
        let percent = try Self.lines(
            Self.deployment(#"{"selector":{"matchLabels":{"app":"web"}},"strategy":{"rollingUpdate":{"maxUnavailable":"150%","maxSurge":"x"}},\#(Self.template)}"#),
            group: "apps", kind: "Deployment")
        #expect(
            percent == [
                #"spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"x"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"#,
                #"spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "150%": must not be greater than 100%"#,
            ])
    }

    @Test func statefulSetAndDaemonSetRules() throws {
        let statefulSet = try Self.lines(
            #"{"metadata":{"name":"db","namespace":"default"},"spec":{"podManagementPolicy":"Random","selector":{"matchLabels":{"app":"web"}},\#(Self.template)}}"#,
            group: "apps", kind: "StatefulSet")
        #expect(statefulSet == [#"spec.podManagementPolicy: Invalid value: "Random": must be 'OrderedReady' or 'Parallel'"#])
        let daemonSet = try Self.lines(
            #"{"metadata":{"name":"agent","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"web"}},"updateStrategy":{"rollingUpdate":{"maxUnavailable":0,"maxSurge":0}},\#(Self.template)}}"#,
            group: "apps", kind: "DaemonSet")
        #expect(daemonSet == ["spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0"])
    }

    @Test func jobRestartPolicyMustBeChosen() throws {
        let lines = try Self.lines(
            #"{"metadata":{"name":"pi","namespace":"default"},"spec":{"template":{"spec":{"containers":[{"name":"pi","image":"perl:5.34.0"}]}}}}"#,
            group: "batch", kind: "Job")
        #expect(lines == [#"spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never""#])
        let explicit = try Self.lines(
            #"{"metadata":{"name":"pi","namespace":"default"},"spec":{"backoffLimit":-1,"completionMode":"Indexed","completions":null,"parallelism":2,"template":{"spec":{"restartPolicy":"Always","containers":[{"name":"pi","image":"perl"}]}}}}"#,
            group: "batch", kind: "Job")
        #expect(
            explicit == [
                "spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0",
                "spec.completions: Required value: when completion mode is Indexed",
                #"spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never""#,
            ])
    }

    @Test func jobWithManualSelectorNeedsOne() throws {
        let lines = try Self.lines(
            #"{"metadata":{"name":"pi","namespace":"default"},"spec":{"manualSelector":true,"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"pi","image":"perl"}]}}}}"#,
            group: "batch", kind: "Job")
        #expect(lines == ["spec.selector: Required value"])
    }

    static func cronJob(_ schedule: String, name: String = "hello", extra: String = "") -> String {
        #"{"metadata":{"name":"\#(name)","namespace":"default"},"spec":{"schedule":"\#(schedule)"\#(extra),"jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"OnFailure","containers":[{"name":"hello","image":"busybox:1.28"}]}}}}}}"#
    }

    @Test(arguments: ["*/5 * * * *", "0 0 * * MON-FRI", "@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@annually", "@midnight", "@every 1h30m", "0 9-17/2 1,15 jan-jun ?"])
    func validSchedules(_ schedule: String) throws {
        #expect(try Self.lines(Self.cronJob(schedule), group: "batch", kind: "CronJob") == [])
    }

    @Test(arguments: [
        ("* * *", "expected exactly 5 fields, found 3: [* * *]"),
        ("61 * * * *", "end of range (61) above maximum (59): 61"),
        ("0 0 * * 7", "end of range (7) above maximum (6): 7"),
        ("0 0 0 * *", "beginning of range (0) below minimum (1): 0"),
        ("x * * * *", #"failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax"#),
        ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
        ("*/0 * * * *", "step of range should be a positive number: */0"),
        ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
        ("@fortnightly", "unrecognized descriptor: @fortnightly"),
    ])
    func invalidSchedules(schedule: String, message: String) throws {
        #expect(
            try Self.lines(Self.cronJob(schedule), group: "batch", kind: "CronJob") == [#"spec.schedule: Invalid value: "\#(schedule)": \#(message)"#])
    }

    @Test func cronJobRules() throws {
        #expect(
            try Self.lines(Self.cronJob("TZ=UTC 0 * * * *"), group: "batch", kind: "CronJob")
                == [#"spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead"#])
        let name = String(repeating: "c", count: 53)
        #expect(
            try Self.lines(Self.cronJob("@daily", name: name), group: "batch", kind: "CronJob")
                == [#"metadata.name: Invalid value: "\#(name)": must be no more than 52 characters"#])
        #expect(
            try Self.lines(Self.cronJob("@daily", extra: #","concurrencyPolicy":"Sometimes""#), group: "batch", kind: "CronJob")
                == [#"spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace""#])
        #expect(try Self.lines(Self.cronJob("@daily", extra: #","timeZone":"Europe/Berlin""#), group: "batch", kind: "CronJob") == [])
        #expect(try ValidationTests.lines(#"{"metadata":{"name":"c","namespace":"default"},"spec":{}}"#, group: "batch", kind: "CronJob").first == "spec.schedule: Required value")
    }
}
