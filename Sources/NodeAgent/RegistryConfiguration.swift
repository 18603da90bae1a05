import Foundation
import Yams

/// Where images come from, in k3s' `registries.yaml` format (`--private-registry`): per registry a list of mirror
/// endpoints tried in order before the registry itself, and per host the TLS settings and credentials to use, e.g.
///
///     mirrors:
///       docker.io:
///         endpoint: ["http://127.0.0.1:5000"]
///     configs:
///       "127.0.0.1:5000":
///         tls: {insecure_skip_verify: true}
///         auth: {username: ci, password: secret}
///
/// Rendered as containerd's `certs.d/<registry>/hosts.toml` files; credentials go in containerd's CRI config.
struct RegistryConfiguration: Sendable, Equatable {
    struct HostSettings: Sendable, Equatable {
        var username: String?
        var password: String?
        /// `auth`: base64 of `username:password`.
        var auth: String?
        var identityToken: String?
        var caFile: String?
        var certFile: String?
        var keyFile: String?
        var insecureSkipVerify = false
    }

    struct Error: Swift.Error, Equatable, CustomStringConvertible {
        var description: String
    }

    /// Mirror endpoints per registry host (`docker.io`, or `*` for every registry).
    var mirrors: [String: [String]] = [:]
    var hosts: [String: HostSettings] = [:]

    init(mirrors: [String: [String]] = [:], hosts: [String: HostSettings] = [:]) {
        self.mirrors = mirrors
        self.hosts = hosts
    }

    init(yaml: String) throws(Error) {
        let document: Any?
        do {
            // Every scalar read as a string, as k3s reads this file into string fields: a numeric password stays a
            // password. (Yams' default resolver would also compile its regular expressions, which wakes ICU and
            // costs the agent a few megabytes of memory for good.)
            document = try Yams.load(yaml: yaml, .basic)
        } catch {
            throw Error(description: "registries file is not valid YAML: \(error)")
        }
        guard let root = document as? [String: Any] else {
            if document == nil { return }
            throw Error(description: "registries file must be a mapping with `mirrors` and `configs`")
        }
        for (registry, value) in root["mirrors"] as? [String: Any] ?? [:] {
            let endpoints = (value as? [String: Any])?["endpoint"] as? [Any] ?? []
            mirrors[registry] = endpoints.compactMap { $0 as? String }
        }
        for (host, value) in root["configs"] as? [String: Any] ?? [:] {
            let config = value as? [String: Any] ?? [:]
            let auth = config["auth"] as? [String: Any] ?? [:]
            let tls = config["tls"] as? [String: Any] ?? [:]
            hosts[host] = HostSettings(
                username: auth["username"] as? String, password: auth["password"] as? String, auth: auth["auth"] as? String,
                identityToken: auth["identitytoken"] as? String, caFile: tls["ca_file"] as? String, certFile: tls["cert_file"] as? String,
                keyFile: tls["key_file"] as? String, insecureSkipVerify: Self.isTrue(tls["insecure_skip_verify"]))
        }
    }

    /// YAML's spellings of true (1.1's `yes`/`on` too, which k3s' YAML reader accepts).
    static func isTrue(_ value: Any?) -> Bool {
        ["true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y"].contains(value as? String ?? "")
    }

    /// The registry's own endpoint, tried after its mirrors (Docker Hub's is not `docker.io`).
    static func upstream(of registry: String) -> String {
        registry == "docker.io" ? "https://registry-1.docker.io" : "https://\(registry)"
    }

    /// The host (and port) part of an endpoint URL, as `configs` are keyed.
    static func host(of endpoint: String) -> String {
        let withoutScheme = endpoint.range(of: "://").map { String(endpoint[$0.upperBound...]) } ?? endpoint
        return String(withoutScheme.prefix { $0 != "/" })
    }

    /// containerd's `hosts.toml` per registry directory (`_default` for `*`): the mirrors in order, each with its
    /// host's TLS settings, and the registry itself as the fallback `server`.
    func hostsFiles() -> [String: String] {
        var files: [String: String] = [:]
        for (registry, endpoints) in mirrors {
            let directory = registry == "*" ? "_default" : registry
            var toml = registry == "*" ? "" : "server = \(Self.quoted(Self.upstream(of: registry)))\n"
            for endpoint in endpoints {
                toml += "\n[host.\(Self.quoted(endpoint))]\n  capabilities = [\"pull\", \"resolve\"]\n"
                if let settings = hosts[Self.host(of: endpoint)] { toml += Self.tlsLines(settings) }
            }
            files[directory] = toml
        }
        // A registry with settings but no mirror still needs its TLS settings.
        for (host, settings) in hosts where mirrors[host] == nil {
            let lines = Self.tlsLines(settings)
            guard !lines.isEmpty else { continue }
            files[host] = "server = \(Self.quoted("https://\(host)"))\n\n[host.\(Self.quoted("https://\(host)"))]\n  capabilities = [\"pull\", \"resolve\"]\n" + lines
        }
        return files
    }

    private static func tlsLines(_ settings: HostSettings) -> String {
        var lines = ""
        if settings.insecureSkipVerify { lines += "  skip_verify = true\n" }
        if let ca = settings.caFile { lines += "  ca = \(quoted(ca))\n" }
        if let cert = settings.certFile, let key = settings.keyFile { lines += "  client = [[\(quoted(cert)), \(quoted(key))]]\n" }
        return lines
    }

    /// A TOML basic string.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04X", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}
