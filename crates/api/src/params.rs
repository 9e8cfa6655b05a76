//! Request parameters: resolving repeats, then checking values against a [`CommandSpec`].
//!
//! Parsing is pure (no I/O) so it can be property-tested: any input either becomes typed
//! [`Args`] or a CloudStack error naming the parameter, never a panic.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use strato_common::{ApiError, ErrorCode, error::cs};

use crate::spec::{CommandSpec, ParamSpec, ParamType};

/// Parameters of one request after CloudStack's repeat rules, names as sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawParams {
    pairs: Vec<(String, String)>,
}

impl RawParams {
    /// Query-string pairs win over body pairs; among query pairs the last occurrence of a
    /// name wins, among body pairs the first (the servlet's rules).
    pub fn resolve(query: Vec<(String, String)>, body: Vec<(String, String)>) -> Self {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (name, value) in body {
            if !pairs.iter().any(|(n, _)| *n == name) {
                pairs.push((name, value));
            }
        }
        for (name, value) in query {
            match pairs.iter_mut().find(|(n, _)| *n == name) {
                Some(slot) => slot.1 = value,
                None => pairs.push((name, value)),
            }
        }
        RawParams { pairs }
    }

    /// First occurrence wins (the integration port's rule).
    pub fn first_wins(query: Vec<(String, String)>) -> Self {
        Self::resolve(Vec::new(), query)
    }

    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        RawParams { pairs }
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// Value of a parameter whose name matches case-insensitively.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn command(&self) -> Option<&str> {
        // `command` is matched exactly: CloudStack reads it by its lower-case name.
        self.pairs
            .iter()
            .find(|(n, _)| n == "command")
            .map(|(_, v)| v.as_str())
    }

    pub fn without(&self, names: &[&str]) -> Vec<(String, String)> {
        self.pairs
            .iter()
            .filter(|(n, _)| !names.iter().any(|x| n.eq_ignore_ascii_case(x)))
            .cloned()
            .collect()
    }
}

/// A typed, validated parameter value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(String),
    Bool(bool),
    Int(i64),
    Uuid(String),
    Date(DateTime<Utc>),
    List(Vec<String>),
    Map(Vec<BTreeMap<String, String>>),
}

/// Validated arguments of one command, keyed by lower-case parameter name.
#[derive(Clone, Debug, Default)]
pub struct Args {
    values: HashMap<&'static str, Value>,
}

impl Args {
    pub fn str(&self, name: &str) -> Option<&str> {
        match self.values.get(name) {
            Some(Value::Str(s)) | Some(Value::Uuid(s)) => Some(s),
            _ => None,
        }
    }
    pub fn uuid(&self, name: &str) -> Option<&str> {
        self.str(name)
    }
    pub fn bool(&self, name: &str) -> Option<bool> {
        match self.values.get(name) {
            Some(Value::Bool(b)) => Some(*b),
            _ => None,
        }
    }
    pub fn flag(&self, name: &str) -> bool {
        self.bool(name).unwrap_or(false)
    }
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.values.get(name) {
            Some(Value::Int(i)) => Some(*i),
            _ => None,
        }
    }
    pub fn date(&self, name: &str) -> Option<DateTime<Utc>> {
        match self.values.get(name) {
            Some(Value::Date(d)) => Some(*d),
            _ => None,
        }
    }
    pub fn list(&self, name: &str) -> Option<&[String]> {
        match self.values.get(name) {
            Some(Value::List(l)) => Some(l),
            _ => None,
        }
    }
    pub fn map(&self, name: &str) -> Option<&[BTreeMap<String, String>]> {
        match self.values.get(name) {
            Some(Value::Map(m)) => Some(m),
            _ => None,
        }
    }
    pub fn has(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }
    /// Required parameters are checked by [`parse`]; this reads one the spec requires.
    pub fn required_str(&self, name: &str) -> Result<&str, ApiError> {
        self.str(name)
            .ok_or_else(|| ApiError::param(format!("missing parameter {name}")))
    }
}

/// Parameters every command accepts that are not its own arguments.
const TRANSPORT_PARAMS: &[&str] = &[
    "command",
    "response",
    "apikey",
    "signature",
    "signatureversion",
    "expires",
    "sessionkey",
    "_",
];

/// Checks `raw` against `spec`; unknown parameters are ignored, as CloudStack does.
pub fn parse(spec: &CommandSpec, raw: &RawParams) -> Result<Args, ApiError> {
    let mut args = Args::default();
    let mut maps: HashMap<&'static str, BTreeMap<i64, BTreeMap<String, String>>> = HashMap::new();
    for (name, value) in raw.pairs() {
        let lower = name.to_ascii_lowercase();
        if TRANSPORT_PARAMS.contains(&lower.as_str()) {
            continue;
        }
        check_control_chars(&lower, value)?;
        if let Some(open) = lower.find('[') {
            let (index, field) = parse_map_key(name, open)?;
            let base = &lower[..open];
            if let Some(p) = spec.param(base).filter(|p| p.ty == ParamType::Map) {
                check_length(spec, p, value)?;
                maps.entry(p.name)
                    .or_default()
                    .entry(index)
                    .or_default()
                    .insert(field, value.clone());
            }
            continue;
        }
        let Some(p) = spec.param(&lower) else {
            continue;
        };
        if p.ty == ParamType::Map {
            continue;
        }
        check_length(spec, p, value)?;
        if p.required && value.trim().is_empty() {
            return Err(ApiError::param(format!(
                "Invalid value provided for API arg: {}",
                p.name
            )));
        }
        if let Some(v) = parse_value(spec, p, value)? {
            args.values.insert(p.name, v);
        }
    }
    for (name, items) in maps {
        args.values
            .insert(name, Value::Map(items.into_values().collect()));
    }
    for p in spec.params() {
        if p.required && !args.values.contains_key(p.name) {
            // CloudStack names the command by its response name minus `response`.
            let name = spec.response_name();
            let command = name.strip_suffix("response").unwrap_or(&name);
            return Err(ApiError::missing_param(command, p.name));
        }
    }
    Ok(args)
}

fn check_control_chars(name: &str, value: &str) -> Result<(), ApiError> {
    let bad = value
        .chars()
        .any(|c| (c < ' ' && c != '\n' && c != '\r') || c == '\u{7f}');
    if bad && name != "activationrule" {
        return Err(ApiError::param(format!(
            "Received value for parameter {name} contains control characters, which are not allowed"
        )));
    }
    Ok(())
}

/// Only string values have a maximum length (lists of ids may be long).
fn check_length(spec: &CommandSpec, p: &ParamSpec, value: &str) -> Result<(), ApiError> {
    if matches!(p.ty, ParamType::String | ParamType::Map) && value.chars().count() > p.length {
        return Err(ApiError::param(format!(
            "Unable to execute API command {} due to invalid value. Value for parameter {} is longer than {} characters",
            spec.name.to_ascii_lowercase(),
            p.name,
            p.length
        )));
    }
    Ok(())
}

/// `name[N].field` → (N, field); anything else is CloudStack's 430.
fn parse_map_key(key: &str, open: usize) -> Result<(i64, String), ApiError> {
    let malformed = || {
        ApiError::new(
            ErrorCode::MalformedParameter,
            Some(cs::SERVER_API),
            format!("Unable to decode parameter {key}; expected the form name[index].field"),
        )
    };
    let rest = &key[open + 1..];
    let close = rest.find(']').ok_or_else(malformed)?;
    let index: i64 = rest[..close].parse().map_err(|_| malformed())?;
    let after = &rest[close + 1..];
    let field = after.strip_prefix('.').ok_or_else(malformed)?;
    if field.is_empty() || field.contains('[') || field.contains(']') {
        return Err(malformed());
    }
    Ok((index, field.to_string()))
}

fn invalid(spec: &CommandSpec, p: &ParamSpec, value: &str, why: &str) -> ApiError {
    ApiError::param(format!(
        "Unable to execute API command {} due to invalid value {value} for parameter {}: {why}",
        spec.name.to_ascii_lowercase(),
        p.name
    ))
}

fn parse_value(spec: &CommandSpec, p: &ParamSpec, value: &str) -> Result<Option<Value>, ApiError> {
    let v = match p.ty {
        ParamType::String => Value::Str(value.to_string()),
        ParamType::Uuid => {
            if value == "-1" || is_uuid(value) {
                Value::Uuid(value.to_ascii_lowercase())
            } else if value.is_empty() {
                return Ok(None);
            } else {
                return Err(invalid(spec, p, value, "not a UUID"));
            }
        }
        ParamType::Boolean => Value::Bool(value.eq_ignore_ascii_case("true")),
        ParamType::Integer => {
            if value.trim().is_empty() {
                return Ok(None);
            }
            let n: i32 = value
                .trim()
                .parse()
                .map_err(|_| invalid(spec, p, value, "not an integer"))?;
            Value::Int(n.into())
        }
        ParamType::Long => Value::Int(
            value
                .trim()
                .parse()
                .map_err(|_| invalid(spec, p, value, "not a number"))?,
        ),
        ParamType::Date => Value::Date(
            parse_date(p.name, value)
                .ok_or_else(|| invalid(spec, p, value, "unable to parse date"))?,
        ),
        ParamType::TzDate => Value::Date(
            parse_tz_date(value).ok_or_else(|| invalid(spec, p, value, "unable to parse date"))?,
        ),
        ParamType::List => Value::List(
            value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        ),
        ParamType::Map => return Ok(None),
    };
    Ok(Some(v))
}

pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// ISO-8601 with an offset: `Z`, `+hh:mm` or `+hhmm`, optional fraction.
pub fn parse_tz_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S%.f%z"] {
        if let Ok(t) = DateTime::<FixedOffset>::parse_from_str(s, fmt) {
            return Some(t.with_timezone(&Utc));
        }
    }
    None
}

/// A `date` parameter: tz-date, then `yyyy-MM-dd HH:mm:ss`, then `yyyy-MM-dd`.
fn parse_date(name: &str, s: &str) -> Option<DateTime<Utc>> {
    if let Some(t) = parse_tz_date(s) {
        return Some(t);
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S") {
        return Utc.from_local_datetime(&t).single();
    }
    let day = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
    let t = if name == "enddate" {
        day.and_hms_opt(23, 59, 59)?
    } else {
        day.and_hms_opt(0, 0, 0)?
    };
    Utc.from_local_datetime(&t).single()
}

#[cfg(test)]
#[path = "params_tests.rs"]
mod tests;
