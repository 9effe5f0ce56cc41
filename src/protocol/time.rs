//! Times as people read them, the same on the server and in the browser (no time crate in the
//! wasm bundle).

/// `YYYY-MM-DD HH:MM UTC` of a Unix-millisecond time.
pub fn format_unix_utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        of_day / 3_600,
        of_day % 3_600 / 60
    )
}

#[cfg(test)]
mod tests {
    use super::format_unix_utc;

    #[test]
    fn dates_come_out_right_across_leap_years_and_before_1970() {
        assert_eq!(format_unix_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_unix_utc(951_782_400_000), "2000-02-29 00:00 UTC");
        assert_eq!(format_unix_utc(1_795_999_999_000), "2026-11-30 00:53 UTC");
        assert_eq!(format_unix_utc(-60_000), "1969-12-31 23:59 UTC");
    }
}
