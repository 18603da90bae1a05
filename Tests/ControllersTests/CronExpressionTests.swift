import Foundation
import Testing

@testable import Controllers

@Suite("cron schedules")
struct CronExpressionTests {
    let utc = TimeZone(identifier: "UTC") ?? .current
    func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text) ?? .distantPast }

    @Test func everyFiveMinutes() throws {
        let schedule = try #require(CronExpression("*/5 * * * *"))
        #expect(schedule.next(after: date("2026-11-21T10:02:30Z"), in: utc) == date("2026-11-21T10:05:00Z"))
        #expect(schedule.next(after: date("2026-11-21T10:05:00Z"), in: utc) == date("2026-11-21T10:10:00Z"))
    }

    @Test func macrosNamesAndRanges() throws {
        #expect(try #require(CronExpression("@hourly")).next(after: date("2026-11-21T10:02:00Z"), in: utc) == date("2026-11-21T11:00:00Z"))
        #expect(try #require(CronExpression("@daily")).next(after: date("2026-11-21T10:02:00Z"), in: utc) == date("2026-11-22T00:00:00Z"))
        // Weekdays at 09:30: Saturday 21 November 2026 → Monday the 23rd.
        let weekdays = try #require(CronExpression("30 9 * * mon-fri"))
        #expect(weekdays.next(after: date("2026-11-21T10:00:00Z"), in: utc) == date("2026-11-23T09:30:00Z"))
        #expect(try #require(CronExpression("0 0 1 jan *")).next(after: date("2026-11-21T00:00:00Z"), in: utc) == date("2027-01-01T00:00:00Z"))
    }

    @Test func dayOfMonthOrDayOfWeekWhenBothAreRestricted() throws {
        // The 1st of the month or any Sunday: Sunday 22 November comes first.
        let schedule = try #require(CronExpression("0 12 1 * sun"))
        #expect(schedule.next(after: date("2026-11-21T13:00:00Z"), in: utc) == date("2026-11-22T12:00:00Z"))
    }

    @Test func timeZonesShiftTheFiringTime() throws {
        let schedule = try #require(CronExpression("0 9 * * *"))
        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        #expect(schedule.next(after: date("2026-11-21T00:00:00Z"), in: berlin) == date("2026-11-21T08:00:00Z"))
    }

    @Test func invalidSchedulesAreRefused() {
        #expect(CronExpression("61 * * * *") == nil)
        #expect(CronExpression("* * *") == nil)
        #expect(CronExpression("*/0 * * * *") == nil)
        #expect(CronExpression("0 0 30 2 *")?.next(after: Date(), in: utc) == nil, "February 30th never comes")
    }

    @Test func jobNamesCountMinutesSinceTheEpochAndTheLatestMissedTimeIsFound() throws {
        #expect(CronJobController.jobName(cronJob: "backup", scheduled: date("2026-11-21T10:05:00Z")) == "backup-29920925")
        let schedule = try #require(CronExpression("*/5 * * * *"))
        let latest = CronJobController.mostRecentSchedule(schedule, since: date("2026-11-21T10:00:00Z"), now: date("2026-11-21T10:17:00Z"), timeZone: utc)
        #expect(latest == date("2026-11-21T10:15:00Z"))
    }
}
