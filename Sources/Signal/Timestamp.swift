/// A UTC instant in integer nanoseconds since the Unix epoch: the time type of samples,
/// evidence and grants (signed payloads carry no floating point).
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var nanosecondsSinceEpoch: Int64

    public init(nanosecondsSinceEpoch: Int64) { self.nanosecondsSinceEpoch = nanosecondsSinceEpoch }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch }

    /// The instant `nanoseconds` later.
    public func advanced(byNanoseconds nanoseconds: Int64) -> Timestamp {
        Timestamp(nanosecondsSinceEpoch: nanosecondsSinceEpoch + nanoseconds)
    }

    /// The time of sample `index` of a stream whose sample 0 is at `self`, at `sampleRate`.
    public func advanced(bySamples index: Int64, sampleRate: Double) -> Timestamp {
        advanced(byNanoseconds: Int64((Double(index) * 1e9 / sampleRate).rounded()))
    }

    /// RFC 3339 in UTC with a `Z` and as many fraction digits as needed (none, 3, 6 or 9).
    public var rfc3339: String {
        let seconds = nanosecondsSinceEpoch.floorDiv(1_000_000_000)
        let nanos = nanosecondsSinceEpoch - seconds * 1_000_000_000
        let days = seconds.floorDiv(86_400)
        let secondOfDay = seconds - days * 86_400
        let (y, m, d) = Self.civil(fromDays: days)
        var text = "\(Self.pad(y, 4))-\(Self.pad(m, 2))-\(Self.pad(d, 2))T\(Self.pad(secondOfDay / 3600, 2)):\(Self.pad(secondOfDay / 60 % 60, 2)):\(Self.pad(secondOfDay % 60, 2))"
        if nanos != 0 {
            var digits = Self.pad(nanos, 9)
            while digits.count > 3 && digits.hasSuffix("000") { digits.removeLast(3) }
            text += "." + digits
        }
        return text + "Z"
    }

    public var description: String { rfc3339 }

    /// Parses RFC 3339 (`2026-11-24T06:00:00.123456789Z`, or with a `±hh:mm` offset).
    public init(rfc3339 text: String) throws(SignalError) {
        let bad = SignalError.invalidArgument(name: "datetime", problem: "'\(text)' is not an RFC 3339 time such as 2026-11-24T06:00:00Z")
        let u = Array(text.utf8)
        func number(_ from: Int, _ count: Int) throws(SignalError) -> Int64 {
            guard from + count <= u.count else { throw bad }
            var v: Int64 = 0
            for k in from..<(from + count) {
                guard u[k] >= 48 && u[k] <= 57 else { throw bad }
                v = v * 10 + Int64(u[k] - 48)
            }
            return v
        }
        guard u.count >= 20, u[4] == 45, u[7] == 45, u[10] == 84 || u[10] == 116 || u[10] == 32, u[13] == 58, u[16] == 58 else { throw bad }
        let year = try number(0, 4), month = try number(5, 2), day = try number(8, 2)
        let hour = try number(11, 2), minute = try number(14, 2), second = try number(17, 2)
        guard (1...12).contains(month), day >= 1, day <= Self.daysIn(month: month, year: year),
              hour < 24, minute < 60, second < 61 else { throw bad }
        var index = 19
        var nanos: Int64 = 0
        if index < u.count && u[index] == 46 {
            index += 1
            var digits = 0
            while index < u.count && u[index] >= 48 && u[index] <= 57 {
                if digits < 9 { nanos = nanos * 10 + Int64(u[index] - 48) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { throw bad }
            for _ in digits..<max(digits, 9) { nanos *= 10 }
        }
        guard index < u.count else { throw bad }
        var offsetSeconds: Int64 = 0
        if u[index] == 90 || u[index] == 122 {
            index += 1
        } else if u[index] == 43 || u[index] == 45 {
            let sign: Int64 = u[index] == 45 ? -1 : 1
            guard index + 6 == u.count, u[index + 3] == 58 else { throw bad }
            offsetSeconds = sign * (try number(index + 1, 2) * 3600 + number(index + 4, 2) * 60)
            index += 6
        } else { throw bad }
        guard index == u.count else { throw bad }
        let days = Self.days(fromCivil: year, month, day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        // Nanoseconds since 1970 in 64 bits reach from 1677 to 2262: outside, the time is refused.
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (total, overflow2) = scaled.addingReportingOverflow(nanos)
        guard !overflow, !overflow2 else {
            throw SignalError.invalidArgument(name: "datetime", problem: "'\(text)' is outside 1677–2262, the times nanoseconds since 1970 can hold")
        }
        self.init(nanosecondsSinceEpoch: total)
    }

    // Howard Hinnant's days_from_civil / civil_from_days.
    static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = y.floorDiv(400)
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = z.floorDiv(146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}

extension Int64 {
    /// Division rounding toward negative infinity.
    func floorDiv(_ d: Int64) -> Int64 {
        let q = self / d
        return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
    }
}
