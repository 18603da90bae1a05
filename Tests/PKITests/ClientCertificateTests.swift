import Foundation
import Testing
import SwiftASN1
import X509

@testable import PKI

@Suite("Client certificates")
struct ClientCertificateTests {
    private func derBytes(_ pem: String) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(try Certificate(pemEncoded: pem))
        return serializer.serializedBytes
    }

    private func create(in directory: TemporaryDirectory, name: String = "tls") throws -> ClusterPKI {
        try ClusterPKI.loadOrCreate(directory: directory.file(name), extraHostnames: [], extraIPAddresses: [])
    }

    @Test func issuedClientCertificateVerifiesAndNamesTheNode() throws {
        let directory = try TemporaryDirectory()
        let pki = try create(in: directory)
        let issued = try pki.issueClientCertificate(commonName: "system:node:node-a", organizations: ["system:nodes"])
        let certificatePath = directory.file("node.crt")
        try issued.certificatePEM.write(toFile: certificatePath, atomically: true, encoding: .utf8)
        let verify = try runTool(["openssl", "verify", "-purpose", "sslclient", "-CAfile", directory.file("tls/ca.crt"), certificatePath])
        #expect(verify.status == 0, "\(verify.error)")
        let subject = try runTool(["openssl", "x509", "-noout", "-subject", "-in", certificatePath]).output
        #expect(subject == "subject=O = system:nodes, CN = system:node:node-a\n")
        let publicFromKey = try runTool(["openssl", "pkey", "-pubout"], input: issued.keyPEM).output
        let publicFromCertificate = try runTool(["openssl", "x509", "-noout", "-pubkey", "-in", certificatePath]).output
        #expect(!publicFromKey.isEmpty)
        #expect(publicFromKey == publicFromCertificate)
    }

    @Test func identityOfAdminIsSystemAdminInSystemMasters() throws {
        let directory = try TemporaryDirectory()
        let pki = try create(in: directory)
        let identity = pki.clientIdentity(certificateDER: try derBytes(pki.adminCertificatePEM))
        #expect(identity?.user == "system:admin")
        #expect(identity?.groups == ["system:masters"])
    }

    @Test func identityKeepsEveryOrganizationAsAGroupInOrder() throws {
        let directory = try TemporaryDirectory()
        let pki = try create(in: directory)
        let issued = try pki.issueClientCertificate(commonName: "jane", organizations: ["dev", "ops"])
        let identity = pki.clientIdentity(certificateDER: try derBytes(issued.certificatePEM))
        #expect(identity?.user == "jane")
        #expect(identity?.groups == ["dev", "ops"])
        let withoutGroups = try pki.issueClientCertificate(commonName: "bob", organizations: [])
        #expect(pki.clientIdentity(certificateDER: try derBytes(withoutGroups.certificatePEM))?.groups == [])
    }

    @Test func certificatesFromAnotherAuthorityAreNotIdentities() throws {
        let directory = try TemporaryDirectory()
        let pki = try create(in: directory, name: "one")
        let other = try create(in: directory, name: "two")
        #expect(pki.clientIdentity(certificateDER: try derBytes(other.adminCertificatePEM)) == nil)
    }

    @Test func serverCACertificatesAndGarbageAreNotIdentities() throws {
        let directory = try TemporaryDirectory()
        let pki = try create(in: directory)
        #expect(pki.clientIdentity(certificateDER: try derBytes(pki.servingCertificatePEM)) == nil)
        #expect(pki.clientIdentity(certificateDER: try derBytes(pki.caCertificatePEM)) == nil)
        #expect(pki.clientIdentity(certificateDER: [0x30, 0x03, 0x02, 0x01, 0x01]) == nil)
        #expect(pki.clientIdentity(certificateDER: []) == nil)
    }

    @Test func emptyCommonNameIsNotAnIdentity() throws {
        let directory = try TemporaryDirectory()
        let pki = try create(in: directory)
        let issued = try pki.issueClientCertificate(commonName: "", organizations: ["system:masters"])
        #expect(pki.clientIdentity(certificateDER: try derBytes(issued.certificatePEM)) == nil)
    }

    @Test func expiredOrNotYetValidCertificatesAreNotIdentities() throws {
        let directory = try TemporaryDirectory()
        let pki = try create(in: directory)
        let der = try derBytes(pki.adminCertificatePEM)
        #expect(pki.clientIdentity(certificateDER: der, at: Date() + 366 * 24 * 3600) == nil)
        #expect(pki.clientIdentity(certificateDER: der, at: Date() - 2 * 3600) == nil)
        #expect(pki.clientIdentity(certificateDER: der, at: Date() - 1800) != nil)
    }
}
