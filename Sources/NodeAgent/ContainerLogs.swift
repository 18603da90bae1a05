import APIMachinery
import Foundation

/// What `kubectl logs` asks of a container's log (the `pods/log` query): which stream, from when, how much.
struct ContainerLogOptions: Sendable, Equatable {
    /// The options of a `pods/log` query; nil when a value is malformed (the API server has checked them).
    init(query: [String: String], now: Date = Date()) {
        stream = query["stream"].flatMap(Stream.init(rawValue:)) ?? .all
        tailLines = query["tailLines"].flatMap { Int($0) }
        limitBytes = query["limitBytes"].flatMap { Int($0) }
        timestamps = query["timestamps"] == "true"
        if let seconds = query["sinceSeconds"].flatMap({ Double($0) }) {
            since = now.addingTimeInterval(-seconds)
        } else if let time = query["sinceTime"] {
            since = KubeTime.parse(time)
        }
    }

    init(stream: Stream = .all, tailLines: Int? = nil, since: Date? = nil, limitBytes: Int? = nil, timestamps: Bool = false) {
        self.stream = stream
        self.tailLines = tailLines
        self.since = since
        self.limitBytes = limitBytes
        self.timestamps = timestamps
    }

    enum Stream: String, Sendable {
        case all, stdout, stderr
    }

    var stream: Stream
    /// Only the last this many lines of the file.
    var tailLines: Int?
    /// Only lines written at or after this time (`sinceSeconds` or `sinceTime`).
    var since: Date?
    /// Stop after this many bytes.
    var limitBytes: Int?
    /// Prefix each line with the time it was written.
    var timestamps: Bool
}

/// Container logs in the CRI format that containerd writes for the kubelet, one line per record:
/// `2016-10-06T00:17:09.669794202Z stdout F the message` — the time, the stream, `F` for a full line or `P` for a
/// part of a long one (continued on the next record), and the text without its newline. Rendered for `kubectl logs`
/// as the kubelet does: parts joined, a newline after each full line, optional time prefixes, tail, since and a byte
/// limit.
enum ContainerLogs {
    struct Record: Equatable {
        var time: Substring
        var stream: Substring
        var partial: Bool
        var text: Substring
    }

    static func parse(_ line: Substring) -> Record? {
        let fields = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
        guard fields.count >= 3, fields[1] == "stdout" || fields[1] == "stderr" else { return nil }
        let tags = fields[2].split(separator: ":")
        return Record(time: fields[0], stream: fields[1], partial: tags.first == "P", text: fields.count == 4 ? fields[3] : "")
    }

    /// The lines of a log file's text from which to start so that `tailLines` lines remain.
    static func tail(_ lines: [Substring], _ count: Int?) -> ArraySlice<Substring> {
        guard let count else { return lines[...] }
        return lines.suffix(max(0, count))
    }

    /// Renders a whole log file for `kubectl logs` (without `-f`).
    static func render(_ content: String, options: ContainerLogOptions) -> String {
        var lines = content.split(separator: "\n", omittingEmptySubsequences: true)
        if lines.last.map({ parse($0) == nil }) == true { lines.removeLast() }
        var renderer = Renderer(options: options)
        for line in tail(lines, options.tailLines) {
            guard let record = parse(line), renderer.append(record) else { break }
        }
        return renderer.output
    }

    /// Turns records into `kubectl logs` output, one at a time (so that a followed log can use it too).
    struct Renderer {
        let options: ContainerLogOptions
        private(set) var output = ""
        private var bytesLeft: Int
        private var atLineStart = true

        init(options: ContainerLogOptions) {
            self.options = options
            bytesLeft = options.limitBytes ?? Int.max
        }

        /// What was rendered since the last call, leaving the renderer empty (a followed log hands it on in pieces).
        mutating func take() -> String {
            defer { output = "" }
            return output
        }

        /// Adds one record; false once the byte limit is reached.
        mutating func append(_ record: Record) -> Bool {
            guard bytesLeft > 0 else { return false }
            if options.stream != .all && record.stream != options.stream.rawValue { return true }
            if let since = options.since, let time = KubeTime.parse(String(record.time)), time < since { return true }
            var piece = ""
            if options.timestamps && atLineStart { piece += record.time + " " }
            piece += record.text
            if !record.partial { piece += "\n" }
            atLineStart = !record.partial
            let bytes = Array(piece.utf8)
            if bytes.count > bytesLeft {
                output += String(decoding: bytes.prefix(bytesLeft), as: UTF8.self)
                bytesLeft = 0
                return false
            }
            output += piece
            bytesLeft -= bytes.count
            return true
        }
    }
}
