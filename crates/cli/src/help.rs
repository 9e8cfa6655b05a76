//! Per-command help: asks the server's `listApis name=<command>` and prints the
//! description, whether the command is async, and its parameters.

use std::process::ExitCode;

use serde_json::{Value, json};

use crate::request::Client;

/// Prints help for `command`; API errors give exit status 1.
pub async fn show(client: &Client, command: &str) -> anyhow::Result<ExitCode> {
    let params = [("name".to_string(), command.to_string())];
    let inner = match client.call("listApis", &params).await? {
        Ok(inner) => inner,
        Err(err) => {
            eprintln!("{err}");
            return Ok(ExitCode::FAILURE);
        }
    };
    match find_api(&inner, command) {
        Some(api) => {
            crate::output::emit(&describe(api))?;
            Ok(ExitCode::SUCCESS)
        }
        None => {
            eprintln!("Unknown command: {command}");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn find_api<'a>(inner: &'a Value, command: &str) -> Option<&'a Value> {
    let apis = inner.get("api")?.as_array()?;
    apis.iter()
        .find(|a| a.get("name").and_then(Value::as_str) == Some(command))
        .or_else(|| {
            apis.iter().find(|a| {
                a.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.eq_ignore_ascii_case(command))
            })
        })
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// The help text for one `listApis` entry; required parameters come first.
pub fn describe(api: &Value) -> String {
    let name = text(api, "name");
    let is_async = api.get("isasync").and_then(Value::as_bool).unwrap_or(false);
    let mut out = format!("{name}: {}\n", text(api, "description"));
    out.push_str(&format!("Async: {}\n", if is_async { "yes" } else { "no" }));
    if let Some(since) = api.get("since").and_then(Value::as_str) {
        out.push_str(&format!("Since: {since}\n"));
    }
    let mut params: Vec<&Value> = api
        .get("params")
        .and_then(Value::as_array)
        .map(|p| p.iter().collect())
        .unwrap_or_default();
    let required = |p: &Value| p.get("required").and_then(Value::as_bool) == Some(true);
    params.sort_by(|a, b| (!required(a), text(a, "name")).cmp(&(!required(b), text(b, "name"))));
    if params.is_empty() {
        out.push_str("\nNo parameters.\n");
        return out;
    }
    let rows: Vec<Value> = params
        .iter()
        .map(|p| {
            json!({
                "name": text(p, "name"),
                "type": text(p, "type"),
                "required": if required(p) { "yes" } else { "no" },
                "description": text(p, "description"),
            })
        })
        .collect();
    out.push_str("\nParameters:\n");
    out.push_str(&crate::output::table(&json!({ "params": rows }), &[]));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_parameters_required_first() {
        let inner = json!({"count": 1, "api": [{
            "name": "deployVirtualMachine", "description": "Creates a VM.",
            "isasync": true,
            "params": [
                {"name": "name", "type": "string", "required": false, "description": "host name"},
                {"name": "zoneid", "type": "uuid", "required": true, "description": "zone"}
            ]
        }]});
        let api = find_api(&inner, "deployvirtualmachine");
        let got = api.map(describe).unwrap_or_default();
        let want = "\
deployVirtualMachine: Creates a VM.
Async: yes

Parameters:
name    type    required  description
------  ------  --------  -----------
zoneid  uuid    yes       zone
name    string  no        host name
";
        assert_eq!(got, want);
        assert!(find_api(&inner, "other").is_none());
    }
}
