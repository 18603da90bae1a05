import APIMachinery
import Testing

/// Durations as Go's `time.Duration.String()` prints them.
struct GoDurationTests {
    @Test func nanoseconds() {
        let cases: [(Int64, String)] = [
            (0, "0s"), (1, "1ns"), (1_500, "1.5µs"), (100_000_000, "100ms"), (1_500_000_000, "1.5s"),
            (90_000_000_000, "1m30s"), (3_723_000_000_000, "1h2m3s"), (259_200_000_000_000, "72h0m0s"),
            (-2_000_000_000, "-2s"), (Int64.min, "-2562047h47m16.854775808s"),
        ]
        for (nanoseconds, text) in cases {
            #expect(GoDuration.string(nanoseconds: nanoseconds) == text)
        }
    }

    @Test func swiftDurations() {
        #expect(GoDuration.string(.milliseconds(15_043)) == "15.043s")
        #expect(GoDuration.string(.seconds(60)) == "1m0s")
        #expect(GoDuration.string(.nanoseconds(-1_500)) == "-1.5µs")
    }

    @Test func parsing() {
        #expect(GoDuration.parse("15s") == .seconds(15))
        #expect(GoDuration.parse("1m30s") == .seconds(90))
        #expect(GoDuration.parse("500ms") == .milliseconds(500))
        #expect(GoDuration.parse("1.5h") == .seconds(5400))
        #expect(GoDuration.parse("-2s") == .seconds(-2))
        #expect(GoDuration.parse("0") == .zero)
        for bad in ["", "15", "s", "1x", "1.2.3s", "--1s"] {
            #expect(GoDuration.parse(bad) == nil, "\(bad)")
        }
    }
}
