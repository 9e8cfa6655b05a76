//! Signed API requests: building the parameter list, sending it, and reading
//! the JSON envelope back into either the inner response or an API error.

use std::fmt;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
use strato_api::sign::{encode_value, sign, string_to_sign};

use crate::config::Target;

/// How long a signature stays valid (`expires`).
const EXPIRY: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

/// An error envelope (or a failed job): printed as `Error <code>: <text>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: i64,
    pub text: String,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error {}: {}", self.code, self.text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// A request ready to send: every parameter, `signature` included when signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    pub params: Vec<(String, String)>,
}

impl Request {
    /// `name=ENC(value)&...`, for a query string or a form body.
    pub fn encoded(&self) -> String {
        self.params
            .iter()
            .map(|(k, v)| format!("{}={}", encode_value(k), encode_value(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Read-only commands go by GET, everything else by POST (like the Go SDK).
pub fn method_for(command: &str) -> Method {
    let lower = command.to_ascii_lowercase();
    if ["list", "get", "query", "find"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        Method::Get
    } else {
        Method::Post
    }
}

/// Adds `command`, `response=json` and, with keys, `apiKey`, `signatureVersion=3`,
/// `expires` and the `signature` over all of them. Unsigned requests (no keys,
/// for the integration port, which reads only the query string) always GET.
pub fn build(
    command: &str,
    user: &[(String, String)],
    keys: Option<(&str, &str)>,
    now: DateTime<Utc>,
) -> Request {
    let mut params = vec![("command".to_string(), command.to_string())];
    params.extend(user.iter().cloned());
    params.push(("response".into(), "json".into()));
    let Some((apikey, secret)) = keys else {
        return Request {
            method: Method::Get,
            params,
        };
    };
    let expires = (now + EXPIRY).to_rfc3339_opts(SecondsFormat::Secs, true);
    params.push(("apiKey".into(), apikey.to_string()));
    params.push(("signatureVersion".into(), "3".into()));
    params.push(("expires".into(), expires));
    let message = string_to_sign(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    params.push(("signature".into(), sign(secret, &message)));
    Request {
        method: method_for(command),
        params,
    }
}

/// Turns an HTTP answer into the inner response object or an [`ApiError`].
pub fn interpret(status: u16, body: &str) -> anyhow::Result<Result<Value, ApiError>> {
    let ok = (200..300).contains(&status);
    let json: Value = match serde_json::from_str(body) {
        Ok(v) => v,
        Err(_) if !ok => {
            let text = body.trim();
            let text = if text.is_empty() {
                "(empty body)"
            } else {
                text
            };
            return Ok(Err(ApiError {
                code: status.into(),
                text: text.to_string(),
            }));
        }
        Err(e) => bail!("server answered HTTP {status} with a body that is not JSON: {e}"),
    };
    let inner = unwrap_envelope(json);
    let code = inner.get("errorcode").and_then(Value::as_i64);
    let text = inner.get("errortext").and_then(Value::as_str);
    match (code, text) {
        (Some(code), text) => Ok(Err(ApiError {
            code,
            text: text.unwrap_or_default().to_string(),
        })),
        (None, _) if !ok => Ok(Err(ApiError {
            code: status.into(),
            text: inner.to_string(),
        })),
        (None, _) => Ok(Ok(inner)),
    }
}

/// The value under the only top-level key (or the key ending in `response`).
fn unwrap_envelope(json: Value) -> Value {
    let Value::Object(mut map) = json else {
        return json;
    };
    let key = if map.len() == 1 {
        map.keys().next().cloned()
    } else {
        map.keys().find(|k| k.ends_with("response")).cloned()
    };
    match key.and_then(|k| map.remove(&k)) {
        Some(inner) => inner,
        None => Value::Object(map),
    }
}

/// An HTTP client bound to one endpoint and its keys.
pub struct Client {
    http: reqwest::Client,
    target: Target,
}

impl Client {
    pub fn new(target: Target) -> anyhow::Result<Self> {
        let url = reqwest::Url::parse(&target.url)
            .with_context(|| format!("invalid API url `{}`", target.url))?;
        if url.scheme() != "http" {
            bail!(
                "{}: only http:// endpoints are supported (this build has no TLS)",
                target.url
            );
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .context("cannot set up the HTTP client")?;
        Ok(Self { http, target })
    }

    /// Sends one command; `Err` only for local or transport failures.
    pub async fn call(
        &self,
        command: &str,
        params: &[(String, String)],
    ) -> anyhow::Result<Result<Value, ApiError>> {
        let keys = self
            .target
            .keys
            .as_ref()
            .map(|(a, s)| (a.as_str(), s.as_str()));
        let req = build(command, params, keys, Utc::now());
        let base = &self.target.url;
        let builder = match req.method {
            Method::Get => {
                let sep = if base.contains('?') { '&' } else { '?' };
                self.http.get(format!("{base}{sep}{}", req.encoded()))
            }
            Method::Post => self
                .http
                .post(base)
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(req.encoded()),
        };
        let resp = builder
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| transport_error(base, e))?;
        let status = resp.status().as_u16();
        let body = resp.text().await.map_err(|e| transport_error(base, e))?;
        interpret(status, &body)
    }
}

/// Names the endpoint but not the signed query string.
fn transport_error(base: &str, err: reqwest::Error) -> anyhow::Error {
    let what = if err.is_connect() {
        "cannot connect to"
    } else if err.is_timeout() {
        "timed out talking to"
    } else {
        "request failed to"
    };
    anyhow::Error::new(err.without_url()).context(format!("{what} {base}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn fixed_now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 1, 31, 12, 0, 0)
            .single()
            .unwrap_or_else(|| unreachable!("valid date"))
    }

    #[test]
    fn signed_request_matches_hand_computation() {
        let user = vec![
            ("zoneid".to_string(), "Z 1".to_string()),
            ("details[0].cpuNumber".to_string(), "2".to_string()),
        ];
        let req = build(
            "deployVirtualMachine",
            &user,
            Some(("AbC", "s3cr3t")),
            fixed_now(),
        );
        assert_eq!(req.method, Method::Post);
        let by_hand = string_to_sign([
            ("zoneid", "Z 1"),
            ("command", "deployVirtualMachine"),
            ("response", "json"),
            ("details[0].cpuNumber", "2"),
            ("signatureVersion", "3"),
            ("apiKey", "AbC"),
            ("expires", "2025-01-31T12:10:00Z"),
        ]);
        assert_eq!(
            by_hand,
            "apikey=abc&command=deployvirtualmachine&details[0].cpunumber=2\
             &expires=2025-01-31t12%3a10%3a00z&response=json&signatureversion=3&zoneid=z%201"
        );
        let want = sign("s3cr3t", &by_hand);
        let got = req.params.iter().find(|(k, _)| k == "signature");
        assert_eq!(got.map(|(_, v)| v.as_str()), Some(want.as_str()));
        let body = req.encoded();
        assert!(body.starts_with("command=deployVirtualMachine&zoneid=Z%201&"));
        assert!(body.contains("details%5B0%5D.cpuNumber=2"));
        assert!(body.contains(&format!("signature={}", encode_value(&want))));
        assert!(!body.contains('+'));
    }

    #[test]
    fn methods_and_unsigned_requests() {
        assert_eq!(method_for("listZones"), Method::Get);
        assert_eq!(method_for("queryAsyncJobResult"), Method::Get);
        assert_eq!(method_for("getUser"), Method::Get);
        assert_eq!(method_for("findHostsForMigration"), Method::Get);
        assert_eq!(method_for("createZone"), Method::Post);
        let req = build("createZone", &[], None, fixed_now());
        assert_eq!(req.method, Method::Get);
        assert_eq!(req.encoded(), "command=createZone&response=json");
    }

    #[test]
    fn interprets_envelopes() -> anyhow::Result<()> {
        let err = r#"{"createzoneresponse":{"uuidList":[],"errorcode":431,"cserrorcode":4350,"errortext":"bad name"}}"#;
        let e = interpret(431, err)?.err();
        assert_eq!(
            e.map(|e| e.to_string()).as_deref(),
            Some("Error 431: bad name")
        );
        let ok = interpret(200, r#"{"listzonesresponse":{"count":1}}"#)?;
        assert_eq!(ok, Ok(json!({"count": 1})));
        let plain = interpret(405, "Method Not Allowed\n")?;
        assert_eq!(
            plain.err().map(|e| e.to_string()).as_deref(),
            Some("Error 405: Method Not Allowed")
        );
        assert!(interpret(200, "<xml/>").is_err());
        Ok(())
    }
}
