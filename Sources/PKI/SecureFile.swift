import Foundation

#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// File access for credentials: files are replaced atomically and never exist, even briefly, with a wider mode
/// than asked for, so a crash or a concurrent reader never sees a half-written or world-readable key.
enum SecureFile {
    /// Creates `path` and its missing parents with `mode`; existing directories keep their mode.
    static func createDirectory(_ path: String, mode: Int) throws {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: mode])
        } catch {
            throw PKIError.fileSystem(path: path, reason: "cannot create directory: \(error.localizedDescription)")
        }
    }

    /// The file's text, or nil when it does not exist.
    static func read(_ path: String) throws -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PKIError.fileSystem(path: path, reason: "cannot read file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PKIError.unreadableFile(path: path, reason: "not UTF-8 text")
        }
        return text
    }

    /// Writes through a temporary file in the same directory that is created with `mode`, synced, then renamed.
    static func writeAtomically(_ text: String, to path: String, mode: mode_t) throws {
        let temporaryPath = "\(path).tmp-\(UUID().uuidString)"
        let descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            throw PKIError.fileSystem(path: path, reason: "cannot create file: \(errorText())")
        }
        do {
            // The umask may have narrowed the mode given to open; certificates should stay readable as asked.
            guard fchmod(descriptor, mode) == 0 else { throw PKIError.fileSystem(path: path, reason: "chmod: \(errorText())") }
            try writeAll(Array(text.utf8), to: descriptor, path: path)
            guard fsync(descriptor) == 0 else { throw PKIError.fileSystem(path: path, reason: "fsync: \(errorText())") }
        } catch {
            close(descriptor)
            unlink(temporaryPath)
            throw error
        }
        close(descriptor)
        guard rename(temporaryPath, path) == 0 else {
            let reason = errorText()
            unlink(temporaryPath)
            throw PKIError.fileSystem(path: path, reason: "cannot replace file: \(reason)")
        }
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { buffer in
                write(descriptor, buffer.baseAddress, buffer.count)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw PKIError.fileSystem(path: path, reason: "write: \(errorText())")
            }
            offset += written
        }
    }

    private static func errorText() -> String {
        String(cString: strerror(errno))
    }
}
