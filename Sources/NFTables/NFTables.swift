import Foundation

/// Runs `nft -f -`: every command of a script is one transaction, applied whole or not at all.
public enum NFTables {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func apply(_ script: String) async throws {
        guard let nft = ["/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"].first(where: FileManager.default.isExecutableFile) else {
            throw Failure(description: "nft is not installed (Debian's nftables package): Services cannot carry traffic")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: nft)
        process.arguments = ["-f", "-"]
        let input = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
                return
            }
            input.fileHandleForWriting.write(Data(script.utf8))
            try? input.fileHandleForWriting.close()
        }
        guard status == 0 else {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw Failure(description: "nft failed (\(status)): \(message.suffix(2000))")
        }
    }

    /// Eight base-32 characters of a 64-bit FNV-1a hash: stable across runs and machines, short enough for table,
    /// chain and set names.
    public static func shortHash(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        return String((0..<8).map { alphabet[Int((hash >> (UInt64($0) * 5)) & 31)] })
    }
}
