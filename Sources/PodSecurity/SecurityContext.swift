import APIMachinery

/// A pod's or a container's `securityContext`, as far as the checks read it; a nil field was not set. The pod-level
/// context has no `privileged`, `allowPrivilegeEscalation`, `capabilities` or `procMount`; the container-level one
/// has no `sysctls`.
struct SecurityContext {
    let json: JSONValue

    /// Nil when the context is missing or null.
    init?(_ json: JSONValue?) {
        guard let json, json.objectValue != nil else { return nil }
        self.json = json
    }

    var privileged: Bool? { json["privileged"]?.boolValue }
    var allowPrivilegeEscalation: Bool? { json["allowPrivilegeEscalation"]?.boolValue }
    var runAsNonRoot: Bool? { json["runAsNonRoot"]?.boolValue }
    var runAsUser: Int64? { json["runAsUser"]?.integerValue }
    var procMount: String? { json["procMount"]?.stringValue }
    var windowsHostProcess: Bool? { json[path: "windowsOptions", "hostProcess"]?.boolValue }
    var sysctlNames: [String] { (json["sysctls"]?.arrayValue ?? []).map { $0["name"]?.stringValue ?? "" } }

    /// The `capabilities` object, nil when not set.
    var capabilities: (add: [String], drop: [String])? {
        guard let capabilities = json["capabilities"], capabilities.objectValue != nil else { return nil }
        return (Self.strings(capabilities["add"]), Self.strings(capabilities["drop"]))
    }

    /// `seccompProfile.type`: nil when no profile is set, empty when one is set without a type.
    var seccompProfileType: String? { profileType(json["seccompProfile"]) }
    /// `appArmorProfile.type`: nil when no profile is set, empty when one is set without a type.
    var appArmorProfileType: String? { profileType(json["appArmorProfile"]) }

    /// `seLinuxOptions`, nil when not set; fields it leaves out are empty.
    var seLinuxOptions: SELinuxOptions? {
        guard let options = json["seLinuxOptions"], options.objectValue != nil else { return nil }
        return SELinuxOptions(type: options["type"]?.stringValue ?? "", user: options["user"]?.stringValue ?? "", role: options["role"]?.stringValue ?? "")
    }

    struct SELinuxOptions {
        var type: String
        var user: String
        var role: String
    }

    private func profileType(_ profile: JSONValue?) -> String? {
        guard let profile, profile.objectValue != nil else { return nil }
        return profile["type"]?.stringValue ?? ""
    }

    private static func strings(_ list: JSONValue?) -> [String] { (list?.arrayValue ?? []).compactMap(\.stringValue) }
}
