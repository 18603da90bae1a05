import SwiftASN1
import X509

/// The names the API server's certificate must be valid for, as k3s lists them: loopback, the in-cluster
/// `kubernetes` service names, the host name and whatever the operator adds with `--tls-san`.
struct ServingNames: Equatable {
    /// Lowercased, without duplicates, in the order given.
    private(set) var dnsNames: [String] = []
    /// 4- or 16-byte addresses, without duplicates, in the order given.
    private(set) var ipAddresses: [[UInt8]] = []

    static let builtInDNSNames = [
        "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local",
    ]
    static let builtInIPAddresses = ["127.0.0.1", "::1"]

    /// Throws `PKIError.invalidIPAddress` for an entry of `extraIPAddresses` that is not an address; an entry of
    /// `extraHostnames` that parses as an address becomes an IP name, as k3s treats `--tls-san`.
    init(hostName: String?, extraHostnames: [String], extraIPAddresses: [String]) throws {
        for name in Self.builtInDNSNames + [hostName ?? ""] + extraHostnames {
            let trimmed = name.trimmingWhitespace()
            guard !trimmed.isEmpty else { continue }
            if let address = IPAddressBytes.parse(trimmed) {
                insert(address: address)
            } else {
                insert(dnsName: trimmed)
            }
        }
        for text in Self.builtInIPAddresses + extraIPAddresses {
            guard let address = IPAddressBytes.parse(text.trimmingWhitespace()) else {
                throw PKIError.invalidIPAddress(text)
            }
            insert(address: address)
        }
    }

    /// Exactly `dnsNames`, without the API server's built-in names.
    init(only dnsNames: [String]) {
        for name in dnsNames { insert(dnsName: name) }
    }

    var generalNames: [GeneralName] {
        dnsNames.map { GeneralName.dnsName($0) }
            + ipAddresses.map { GeneralName.ipAddress(ASN1OctetString(contentBytes: ArraySlice($0))) }
    }

    /// Whether `certificate` already names every one of these, so it can keep serving.
    func areCovered(by certificate: Certificate) -> Bool {
        guard let names = try? certificate.extensions.subjectAlternativeNames else { return false }
        var presentDNSNames: Set<String> = []
        var presentAddresses: Set<[UInt8]> = []
        for name in names {
            switch name {
            case .dnsName(let dnsName): presentDNSNames.insert(dnsName.lowercased())
            case .ipAddress(let octets): presentAddresses.insert(Array(octets.bytes))
            default: continue
            }
        }
        return dnsNames.allSatisfy(presentDNSNames.contains) && ipAddresses.allSatisfy(presentAddresses.contains)
    }

    private mutating func insert(dnsName: String) {
        let lowered = dnsName.lowercased()
        if !dnsNames.contains(lowered) { dnsNames.append(lowered) }
    }

    private mutating func insert(address: [UInt8]) {
        if !ipAddresses.contains(address) { ipAddresses.append(address) }
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
