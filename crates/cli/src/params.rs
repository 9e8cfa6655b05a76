//! Command-line `key=value` parameters: splitting, duplicates, reserved names.

use anyhow::{bail, ensure};

/// Names the client sets itself; a user value for them would break the signature.
const RESERVED: &[&str] = &[
    "command",
    "apikey",
    "signature",
    "signatureversion",
    "expires",
    "response",
];

/// Splits `key=value` at the first `=`; the value may itself contain `=`.
pub fn split(arg: &str) -> anyhow::Result<(String, String)> {
    let Some((key, value)) = arg.split_once('=') else {
        bail!("expected key=value, got `{arg}`");
    };
    let key = key.trim();
    ensure!(!key.is_empty(), "missing parameter name in `{arg}`");
    Ok((key.to_string(), value.to_string()))
}

/// Parses API parameters in order. Map parameters (`details[0].cpuNumber=2`) pass
/// through unchanged; a repeated name keeps its first position and last value.
pub fn parse(args: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(args.len());
    for arg in args {
        let (key, value) = split(arg)?;
        if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(&key)) {
            bail!("parameter `{key}` is set by strato api itself");
        }
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => out.push((key, value)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn splits_at_first_equals() -> anyhow::Result<()> {
        let got = parse(&strings(&[
            "zoneid=abc",
            "userdata=aGk=",
            "name=",
            "details[0].cpuNumber=2",
            "keyword=a b=c",
        ]))?;
        let want = pairs(&[
            ("zoneid", "abc"),
            ("userdata", "aGk="),
            ("name", ""),
            ("details[0].cpuNumber", "2"),
            ("keyword", "a b=c"),
        ]);
        assert_eq!(got, want);
        Ok(())
    }

    #[test]
    fn repeated_name_last_value_wins() -> anyhow::Result<()> {
        let got = parse(&strings(&["a=1", "b=2", "a=3"]))?;
        assert_eq!(got, pairs(&[("a", "3"), ("b", "2")]));
        Ok(())
    }

    #[test]
    fn rejects_bad_arguments() {
        assert!(parse(&strings(&["zoneid"])).is_err());
        assert!(parse(&strings(&["=value"])).is_err());
        assert!(parse(&strings(&["apiKey=x"])).is_err());
        assert!(parse(&strings(&["Response=xml"])).is_err());
    }
}
