/// Cuts a watch response body into its newline-delimited event lines, whatever the chunk boundaries.
///
/// At most one partial line is held between chunks, and it may not grow past `maximumLineBytes`: a server that
/// never sends a newline cannot make the client buffer without limit.
struct WatchLineSplitter: Sendable {
    /// The partial line was longer than the limit.
    struct LineTooLong: Error, Sendable, Equatable {
        let limit: Int
    }

    let maximumLineBytes: Int
    private var partial: [UInt8] = []

    init(maximumLineBytes: Int) {
        self.maximumLineBytes = maximumLineBytes
    }

    /// Adds one chunk and returns the lines it completed, without their newline; blank lines are skipped.
    mutating func append<Bytes: Collection<UInt8>>(_ chunk: Bytes) throws(LineTooLong) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var start = chunk.startIndex
        while let newline = chunk[start...].firstIndex(of: 0x0a) {
            partial.append(contentsOf: chunk[start..<newline])
            try checkLimit()
            if !Self.isBlank(partial) { lines.append(partial) }
            partial.removeAll(keepingCapacity: true)
            start = chunk.index(after: newline)
        }
        partial.append(contentsOf: chunk[start...])
        try checkLimit()
        return lines
    }

    /// The last line when the body ended without a newline after it, or nil when nothing but blanks is left.
    mutating func finish() -> [UInt8]? {
        defer { partial.removeAll() }
        return Self.isBlank(partial) ? nil : partial
    }

    private func checkLimit() throws(LineTooLong) {
        if partial.count > maximumLineBytes { throw LineTooLong(limit: maximumLineBytes) }
    }

    /// Spaces, tabs and carriage returns only (a CRLF-terminated line leaves its `\r` behind).
    private static func isBlank(_ line: [UInt8]) -> Bool {
        line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0d }
    }
}
