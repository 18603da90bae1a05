import Foundation
import Testing

@testable import PKI

@Suite("Join tokens")
struct JoinTokenTests {
    private let hash = String(repeating: "ab", count: 32)

    @Test func parsesTheK3sFormat() throws {
        let token = try JoinToken(parsing: "K10\(hash)::server:s3cret\n")
        #expect(token.caHash == hash)
        #expect(token.user == "server")
        #expect(token.secret == "s3cret")
        #expect(token.text == "K10\(hash)::server:s3cret")
    }

    @Test func secretMayContainColons() throws {
        let token = try JoinToken(parsing: "K10\(hash)::node:a:b")
        #expect(token.user == "node")
        #expect(token.secret == "a:b")
    }

    @Test func uppercaseHashIsNormalized() throws {
        let token = try JoinToken(parsing: "K10\(hash.uppercased())::server:x")
        #expect(token.caHash == hash)
    }

    @Test func bareSecretPinsNoCA() throws {
        let token = try JoinToken(parsing: "just-a-secret")
        #expect(token.caHash == nil)
        #expect(token.text == "just-a-secret")
        #expect(token.pins(caBundle: Array("anything".utf8)))
    }

    @Test(arguments: [
        "", "   ", "K10abc::server:x", "K10\(String(repeating: "g", count: 64))::server:x", "K10\(String(repeating: "a", count: 64))server:x",
        "K10\(String(repeating: "a", count: 64))::server:", "K10\(String(repeating: "a", count: 64))::server", "K10\(String(repeating: "a", count: 64)):::x",
        "two words",
    ])
    func rejectsMalformedTokens(_ text: String) {
        #expect(throws: PKIError.self) { try JoinToken(parsing: text) }
    }

    @Test func hashIsSHA256OfTheBundleBytes() {
        // `printf 'hello' | sha256sum`
        #expect(JoinToken.caHash(of: Array("hello".utf8)) == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
    }

    @Test func generatedTokenPinsItsCA() throws {
        let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
        let token = JoinToken.generate(caCertificatePEM: pem)
        #expect(token.secret.count == 32)
        #expect(token.pins(caBundle: Array(pem.utf8)))
        #expect(!token.pins(caBundle: Array((pem + "\n").utf8)))
        #expect(try JoinToken(parsing: token.text) == token)
        #expect(JoinToken.generate(caCertificatePEM: pem).secret != token.secret)
    }

    @Test func fileIsCreatedOnceWithMode0600AndKeptAcrossStarts() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("server/token")
        let first = try JoinToken.loadOrCreate(path: path, caCertificatePEM: "ca-1")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == first.text + "\n")
        let again = try JoinToken.loadOrCreate(path: path, caCertificatePEM: "ca-1")
        #expect(again == first)
        // A new CA keeps the secret but changes the pinned hash.
        let rotated = try JoinToken.loadOrCreate(path: path, caCertificatePEM: "ca-2")
        #expect(rotated.secret == first.secret)
        #expect(rotated.caHash == JoinToken.caHash(of: Array("ca-2".utf8)))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == rotated.text + "\n")
    }

    @Test func unreadableTokenFileIsReported() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("token")
        try "not a token at all".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: PKIError.self) { try JoinToken.loadOrCreate(path: path, caCertificatePEM: "ca") }
    }
}
