//! CloudStack's date format: `yyyy-MM-dd'T'HH:mm:ssZ`, e.g. `2021-10-04T09:24:38+0000`.

use chrono::{DateTime, Utc};

pub fn format(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%z").to_string()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    #[test]
    fn formats_like_cloudstack() {
        let t = chrono::Utc
            .with_ymd_and_hms(2021, 10, 4, 9, 24, 38)
            .single()
            .expect("valid date");
        assert_eq!(super::format(&t), "2021-10-04T09:24:38+0000");
    }
}
