import Testing

@testable import DNSWire

@Suite("malformed DNS messages")
struct MalformedMessageTests {
    @Test func malformedMessagesThrowWithTheQueryId() throws {
        let question = wireName("web", "svc") + [0, 1, 0, 1]
        let aRecord = wireName("web", "svc") + [0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 10, 0, 0, 1]
        let opt: [UInt8] = [0, 0, 41, 4, 0xD0, 0, 0, 0, 0, 0, 0]
        let cases: [(String, [UInt8], DNSWireError.Problem)] = [
            ("empty", [], .headerTooShort),
            ("11-byte header", Array(header().prefix(11)), .headerTooShort),
            ("question counted but missing", header(questions: 1), .countsExceedMessage),
            ("counts beyond the data", header(questions: 1, answers: 0xFFFF) + question, .countsExceedMessage),
            ("label length 64", header(questions: 1) + [64] + [UInt8](repeating: 0x61, count: 64) + [0, 0, 1, 0, 1], .unsupportedLabelType(64)),
            ("label type 10", header(questions: 1) + [0x80, 0, 0, 1, 0, 1], .unsupportedLabelType(0x80)),
            ("name of 256 bytes", header(questions: 1) + wireNameOfLabels([63, 63, 63, 62]) + [0, 1, 0, 1], .nameTooLong),
            ("pointer to itself", header(questions: 1) + [0xC0, 12, 0, 1, 0, 1], .badCompressionPointer(target: 12)),
            ("label then pointer back to it", header(questions: 1) + [1, 0x61, 0xC0, 12, 0, 1, 0, 1], .badCompressionPointer(target: 12)),
            ("forward pointer past the end", header(questions: 1) + [0xC0, 0xFF, 0, 1, 0, 1], .badCompressionPointer(target: 255)),
            ("pointer cut off", header(questions: 2) + wireName("abcdef") + [0, 1, 0, 1, 0xC0], .endOfMessage),
            ("name without its end", header(questions: 1) + [3, 0x61, 0x62, 0x63, 3, 0x61], .endOfMessage),
            (
                "data length past the end", header(questions: 1, answers: 1) + question + wireName("web", "svc") + [0, 16, 0, 1, 0, 0, 0, 30, 0, 100, 1, 2, 3],
                .endOfMessage
            ),
            ("A record of 5 bytes", header(answers: 1) + wireName("a") + [0, 1, 0, 1, 0, 0, 0, 30, 0, 5, 10, 0, 0, 1, 9], .recordDataMismatch(.a)),
            ("CNAME shorter than its name", header(answers: 1) + wireName("a") + [0, 5, 0, 1, 0, 0, 0, 30, 0, 2] + wireName("b"), .recordDataMismatch(.cname)),
            ("TXT string past its data", header(answers: 1) + wireName("a") + [0, 16, 0, 1, 0, 0, 0, 30, 0, 2, 5, 0x61] + [0, 0, 0, 0], .recordDataMismatch(.txt)),
            ("OPT option past its data", header(additionals: 1) + [0, 0, 41, 4, 0xD0, 0, 0, 0, 0, 0, 4, 0, 10, 0, 8], .recordDataMismatch(.opt)),
            ("OPT record twice", header(questions: 1, additionals: 2) + question + opt + opt, .duplicateOPT),
            ("OPT record among the answers", header(answers: 1) + opt, .misplacedOPT),
            ("OPT record with a name", header(additionals: 1) + wireName("a") + Array(opt.dropFirst()), .misplacedOPT),
            ("A record cut short", header(answers: 1) + Array(aRecord.dropLast(2)), .endOfMessage),
        ]
        for (label, bytes, problem) in cases {
            let error = parseError(bytes)
            #expect(error?.problem == problem, "\(label)")
            if bytes.count >= 12 {
                #expect(error?.header?.id == 0xBEEF && error?.header?.recursionDesired == true, "\(label): the header is kept for FORMERR")
            } else {
                #expect(error?.header == nil, "\(label)")
            }
        }

        let longest = try DNSMessage(parsing: header(questions: 1) + wireNameOfLabels([63, 63, 63, 61]) + [0, 1, 0, 1])
        #expect(longest.questions.first?.name.wireLength == 255, "a name of exactly 255 bytes is valid")

        let error = try #require(parseError(header(questions: 1) + [0xC0, 12, 0, 1, 0, 1]))
        var formatError = DNSMessage(respondingTo: try #require(error.header))
        formatError.rcode = .formatError
        #expect(formatError.serialized() == [0xBE, 0xEF, 0x81, 0x01] + [UInt8](repeating: 0, count: 8))
        #expect(error.description == "malformed DNS message at byte 12: compression pointer to 12 does not point backwards")
    }

    @Test func pointerChainsAreFollowedUpToTheHopLimit() throws {
        // Question 0 is the root name at offset 12; question k is a pointer to question k - 1's name, so its name
        // takes k hops to resolve.
        func chain(_ pointers: Int) -> [UInt8] {
            var bytes = header(questions: UInt16(pointers + 1)) + [0, 0, 1, 0, 1]
            var previous = 12
            for _ in 0..<pointers {
                let start = bytes.count
                bytes += [0xC0 | UInt8(previous >> 8), UInt8(previous & 0xFF), 0, 1, 0, 1]
                previous = start
            }
            return bytes
        }
        let longest = try DNSMessage(parsing: chain(DNSWireReader.maximumPointerHops))
        #expect(longest.questions.count == 128 && longest.questions.allSatisfy { $0.name.isRoot })
        #expect(parseError(chain(DNSWireReader.maximumPointerHops + 1))?.problem == .tooManyCompressionPointers)
    }

    @Test func randomBytesNeverTrap() {
        var generator = SeededGenerator(state: 1035)
        var parsedCount = 0
        for round in 0..<20_000 {
            var bytes = (0..<Int.random(in: 0..<300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            // Half the inputs get small counts, so parsing gets past the header's sanity check into the sections.
            if round % 2 == 0, bytes.count >= 12 {
                for countByte in [4, 6, 8, 10] { bytes[countByte] = 0 }
                for countByte in [5, 7, 9, 11] { bytes[countByte] = UInt8.random(in: 0...3, using: &generator) }
            }
            if let message = try? DNSMessage(parsing: bytes) {
                parsedCount += 1
                expectRoundTrip(message)
            }
        }
        #expect(parsedCount > 0)
    }

    /// Random bytes in DNS's shapes: short labels, root bytes, backward pointers, known types and small lengths, so
    /// that parsing gets deep into names and records before it fails, or succeeds.
    static func randomMessageShapedBytes(using generator: inout SeededGenerator) -> [UInt8] {
        var bytes = header(
            id: .random(in: 0...0xFFFF, using: &generator), flags: .random(in: 0...0xFFFF, using: &generator),
            questions: .random(in: 0...2, using: &generator), answers: .random(in: 0...3, using: &generator),
            authorities: .random(in: 0...1, using: &generator), additionals: .random(in: 0...2, using: &generator))
        let types: [UInt8] = [1, 2, 5, 6, 12, 16, 28, 33, 41, 99]
        for _ in 0..<Int.random(in: 0..<60, using: &generator) {
            switch Int.random(in: 0..<7, using: &generator) {
            case 0:
                let length = Int.random(in: 1...4, using: &generator)
                bytes += [UInt8(length)] + (0..<length).map { _ in UInt8.random(in: 0x61...0x7A, using: &generator) }
            case 1: bytes.append(0)
            case 2: bytes += [0xC0, UInt8.random(in: 0...UInt8(min(bytes.count, 255)), using: &generator)]
            case 3: bytes += [0, types[Int.random(in: 0..<types.count, using: &generator)]]
            case 4: bytes += [0, UInt8.random(in: 0...24, using: &generator)]
            case 5: bytes += [0, 1]
            default: bytes.append(UInt8.random(in: 0...255, using: &generator))
            }
        }
        return bytes
    }

    @Test func randomMessageShapedBytesNeverTrap() {
        var generator = SeededGenerator(state: 6891)
        var parsedCount = 0
        var failures: Set<String> = []
        for _ in 0..<20_000 {
            do {
                let message = try DNSMessage(parsing: Self.randomMessageShapedBytes(using: &generator))
                parsedCount += 1
                expectRoundTrip(message)
            } catch {
                failures.insert("\(error.problem)".prefix { $0 != "(" }.description)
            }
        }
        #expect(parsedCount > 100)
        let expected: Set = ["countsExceedMessage", "endOfMessage", "unsupportedLabelType", "badCompressionPointer", "recordDataMismatch", "misplacedOPT"]
        #expect(failures.isSuperset(of: expected), "the inputs reach the parser's checks: \(failures.sorted())")
    }

    @Test func mutatedResponsesNeverTrapAndReparseTheSame() {
        let valid = sampleResponse().serialized()
        var generator = SeededGenerator(state: 2782)
        var parsedCount = 0
        for _ in 0..<20_000 {
            var bytes = valid
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: bytes[position] = UInt8.random(in: 0...255, using: &generator)
                case 1: bytes[position] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
                case 2: bytes.removeSubrange(position...)
                default: bytes.insert(UInt8.random(in: 0...255, using: &generator), at: position)
                }
                if bytes.isEmpty { break }
            }
            if let message = try? DNSMessage(parsing: bytes) {
                parsedCount += 1
                expectRoundTrip(message)
            }
        }
        #expect(parsedCount > 1000, "many mutations leave a parseable message")
    }
}
