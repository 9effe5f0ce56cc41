//! Money on the wire: integer cents, sent as a JSON number with two decimals.

use serde::{Deserialize, Serialize};

/// An amount of money kept in integer cents and sent as a number with two decimals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(pub i64);

impl Money {
    /// The amount in cents.
    pub fn cents(self) -> i64 {
        self.0
    }

    /// Parses a decimal dollar amount ("300", "12.5", "7.77"; at most two decimals, not
    /// negative, at most a billion dollars).
    pub fn parse_dollars(text: &str) -> Option<Money> {
        let text = text.trim().trim_start_matches('$');
        let (whole, frac) = match text.split_once('.') {
            Some((w, f)) => (w, f),
            None => (text, ""),
        };
        if whole.is_empty() && frac.is_empty()
            || whole.len() > 10
            || frac.len() > 2
            || !whole.chars().all(|c| c.is_ascii_digit())
            || !frac.chars().all(|c| c.is_ascii_digit())
        {
            return None;
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        let frac: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().ok()? * 10,
            _ => frac.parse().ok()?,
        };
        let cents = whole.checked_mul(100)?.checked_add(frac)?;
        (cents <= 100_000_000_000).then_some(Money(cents))
    }
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // A raw number keeps the two decimals on the wire (300.00, not 300.0).
        let raw = serde_json::value::RawValue::from_string(self.to_string())
            .map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let dollars = f64::deserialize(deserializer)?;
        if !dollars.is_finite() {
            return Err(serde::de::Error::custom("money must be a finite number"));
        }
        Ok(Money((dollars * 100.0).round() as i64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollar_amounts_parse_exactly() {
        assert_eq!(Money::parse_dollars("300"), Some(Money(30_000)));
        assert_eq!(Money::parse_dollars("7.77"), Some(Money(777)));
        assert_eq!(Money::parse_dollars("12.5"), Some(Money(1_250)));
        assert_eq!(Money::parse_dollars("$0.10"), Some(Money(10)));
        assert_eq!(Money::parse_dollars("0"), Some(Money(0)));
        for bad in ["", ".", "-5", "1.234", "abc", "1e3", "99999999999"] {
            assert_eq!(Money::parse_dollars(bad), None, "{bad}");
        }
    }
}
