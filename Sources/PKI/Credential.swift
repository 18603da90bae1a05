import Crypto
import X509

/// A certificate together with the private key of its public key.
struct Credential: Sendable {
    let certificate: Certificate
    let key: Certificate.PrivateKey
    /// PKCS #8 (`PRIVATE KEY`) for keys made here, which Go, OpenSSL and NIOSSL all read; a loaded key keeps its file's text.
    let keyPEM: String

    init(certificate: Certificate, key: P256.Signing.PrivateKey) {
        self.certificate = certificate
        self.key = Certificate.PrivateKey(key)
        self.keyPEM = key.pemRepresentation
    }

    /// Parses the two PEM documents; the paths name the files in errors.
    init(certificatePEM: String, keyPEM: String, certificatePath: String, keyPath: String) throws {
        do {
            certificate = try Certificate(pemEncoded: certificatePEM)
        } catch {
            throw PKIError.unreadableFile(path: certificatePath, reason: "\(error)")
        }
        do {
            key = Certificate.PrivateKey(try P256.Signing.PrivateKey(pemRepresentation: keyPEM))
        } catch {
            throw PKIError.unreadableFile(path: keyPath, reason: "\(error)")
        }
        self.keyPEM = keyPEM
    }

    /// Whether `key` is the private half of the certificate's public key.
    var keyMatchesCertificate: Bool {
        certificate.publicKey == key.publicKey
    }

    var certificatePEM: String {
        get throws {
            do {
                return try certificate.serializeAsPEM().pemString
            } catch {
                throw PKIError.signingFailed(reason: "cannot encode certificate: \(error)")
            }
        }
    }
}
