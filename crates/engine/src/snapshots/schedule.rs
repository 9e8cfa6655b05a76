//! Snapshot policy schedules: CloudStack's `schedule` strings per interval and the next
//! time one fires, in a fixed-offset time zone.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, Timelike, Utc};
use strato_common::ApiError;

pub const INTERVALS: &[&str] = &["HOURLY", "DAILY", "WEEKLY", "MONTHLY"];

/// CloudStack's number of an interval (`intervaltype` in responses).
pub fn interval_number(interval: &str) -> i64 {
    INTERVALS
        .iter()
        .position(|i| *i == interval)
        .and_then(|i| i64::try_from(i).ok())
        .unwrap_or(0)
}

/// A parsed schedule: minute, hour, day (of week 1-7 from Sunday, or of month).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    interval: usize,
    minute: u32,
    hour: u32,
    day: u32,
}

fn bad(schedule: &str, form: &str) -> ApiError {
    ApiError::param(format!(
        "Invalid parameter schedule={schedule}: expected {form}"
    ))
}

pub fn parse(interval: &str, schedule: &str) -> Result<Schedule, ApiError> {
    let interval = INTERVALS
        .iter()
        .position(|i| i.eq_ignore_ascii_case(interval))
        .ok_or_else(|| {
            ApiError::param(format!(
                "Invalid parameter intervaltype={interval}: expected one of {}",
                INTERVALS.join(", ")
            ))
        })?;
    let (form, parts, day_range) = match interval {
        0 => ("mm (minute of the hour)", 1, 1..=1),
        1 => ("mm:HH", 2, 1..=1),
        2 => ("mm:HH:D (day of the week, 1 = Sunday)", 3, 1..=7),
        _ => ("mm:HH:DD (day of the month, 1 to 28)", 3, 1..=28),
    };
    let nums: Vec<u32> = schedule
        .split(':')
        .map(|p| p.trim().parse::<u32>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad(schedule, form))?;
    if nums.len() != parts {
        return Err(bad(schedule, form));
    }
    let s = Schedule {
        interval,
        minute: nums[0],
        hour: nums.get(1).copied().unwrap_or(0),
        day: nums.get(2).copied().unwrap_or(1),
    };
    if s.minute > 59 || s.hour > 23 || !day_range.contains(&s.day) {
        return Err(bad(schedule, form));
    }
    Ok(s)
}

/// `UTC`, `GMT`, `Etc/UTC`, `GMT+hh[:mm]`/`UTC-hhmm` and `Etc/GMT±h` (whose sign is
/// inverted, as in the tz database). Named regional zones are not supported.
pub fn parse_timezone(tz: &str) -> Result<FixedOffset, ApiError> {
    let t = tz.trim();
    let unsupported = || {
        ApiError::param(format!(
            "Invalid parameter timezone={tz}: use UTC or a fixed offset such as GMT+05:30"
        ))
    };
    let (rest, invert) = if let Some(r) = t.strip_prefix("Etc/GMT") {
        (r, true)
    } else if let Some(r) = t.strip_prefix("GMT").or(t.strip_prefix("UTC")) {
        (r, false)
    } else if t == "Etc/UTC" || t == "Z" {
        ("", false)
    } else {
        return Err(unsupported());
    };
    if rest.is_empty() {
        return FixedOffset::east_opt(0).ok_or_else(unsupported);
    }
    let (sign, digits) = match rest.split_at(1) {
        ("+", d) => (1, d),
        ("-", d) => (-1, d),
        _ => return Err(unsupported()),
    };
    let (h, m) = match digits.split_once(':') {
        Some((h, m)) => (h, m),
        None if digits.len() == 4 => digits.split_at(2),
        None => (digits, "0"),
    };
    let (h, m): (i32, i32) = (
        h.parse().map_err(|_| unsupported())?,
        m.parse().map_err(|_| unsupported())?,
    );
    if h > 14 || m > 59 {
        return Err(unsupported());
    }
    let secs = sign * (h * 3600 + m * 60) * if invert { -1 } else { 1 };
    FixedOffset::east_opt(secs).ok_or_else(unsupported)
}

fn at(date: NaiveDate, s: &Schedule) -> Option<NaiveDateTime> {
    date.and_hms_opt(s.hour, s.minute, 0)
}

/// The first time after `now` that the schedule fires.
pub fn next_after(s: &Schedule, tz: FixedOffset, now: DateTime<Utc>) -> DateTime<Utc> {
    let local = now.with_timezone(&tz).naive_local();
    let today = local.date();
    let candidate = match s.interval {
        0 => {
            let c = today
                .and_hms_opt(local.hour(), s.minute, 0)
                .unwrap_or(local);
            if c > local { c } else { c + Duration::hours(1) }
        }
        1 => {
            let c = at(today, s).unwrap_or(local);
            if c > local { c } else { c + Duration::days(1) }
        }
        2 => {
            let target = i64::from(s.day - 1);
            let current = i64::from(today.weekday().num_days_from_sunday());
            let ahead = (target - current).rem_euclid(7);
            let c = at(today + Duration::days(ahead), s).unwrap_or(local);
            if c > local { c } else { c + Duration::days(7) }
        }
        _ => {
            let this = NaiveDate::from_ymd_opt(today.year(), today.month(), s.day)
                .and_then(|d| at(d, s))
                .unwrap_or(local);
            if this > local {
                this
            } else {
                let (y, m) = if today.month() == 12 {
                    (today.year() + 1, 1)
                } else {
                    (today.year(), today.month() + 1)
                };
                NaiveDate::from_ymd_opt(y, m, s.day)
                    .and_then(|d| at(d, s))
                    .unwrap_or(local + Duration::days(28))
            }
        }
    };
    (candidate - Duration::seconds(i64::from(tz.local_minus_utc()))).and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn schedules_fire_at_the_next_matching_time() {
        let z = parse_timezone("UTC").expect("utc");
        let now = utc("2026-03-04T10:30:00Z"); // a Wednesday
        let next = |i: &str, s: &str| next_after(&parse(i, s).expect("valid"), z, now);
        assert_eq!(next("HOURLY", "45"), utc("2026-03-04T10:45:00Z"));
        assert_eq!(next("HOURLY", "30"), utc("2026-03-04T11:30:00Z"));
        assert_eq!(next("DAILY", "15:09"), utc("2026-03-05T09:15:00Z"));
        assert_eq!(next("DAILY", "00:23"), utc("2026-03-04T23:00:00Z"));
        assert_eq!(next("WEEKLY", "00:08:1"), utc("2026-03-08T08:00:00Z"));
        assert_eq!(next("WEEKLY", "31:10:4"), utc("2026-03-04T10:31:00Z"));
        assert_eq!(next("WEEKLY", "30:10:4"), utc("2026-03-11T10:30:00Z"));
        assert_eq!(next("MONTHLY", "00:00:1"), utc("2026-04-01T00:00:00Z"));
        assert_eq!(next("MONTHLY", "00:12:4"), utc("2026-03-04T12:00:00Z"));
        let december = utc("2026-12-20T00:00:00Z");
        let s = parse("MONTHLY", "00:00:5").expect("valid");
        assert_eq!(next_after(&s, z, december), utc("2027-01-05T00:00:00Z"));
    }

    #[test]
    fn time_zones_shift_the_schedule() {
        let now = utc("2026-03-04T10:30:00Z");
        let s = parse("DAILY", "00:12").expect("valid");
        let india = parse_timezone("GMT+05:30").expect("offset");
        // 12:00 at +05:30 is 06:30 UTC, passed today: tomorrow.
        assert_eq!(next_after(&s, india, now), utc("2026-03-05T06:30:00Z"));
        let etc = parse_timezone("Etc/GMT+5").expect("offset");
        assert_eq!(etc.local_minus_utc(), -5 * 3600);
        assert_eq!(
            parse_timezone("UTC-0800").expect("o").local_minus_utc(),
            -8 * 3600
        );
        assert!(parse_timezone("Asia/Kolkata").is_err());
        assert!(parse_timezone("GMT+99").is_err());
    }

    #[test]
    fn bad_schedules_are_refused() {
        for (i, s) in [
            ("HOURLY", "60"),
            ("HOURLY", "1:2"),
            ("DAILY", "10"),
            ("DAILY", "00:24"),
            ("WEEKLY", "00:10:8"),
            ("WEEKLY", "00:10:0"),
            ("MONTHLY", "00:10:29"),
            ("MONTHLY", "a:b:c"),
            ("YEARLY", "00"),
        ] {
            assert!(parse(i, s).is_err(), "{i} {s}");
        }
        assert_eq!(interval_number("WEEKLY"), 2);
    }
}
