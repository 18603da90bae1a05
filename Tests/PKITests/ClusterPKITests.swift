import Foundation
import Testing

@testable import PKI

@Suite("Cluster PKI")
struct ClusterPKITests {
    static let day: TimeInterval = 24 * 3600

    private func create(in directory: TemporaryDirectory, now: Date = Date()) throws -> ClusterPKI {
        try ClusterPKI.loadOrCreate(
            directory: directory.file("tls"), extraHostnames: ["skiff.example.com", "192.0.2.7"],
            extraIPAddresses: ["10.43.0.1", "2001:db8::5"], hostName: "node-a", now: now)
    }

    @Test func issuesCertificatesThatOpenSSLVerifiesAgainstTheCA() throws {
        let directory = try TemporaryDirectory()
        _ = try create(in: directory)
        let tls = directory.file("tls")
        let serving = try runTool(["openssl", "verify", "-CAfile", "\(tls)/ca.crt", "\(tls)/serving.crt"])
        #expect(serving.status == 0, "\(serving.error)")
        #expect(serving.output == "\(tls)/serving.crt: OK\n")
        let admin = try runTool(["openssl", "verify", "-CAfile", "\(tls)/ca.crt", "\(tls)/admin.crt"])
        #expect(admin.status == 0, "\(admin.error)")
        #expect(admin.output == "\(tls)/admin.crt: OK\n")
    }

    @Test func extendedKeyUsageLimitsServingToServersAndAdminToClients() throws {
        let directory = try TemporaryDirectory()
        _ = try create(in: directory)
        let tls = directory.file("tls")
        func verify(_ file: String, purpose: String) throws -> Int32 {
            try runTool(["openssl", "verify", "-purpose", purpose, "-CAfile", "\(tls)/ca.crt", "\(tls)/\(file)"]).status
        }
        #expect(try verify("serving.crt", purpose: "sslserver") == 0)
        #expect(try verify("serving.crt", purpose: "sslclient") != 0)
        #expect(try verify("admin.crt", purpose: "sslclient") == 0)
        #expect(try verify("admin.crt", purpose: "sslserver") != 0)
    }

    @Test func servingCertificateNamesLoopbackKubernetesServiceHostAndExtraNames() throws {
        let directory = try TemporaryDirectory()
        _ = try create(in: directory)
        let text = try runTool(["openssl", "x509", "-noout", "-text", "-in", directory.file("tls/serving.crt")]).output
        let expected = [
            "DNS:localhost", "DNS:kubernetes", "DNS:kubernetes.default", "DNS:kubernetes.default.svc",
            "DNS:kubernetes.default.svc.cluster.local", "DNS:node-a", "DNS:skiff.example.com",
            "IP Address:192.0.2.7", "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1", "IP Address:10.43.0.1",
            "IP Address:2001:DB8:0:0:0:0:0:5",
        ]
        let sanLine = text.split(separator: "\n").drop { !$0.contains("Subject Alternative Name") }.dropFirst().first ?? ""
        let names = Set(sanLine.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        #expect(names == Set(expected))
        #expect(text.contains("X509v3 Basic Constraints: critical\n                CA:FALSE"))
        #expect(text.contains("X509v3 Key Usage: critical\n                Digital Signature\n"))
        #expect(text.contains("X509v3 Extended Key Usage: \n                TLS Web Server Authentication\n"))
        #expect(text.contains("Signature Algorithm: ecdsa-with-SHA256"))
        #expect(text.contains("ASN1 OID: prime256v1"))
        #expect(text.contains("X509v3 Authority Key Identifier"))
    }

    @Test func adminCertificateIsSystemAdminInSystemMasters() throws {
        let directory = try TemporaryDirectory()
        _ = try create(in: directory)
        let admin = directory.file("tls/admin.crt")
        let subject = try runTool(["openssl", "x509", "-noout", "-subject", "-in", admin])
        #expect(subject.output == "subject=O = system:masters, CN = system:admin\n")
        let text = try runTool(["openssl", "x509", "-noout", "-text", "-in", admin]).output
        #expect(text.contains("X509v3 Extended Key Usage: \n                TLS Web Client Authentication\n"))
        #expect(!text.contains("Subject Alternative Name"))
    }

    @Test func authorityIsACriticalCAThatMaySignCertificates() throws {
        let directory = try TemporaryDirectory()
        let now = Date()
        _ = try create(in: directory, now: now)
        let text = try runTool(["openssl", "x509", "-noout", "-text", "-in", directory.file("tls/ca.crt")]).output
        #expect(text.contains("X509v3 Basic Constraints: critical\n                CA:TRUE\n"))
        #expect(text.contains("X509v3 Key Usage: critical\n                Digital Signature, Certificate Sign, CRL Sign\n"))
        #expect(text.contains("Subject: CN = skiff-server-ca@\(Int(now.timeIntervalSince1970))\n"))
        #expect(text.contains("Issuer: CN = skiff-server-ca@\(Int(now.timeIntervalSince1970))\n"))
    }

    @Test func authorityLastsTenYearsAndLeavesOneYearAllBackdatedAnHour() throws {
        let directory = try TemporaryDirectory()
        let now = Date()
        _ = try create(in: directory, now: now)
        func dates(_ file: String) throws -> (notBefore: Date, notAfter: Date) {
            let output = try runTool(["openssl", "x509", "-noout", "-dates", "-in", directory.file("tls/\(file)")]).output
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "MMM d HH:mm:ss yyyy 'GMT'"
            var found: [String: Date] = [:]
            for line in output.split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1)
                let text = parts[1].split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
                found[String(parts[0])] = formatter.date(from: text)
            }
            return (try #require(found["notBefore"]), try #require(found["notAfter"]))
        }
        let authority = try dates("ca.crt")
        #expect(abs(authority.notBefore.timeIntervalSince(now - 3600)) < 2)
        #expect(abs(authority.notAfter.timeIntervalSince(now + 3650 * Self.day)) < 2)
        for leaf in ["serving.crt", "admin.crt"] {
            let validity = try dates(leaf)
            #expect(abs(validity.notBefore.timeIntervalSince(now - 3600)) < 2)
            #expect(abs(validity.notAfter.timeIntervalSince(now + 365 * Self.day)) < 2)
        }
    }

    @Test func keysArePrivateP256KeysMatchingTheirCertificates() throws {
        let directory = try TemporaryDirectory()
        let pki = try create(in: directory)
        #expect(try fileMode(directory.file("tls")) == 0o700)
        for name in ["ca", "serving", "admin"] {
            let key = directory.file("tls/\(name).key")
            let certificate = directory.file("tls/\(name).crt")
            #expect(try fileMode(key) == 0o600)
            #expect(try fileMode(certificate) == 0o644)
            let keyText = try runTool(["openssl", "pkey", "-noout", "-text", "-in", key]).output
            #expect(keyText.contains("ASN1 OID: prime256v1"))
            let publicFromKey = try runTool(["openssl", "pkey", "-pubout", "-in", key]).output
            let publicFromCertificate = try runTool(["openssl", "x509", "-noout", "-pubkey", "-in", certificate]).output
            #expect(!publicFromKey.isEmpty)
            #expect(publicFromKey == publicFromCertificate)
        }
        #expect(pki.caCertificatePEM == (try contents(directory.file("tls/ca.crt"))))
        #expect(pki.servingKeyPEM == (try contents(directory.file("tls/serving.key"))))
        #expect(pki.adminCertificatePEM == (try contents(directory.file("tls/admin.crt"))))
    }

    @Test func serialNumbersAreRandomAndDistinct() throws {
        let directory = try TemporaryDirectory()
        _ = try create(in: directory)
        var serials: Set<String> = []
        for name in ["ca", "serving", "admin"] {
            let output = try runTool(["openssl", "x509", "-noout", "-serial", "-in", directory.file("tls/\(name).crt")]).output
            let hex = output.replacingOccurrences(of: "serial=", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
            // 20 random bytes; a leading zero byte is dropped by INTEGER encoding, so at least 19 remain in practice.
            #expect(hex.count >= 36)
            serials.insert(hex)
        }
        #expect(serials.count == 3)
    }

    @Test func secondStartReusesEveryFile() throws {
        let directory = try TemporaryDirectory()
        let first = try create(in: directory)
        let second = try create(in: directory)
        #expect(second.caCertificatePEM == first.caCertificatePEM)
        #expect(second.servingCertificatePEM == first.servingCertificatePEM)
        #expect(second.servingKeyPEM == first.servingKeyPEM)
        #expect(second.adminCertificatePEM == first.adminCertificatePEM)
        #expect(second.adminKeyPEM == first.adminKeyPEM)
        #expect(second.serviceAccountKeyPEM == first.serviceAccountKeyPEM)
    }

    @Test func serviceAccountKeyIsAPrivateFileAndNeverReplaced() throws {
        let directory = try TemporaryDirectory()
        let pki = try create(in: directory)
        let path = directory.file("tls/service.key")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == pki.serviceAccountKeyPEM)
        try "garbage".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: PKIError.self) { try create(in: directory) }
    }

    @Test func publicEntryPointCreatesThenReuses() throws {
        let directory = try TemporaryDirectory()
        let first = try ClusterPKI.loadOrCreate(directory: directory.file("a/tls"), extraHostnames: [], extraIPAddresses: [])
        let second = try ClusterPKI.loadOrCreate(directory: directory.file("a/tls"), extraHostnames: [], extraIPAddresses: [])
        #expect(second.caCertificatePEM == first.caCertificatePEM)
        #expect(second.servingCertificatePEM == first.servingCertificatePEM)
    }

    @Test func newNameReissuesOnlyTheServingCertificate() throws {
        let directory = try TemporaryDirectory()
        let first = try create(in: directory)
        let second = try ClusterPKI.loadOrCreate(
            directory: directory.file("tls"), extraHostnames: ["other.example.com"], extraIPAddresses: [],
            hostName: "node-a", now: Date())
        #expect(second.caCertificatePEM == first.caCertificatePEM)
        #expect(second.adminCertificatePEM == first.adminCertificatePEM)
        #expect(second.servingCertificatePEM != first.servingCertificatePEM)
        #expect(second.servingKeyPEM != first.servingKeyPEM)
        let text = try runTool(["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", directory.file("tls/serving.crt")]).output
        #expect(text.contains("DNS:other.example.com"))
        let verify = try runTool(["openssl", "verify", "-CAfile", directory.file("tls/ca.crt"), directory.file("tls/serving.crt")])
        #expect(verify.status == 0)
        // A subset of the names already covered keeps the certificate.
        let third = try ClusterPKI.loadOrCreate(
            directory: directory.file("tls"), extraHostnames: ["OTHER.example.com"], extraIPAddresses: ["::1"],
            hostName: "node-a", now: Date())
        #expect(third.servingCertificatePEM == second.servingCertificatePEM)
    }

    @Test func leavesWithinNinetyDaysOfExpiryAreRenewedButTheAuthorityIsKept() throws {
        let directory = try TemporaryDirectory()
        let now = Date()
        let first = try create(in: directory, now: now)
        let stillFresh = try create(in: directory, now: now + 270 * Self.day)
        #expect(stillFresh.servingCertificatePEM == first.servingCertificatePEM)
        let renewed = try create(in: directory, now: now + 280 * Self.day)
        #expect(renewed.caCertificatePEM == first.caCertificatePEM)
        #expect(renewed.servingCertificatePEM != first.servingCertificatePEM)
        #expect(renewed.adminCertificatePEM != first.adminCertificatePEM)
    }

    @Test func missingLeafFilesAreRecreatedAndCorruptOnesReplaced() throws {
        let directory = try TemporaryDirectory()
        let first = try create(in: directory)
        try FileManager.default.removeItem(atPath: directory.file("tls/admin.key"))
        try "garbage".write(toFile: directory.file("tls/serving.crt"), atomically: true, encoding: .utf8)
        let second = try create(in: directory)
        #expect(second.caCertificatePEM == first.caCertificatePEM)
        #expect(second.adminKeyPEM != first.adminKeyPEM)
        #expect(second.servingCertificatePEM != first.servingCertificatePEM)
        for file in ["serving.crt", "admin.crt"] {
            let verify = try runTool(["openssl", "verify", "-CAfile", directory.file("tls/ca.crt"), directory.file("tls/\(file)")])
            #expect(verify.status == 0)
        }
    }

    @Test func newAuthorityReissuesLeavesSignedByTheOldOne() throws {
        let directory = try TemporaryDirectory()
        let first = try create(in: directory)
        try FileManager.default.removeItem(atPath: directory.file("tls/ca.crt"))
        let second = try create(in: directory)
        #expect(second.caCertificatePEM != first.caCertificatePEM)
        #expect(second.servingCertificatePEM != first.servingCertificatePEM)
        #expect(second.adminCertificatePEM != first.adminCertificatePEM)
    }

    @Test func authorityWithoutItsKeyIsAnErrorRatherThanReplaced() throws {
        let directory = try TemporaryDirectory()
        _ = try create(in: directory)
        try FileManager.default.removeItem(atPath: directory.file("tls/ca.key"))
        #expect(throws: PKIError.authorityKeyMissing(path: directory.file("tls/ca.key"))) {
            try create(in: directory)
        }
    }

    @Test func authorityWithAnotherKeyIsAnError() throws {
        let directory = try TemporaryDirectory()
        _ = try create(in: directory)
        try FileManager.default.copyItem(atPath: directory.file("tls/admin.key"), toPath: directory.file("other.key"))
        try FileManager.default.removeItem(atPath: directory.file("tls/ca.key"))
        try FileManager.default.moveItem(atPath: directory.file("other.key"), toPath: directory.file("tls/ca.key"))
        #expect(throws: PKIError.authorityKeyMismatch(path: directory.file("tls/ca.key"))) {
            try create(in: directory)
        }
    }

    @Test func invalidIPAddressIsRejectedBeforeAnythingIsWritten() throws {
        let directory = try TemporaryDirectory()
        #expect(throws: PKIError.invalidIPAddress("10.0.0.300")) {
            try ClusterPKI.loadOrCreate(directory: directory.file("tls"), extraHostnames: [], extraIPAddresses: ["10.0.0.300"])
        }
        #expect(!FileManager.default.fileExists(atPath: directory.file("tls")))
    }
}
