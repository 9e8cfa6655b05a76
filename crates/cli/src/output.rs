//! Output rendering of a response object as pretty JSON, an aligned table or CSV,
//! with an optional `--filter` of fields.

use std::io::Write;

use serde_json::{Map, Value};

/// Writes `text` to stdout; a closed pipe (`| head`) is not an error.
pub fn emit(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// `--output` formats.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OutputFormat {
    #[default]
    Json,
    Table,
    Csv,
}

/// How a response carries its items.
enum Shape<'a> {
    /// `{"count":2,"zone":[{…},{…}]}`: the first non-empty array of objects.
    List(&'a str, &'a [Value]),
    /// `{"virtualmachine":{…}}`: one entity under its object name.
    Wrapped(&'a str, &'a Map<String, Value>),
    /// Any other object, e.g. `{"success":true}`.
    Flat(&'a Map<String, Value>),
    /// Not an object, or an empty one (an empty list answer).
    Empty,
}

fn shape(value: &Value) -> Shape<'_> {
    let Value::Object(map) = value else {
        return Shape::Empty;
    };
    if map.is_empty() {
        return Shape::Empty;
    }
    for (key, v) in map {
        if let Value::Array(items) = v
            && !items.is_empty()
            && items.iter().all(Value::is_object)
        {
            return Shape::List(key, items);
        }
    }
    if map.len() == 1
        && let Some((key, Value::Object(obj))) = map.iter().next()
    {
        return Shape::Wrapped(key, obj);
    }
    Shape::Flat(map)
}

/// The objects a table shows, one row each.
fn rows(value: &Value) -> Vec<&Map<String, Value>> {
    match shape(value) {
        Shape::List(_, items) => items.iter().filter_map(Value::as_object).collect(),
        Shape::Wrapped(_, obj) | Shape::Flat(obj) => vec![obj],
        Shape::Empty => Vec::new(),
    }
}

/// Renders `value` in `format`; the text ends with a newline unless empty.
pub fn render(value: &Value, format: OutputFormat, filter: &[String]) -> anyhow::Result<String> {
    let filter: Vec<&str> = filter
        .iter()
        .map(|f| f.trim())
        .filter(|f| !f.is_empty())
        .collect();
    Ok(match format {
        OutputFormat::Json => {
            let shown = if filter.is_empty() {
                value.clone()
            } else {
                filtered(value, &filter)
            };
            format!("{}\n", serde_json::to_string_pretty(&shown)?)
        }
        OutputFormat::Table => table(value, &filter),
        OutputFormat::Csv => csv(value, &filter),
    })
}

fn pick(obj: &Map<String, Value>, filter: &[&str]) -> Value {
    let mut out = Map::new();
    for f in filter {
        if let Some((k, v)) = obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(f)) {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

/// The same response with every item reduced to the filtered fields.
fn filtered(value: &Value, filter: &[&str]) -> Value {
    match (shape(value), value) {
        (Shape::List(key, items), Value::Object(map)) => {
            let items = items
                .iter()
                .filter_map(Value::as_object)
                .map(|o| pick(o, filter))
                .collect();
            let mut out = map.clone();
            out.insert(key.to_string(), Value::Array(items));
            Value::Object(out)
        }
        (Shape::Wrapped(key, obj), _) => {
            let mut out = Map::new();
            out.insert(key.to_string(), pick(obj, filter));
            Value::Object(out)
        }
        (Shape::Flat(obj), _) => pick(obj, filter),
        _ => value.clone(),
    }
}

/// Header names and cell texts: the filter's fields, or every scalar field.
fn grid(value: &Value, filter: &[&str]) -> (Vec<String>, Vec<Vec<String>>) {
    let rows = rows(value);
    let columns: Vec<String> = if filter.is_empty() {
        let mut cols: Vec<String> = Vec::new();
        for row in &rows {
            for (k, v) in row.iter() {
                if !v.is_object() && !v.is_array() && !cols.contains(k) {
                    cols.push(k.clone());
                }
            }
        }
        cols
    } else {
        filter.iter().map(|f| f.to_string()).collect()
    };
    let cells = rows
        .iter()
        .map(|row| {
            columns
                .iter()
                .map(
                    |c| match row.iter().find(|(k, _)| k.eq_ignore_ascii_case(c)) {
                        Some((_, v)) => cell(v),
                        None => String::new(),
                    },
                )
                .collect()
        })
        .collect();
    (columns, cells)
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Column-aligned text: a header, a rule, then one line per row.
pub fn table(value: &Value, filter: &[&str]) -> String {
    let (columns, rows) = grid(value, filter);
    if columns.is_empty() {
        return String::new();
    }
    let flat = |s: &str| s.replace(['\n', '\r', '\t'], " ");
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| flat(c)).collect())
        .collect();
    let widths: Vec<usize> = (0..columns.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([columns[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    let mut out = String::new();
    for line in [&columns, &rule].into_iter().chain(rows.iter()) {
        let mut text = String::new();
        for (i, c) in line.iter().enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            text.push_str(c);
            text.extend(std::iter::repeat_n(' ', widths[i] - c.chars().count()));
        }
        out.push_str(text.trim_end());
        out.push('\n');
    }
    out
}

/// RFC 4180 CSV with a header line.
pub fn csv(value: &Value, filter: &[&str]) -> String {
    let (columns, rows) = grid(value, filter);
    if columns.is_empty() {
        return String::new();
    }
    let line = |fields: &[String]| {
        let quoted: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        format!("{}\n", quoted.join(","))
    };
    let mut out = line(&columns);
    for row in &rows {
        out.push_str(&line(row));
    }
    out
}

fn csv_field(f: &str) -> String {
    if f.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        json!({
            "count": 2,
            "zone": [
                {"id": "z1", "name": "Zone One", "allocationstate": "Enabled",
                 "tags": [{"key": "k"}], "securitygroupsenabled": false},
                {"id": "z2", "name": "b,\"c\"", "allocationstate": "Disabled",
                 "dns1": "8.8.8.8"}
            ]
        })
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn table_aligns_scalar_fields() -> anyhow::Result<()> {
        let got = render(&sample(), OutputFormat::Table, &[])?;
        let want = "\
id  name      allocationstate  securitygroupsenabled  dns1
--  --------  ---------------  ---------------------  -------
z1  Zone One  Enabled          false
z2  b,\"c\"     Disabled                                8.8.8.8
";
        assert_eq!(got, want);
        Ok(())
    }

    #[test]
    fn csv_quotes_and_filters() -> anyhow::Result<()> {
        let got = render(&sample(), OutputFormat::Csv, &strings(&["id", "Name"]))?;
        assert_eq!(got, "id,Name\nz1,Zone One\nz2,\"b,\"\"c\"\"\"\n");
        Ok(())
    }

    #[test]
    fn json_filter_keeps_shape() -> anyhow::Result<()> {
        let got = render(&sample(), OutputFormat::Json, &strings(&["id"]))?;
        let back: Value = serde_json::from_str(&got)?;
        assert_eq!(
            back,
            json!({"count": 2, "zone": [{"id": "z1"}, {"id": "z2"}]})
        );
        let one = json!({"virtualmachine": {"id": "v", "state": "Running", "nic": []}});
        let got = render(&one, OutputFormat::Json, &strings(&["state"]))?;
        let back: Value = serde_json::from_str(&got)?;
        assert_eq!(back, json!({"virtualmachine": {"state": "Running"}}));
        Ok(())
    }

    #[test]
    fn single_and_empty_responses() -> anyhow::Result<()> {
        let one = json!({"virtualmachine": {"id": "v", "nic": [{"id": "n"}]}});
        assert_eq!(render(&one, OutputFormat::Csv, &[])?, "id\nv\n");
        let ok = json!({"success": true});
        assert_eq!(
            render(&ok, OutputFormat::Table, &[])?,
            "success\n-------\ntrue\n"
        );
        assert_eq!(render(&json!({}), OutputFormat::Table, &[])?, "");
        assert_eq!(render(&json!({}), OutputFormat::Json, &[])?, "{}\n");
        Ok(())
    }
}
