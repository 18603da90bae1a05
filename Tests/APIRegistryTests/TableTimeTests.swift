import APIMachinery
import Foundation
import Testing

@testable import APIRegistry

/// `KubeTime` (metav1.Time / MicroTime wire forms) and `duration.HumanDuration` as the printers use it.
struct TableTimeTests {
    @Test func parsesAndFormatsRFC3339() throws {
        let date = try #require(KubeTime.parse("2024-05-01T10:00:00Z"))
        #expect(date.timeIntervalSince1970 == 1_714_557_600)
        #expect(KubeTime.format(date) == "2024-05-01T10:00:00Z")
        #expect(KubeTime.parse("2024-05-01T12:00:00+02:00") == date)
        #expect(KubeTime.parse("2024-05-01T09:30:00-00:30") == date)
        #expect(KubeTime.format(try #require(KubeTime.parse("1999-12-31T23:59:59Z"))) == "1999-12-31T23:59:59Z")
        #expect(KubeTime.format(try #require(KubeTime.parse("2024-02-29T00:00:00Z"))) == "2024-02-29T00:00:00Z")
    }

    @Test func fractionsAreTruncatedOrKeptToMicroseconds() throws {
        let date = try #require(KubeTime.parse("2024-05-01T10:00:00.5Z"))
        #expect(KubeTime.format(date) == "2024-05-01T10:00:00Z")
        #expect(KubeTime.formatMicro(date) == "2024-05-01T10:00:00.500000Z")
        #expect(KubeTime.formatMicro(try #require(KubeTime.parse("2024-05-01T10:00:00.000123Z"))) == "2024-05-01T10:00:00.000123Z")
        #expect(KubeTime.formatMicro(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000000Z")
    }

    @Test func rejectsMalformedTimes() {
        #expect(KubeTime.parse("") == nil)
        #expect(KubeTime.parse("2024-05-01") == nil)
        #expect(KubeTime.parse("2024-05-01T10:00:00") == nil)
        #expect(KubeTime.parse("2024-02-30T00:00:00Z") == nil)
        #expect(KubeTime.parse("2024-05-01T25:00:00Z") == nil)
        #expect(KubeTime.parse("2024-05-01T10:00:00Zjunk") == nil)
    }

    @Test func humanDurationMatchesKubernetes() {
        let cases: [(TimeInterval, String)] = [
            (-3, "<invalid>"), (-1, "0s"), (0, "0s"), (45, "45s"), (119, "119s"), (120, "2m"), (150, "2m30s"),
            (599, "9m59s"), (600, "10m"), (10_799, "179m"), (10_800, "3h"), (11_400, "3h10m"), (8 * 3600, "8h"),
            (47 * 3600, "47h"), (49 * 3600, "2d1h"), (5 * 86_400, "5d"), (8 * 86_400, "8d"), (800 * 86_400, "2y70d"),
            (730 * 86_400, "2y"), (9 * 365 * 86_400, "9y"),
        ]
        for (interval, expected) in cases {
            #expect(TableFormat.humanDuration(interval) == expected, "\(interval)s")
        }
    }
}
