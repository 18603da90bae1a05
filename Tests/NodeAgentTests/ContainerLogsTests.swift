import Foundation
import Testing

@testable import NodeAgent

/// CRI log files rendered for `kubectl logs`.
@Suite("container logs")
struct ContainerLogsTests {
    static let file = """
        2026-11-21T10:00:00.100000000Z stdout F starting
        2026-11-21T10:00:01.5Z stderr F warning: low disk
        2026-11-21T10:00:02Z stdout P a long li
        2026-11-21T10:00:02.000000001Z stdout F ne in two parts
        2026-11-21T10:00:03Z stdout F 
        2026-11-21T10:00:04Z stdout F done

        """

    @Test func fullLinesGetNewlinesAndPartsAreJoined() {
        #expect(ContainerLogs.render(Self.file, options: .init()) == "starting\nwarning: low disk\na long line in two parts\n\ndone\n")
    }

    @Test func streamsTailSinceTimestampsAndLimits() {
        #expect(ContainerLogs.render(Self.file, options: .init(stream: .stderr)) == "warning: low disk\n")
        #expect(ContainerLogs.render(Self.file, options: .init(tailLines: 2)) == "\ndone\n")
        #expect(ContainerLogs.render(Self.file, options: .init(tailLines: 0)) == "")
        let since = ISO8601DateFormatter().date(from: "2026-11-21T10:00:03Z")
        #expect(ContainerLogs.render(Self.file, options: .init(since: since)) == "\ndone\n")
        #expect(ContainerLogs.render(Self.file, options: .init(tailLines: 4, timestamps: true))
            == "2026-11-21T10:00:02Z a long li" + "ne in two parts\n2026-11-21T10:00:03Z \n2026-11-21T10:00:04Z done\n")
        #expect(ContainerLogs.render(Self.file, options: .init(limitBytes: 12)) == "starting\nwar")
    }

    @Test func aTruncatedLastLineIsIgnored() {
        #expect(ContainerLogs.render("2026-11-21T10:00:00Z stdout F ok\n2026-11-21T10:0", options: .init()) == "ok\n")
        #expect(ContainerLogs.parse("garbage") == nil)
    }
}

@Suite("container log rotation")
struct ContainerLogRotationTests {
    static let now = Date(timeIntervalSince1970: 1_795_000_000)

    @Test func aLogWithinTheLimitStays() {
        let plan = ContainerLogRotation.plan(path: "/logs/app/0.log", size: 100, rotated: [], maxSize: 1024, maxFiles: 5, now: Self.now)
        #expect(plan == .init(rotateTo: nil, delete: []))
    }

    @Test func anOversizedLogMovesAsideAndOnlyTheNewestRotatedFilesStay() {
        let rotated = ["/logs/app/0.log.20261120-100000", "/logs/app/0.log.20261121-100000", "/logs/app/0.log.20261119-100000"]
        let plan = ContainerLogRotation.plan(path: "/logs/app/0.log", size: 2048, rotated: rotated, maxSize: 1024, maxFiles: 3, now: Self.now)
        #expect(plan.rotateTo == "/logs/app/0.log.\(ContainerLogRotation.stamp(Self.now))")
        // Three files in all: the current one, the one rotated now and the newest before it.
        #expect(plan.delete == ["/logs/app/0.log.20261119-100000", "/logs/app/0.log.20261120-100000"])
        #expect(ContainerLogRotation.stamp(Self.now).count == 15)
    }
}
