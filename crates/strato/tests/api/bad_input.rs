//! Malformed, hostile and odd requests: every one gets a CloudStack error envelope with
//! HTTP status == errorcode (never a 5xx, never a hang), and none leaves rows behind.

use std::time::Duration;

use serde_json::Value;
use strato_api::sign;

use crate::common::{Client, Resp, TestCloud, signed};

/// Longest a single request may take before we call it a hang.
const PATIENCE: Duration = Duration::from_secs(20);

/// Sends a request with a time limit and turns it into a [`Resp`].
async fn send(req: reqwest::RequestBuilder) -> Resp {
    let r = tokio::time::timeout(PATIENCE, req.send())
        .await
        .expect("the server answers in time")
        .expect("request");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = tokio::time::timeout(PATIENCE, r.text())
        .await
        .expect("the body arrives in time")
        .expect("body");
    Resp {
        status,
        headers,
        text,
    }
}

/// A JSON error envelope: one key, `errorcode` == HTTP status, a text; returns the text.
fn json_error(r: &Resp, key: &str, code: u16) -> String {
    assert_eq!(r.status, code, "expected {code}: {}", r.text);
    let v = r.json();
    let obj = v.as_object().expect("object");
    assert_eq!(obj.len(), 1, "one top-level key: {}", r.text);
    let inner = v
        .get(key)
        .unwrap_or_else(|| panic!("error under {key}: {}", r.text));
    assert_eq!(
        inner["errorcode"].as_i64(),
        Some(i64::from(code)),
        "{}",
        r.text
    );
    assert!(inner["uuidList"].is_array(), "{}", r.text);
    inner["errortext"]
        .as_str()
        .unwrap_or_else(|| panic!("errortext: {}", r.text))
        .to_string()
}

/// Any CloudStack envelope (JSON or XML) for a 4xx error with status == errorcode.
fn assert_client_error_envelope(r: &Resp) {
    assert!(
        (400..500).contains(&r.status),
        "4xx expected, got {}: {}",
        r.status,
        r.text
    );
    let ct = r
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if ct.starts_with("application/json") {
        let v = r.json();
        let obj = v.as_object().expect("object");
        assert_eq!(obj.len(), 1, "{}", r.text);
        let inner = obj.values().next().expect("inner");
        assert_eq!(
            inner["errorcode"].as_i64(),
            Some(i64::from(r.status)),
            "{}",
            r.text
        );
        assert!(inner["errortext"].is_string(), "{}", r.text);
    } else {
        assert!(ct.starts_with("text/xml"), "content type {ct}: {}", r.text);
        assert!(
            r.text
                .starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
            "{}",
            r.text
        );
        assert!(
            r.text
                .contains(&format!("<errorcode>{}</errorcode>", r.status)),
            "{}",
            r.text
        );
        assert!(r.text.contains("<errortext>"), "{}", r.text);
    }
}

/// Signs exactly `params` (no implicit command/apiKey/response) and GETs them.
async fn get_signed(admin: &Client, params: &[(&str, &str)]) -> Resp {
    let all: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    admin.get(&signed(&all, &admin.secret)).await
}

async fn domain_count(admin: &Client) -> i64 {
    admin
        .ok("listDomains", &[("listall", "true")])
        .await
        .get("count")
        .and_then(Value::as_i64)
        .unwrap_or(0)
}

async fn account_count(admin: &Client) -> i64 {
    admin
        .ok("listAccounts", &[("listall", "true")])
        .await
        .get("count")
        .and_then(Value::as_i64)
        .unwrap_or(0)
}

const ACCOUNT: &[(&str, &str)] = &[
    ("username", "eve"),
    ("password", "pw-Secret1"),
    ("email", "eve@example.com"),
    ("firstname", "Eve"),
    ("lastname", "Doe"),
    ("accounttype", "0"),
];

#[tokio::test]
async fn parameter_errors_name_the_parameter_and_write_nothing() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let domains = domain_count(&admin).await;
    let accounts = account_count(&admin).await;

    // Missing required parameter: 431, 9999, the text names it.
    let r = admin
        .call(
            "createAccount",
            &ACCOUNT
                .iter()
                .copied()
                .filter(|(k, _)| *k != "email")
                .collect::<Vec<_>>(),
        )
        .await;
    let text = json_error(&r, "createaccountresponse", 431);
    assert_eq!(
        text,
        "Unable to execute API command createaccount due to missing parameter email"
    );
    assert_eq!(r.inner()["cserrorcode"], 9999);

    // A required parameter sent empty: 431, 4350.
    let r = admin.call("createDomain", &[("name", "")]).await;
    let text = json_error(&r, "createdomainresponse", 431);
    assert!(text.contains("name"), "{text}");
    assert_eq!(r.inner()["cserrorcode"], 4350);

    // Longer than 255 characters.
    let long = "a".repeat(256);
    let r = admin.call("createDomain", &[("name", &long)]).await;
    let text = json_error(&r, "createdomainresponse", 431);
    assert!(text.contains("name"), "{text}");
    assert!(text.contains("255"), "{text}");
    // Exactly 255 is not "too long" (whatever else the command thinks of it).
    let r = admin
        .call("createDomain", &[("name", &"b".repeat(255))])
        .await;
    assert!(
        !r.text.contains("longer than"),
        "255 characters are allowed: {}",
        r.text
    );
    if r.status == 200 {
        let id = r.inner()["domain"]["id"].as_str().expect("id").to_string();
        let done = admin.wait_job("deleteDomain", &[("id", &id)]).await;
        assert_eq!(done["jobstatus"], 1, "{done}");
    }

    // Control characters (sent as %01) are refused; LF and CR are not control here.
    let r = admin
        .call("createDomain", &[("name", "evil\u{1}name")])
        .await;
    assert!(
        admin
            .signed_query("createDomain", &[("name", "a\u{1}")])
            .contains("%01")
    );
    let text = json_error(&r, "createdomainresponse", 431);
    assert!(text.contains("name"), "{text}");
    assert!(text.contains("control characters"), "{text}");
    for bad in ["\u{0}", "\u{1f}", "\u{7f}", "tab\there"] {
        let r = admin
            .call("createDomain", &[("name", "ok"), ("networkdomain", bad)])
            .await;
        let text = json_error(&r, "createdomainresponse", 431);
        assert!(text.contains("networkdomain"), "{bad:?}: {text}");
    }

    // A malformed UUID.
    let r = admin.call("updateDomain", &[("id", "xyz")]).await;
    let text = json_error(&r, "updatedomainresponse", 431);
    assert!(text.contains(" id"), "{text}");
    assert!(text.contains("xyz"), "{text}");
    // A well-formed UUID naming nothing.
    let r = admin
        .call(
            "updateDomain",
            &[
                ("id", "00000000-0000-4000-8000-000000000000"),
                ("name", "Nope"),
            ],
        )
        .await;
    json_error(&r, "updatedomainresponse", 431);

    // Map syntax errors: 430.
    for key in [
        "accountdetails[x].k",
        "accountdetails[0]k",
        "accountdetails[0].",
        "accountdetails[0",
        "accountdetails[0].a[1].b",
    ] {
        let mut p = ACCOUNT.to_vec();
        p.push((key, "v"));
        let r = admin.call("createAccount", &p).await;
        let text = json_error(&r, "createaccountresponse", 430);
        assert!(text.contains(key), "{key}: {text}");
    }

    // Non-numeric integers name the parameter.
    for (page, size, named) in [("1", "abc", "pagesize"), ("x", "10", "page")] {
        let r = admin
            .call("listDomains", &[("page", page), ("pagesize", size)])
            .await;
        let text = json_error(&r, "listdomainsresponse", 431);
        assert!(text.contains(named), "{text}");
    }
    let mut p: Vec<(&str, &str)> = ACCOUNT
        .iter()
        .copied()
        .filter(|(k, _)| *k != "accounttype")
        .collect();
    p.push(("accounttype", "admin"));
    let r = admin.call("createAccount", &p).await;
    let text = json_error(&r, "createaccountresponse", 431);
    assert!(text.contains("accounttype"), "{text}");

    // Nothing above wrote anything.
    assert_eq!(domain_count(&admin).await, domains);
    assert_eq!(account_count(&admin).await, accounts);
    let users = admin
        .ok("listUsers", &[("listall", "true"), ("username", "eve")])
        .await;
    assert_eq!(users, serde_json::json!({}), "no user eve was created");
    cloud.stop().await;
}

#[tokio::test]
async fn unknown_parameters_are_ignored() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let r = admin
        .call(
            "listDomains",
            &[
                ("nosuchparam", "1"),
                ("ZZZ", "whatever"),
                ("filter", "id,name"),
                ("unknown[0].key", "v"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.inner()["count"], 1);
    // Parameter names are case-insensitive.
    let r = admin.call("createDomain", &[("NAME", "Upper")]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.inner()["domain"]["name"], "Upper");
    cloud.stop().await;
}

#[tokio::test]
async fn unknown_and_missing_commands() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let http = reqwest::Client::new();

    // API key + unknown command: 401 under errorresponse, no cserrorcode.
    let r = admin.call("noSuchCommand", &[]).await;
    json_error(&r, "errorresponse", 401);
    assert!(r.inner().get("cserrorcode").is_none(), "{}", r.text);
    // Commands are case-sensitive.
    let r = admin.call("listdomains", &[]).await;
    json_error(&r, "errorresponse", 401);

    // Session + unknown command: 432 under errorresponse.
    let (session, login) = Client::login(&cloud.url(), "admin", "password", None).await;
    assert_eq!(login.status, 200, "{}", login.text);
    let r = session.call("noSuchCommand", &[]).await;
    let text = json_error(&r, "errorresponse", 432);
    assert!(text.contains("noSuchCommand"), "{text}");
    assert!(r.headers.get("x-description").is_some());
    // ...and the session still works.
    assert_eq!(session.call("listDomains", &[]).await.status, 200);

    // No command at all: 401, signed or not.
    let r = get_signed(&admin, &[("apiKey", &admin.api_key), ("response", "json")]).await;
    let text = json_error(&r, "null", 401);
    assert_eq!(
        text,
        "unable to verify user credentials and/or request signature"
    );
    let r = send(http.get(format!("{}?response=json", cloud.url()))).await;
    json_error(&r, "null", 401);
    let r = send(http.get(cloud.url())).await;
    assert_client_error_envelope(&r);
    assert_eq!(r.status, 401);
    // `Command=` is not `command=`.
    let r = get_signed(
        &admin,
        &[
            ("Command", "listDomains"),
            ("apiKey", &admin.api_key),
            ("response", "json"),
        ],
    )
    .await;
    json_error(&r, "null", 401);
    cloud.stop().await;
}

#[tokio::test]
async fn bodies_that_are_not_forms() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let http = reqwest::Client::new();
    let domains = domain_count(&admin).await;

    // A JSON body, announced as JSON: 431 envelope.
    let r = send(
        http.post(format!("{}?response=json", cloud.url()))
            .header("Content-Type", "application/json")
            .body(r#"{"command":"createDomain","name":"FromJson","response":"json"}"#),
    )
    .await;
    let text = json_error(&r, "errorresponse", 431);
    assert!(text.contains("x-www-form-urlencoded"), "{text}");
    // The same with a properly signed query string: still refused, nothing created.
    let q = admin.signed_query("createDomain", &[("name", "SignedJson")]);
    let r = send(
        http.post(format!("{}?{q}", cloud.url()))
            .header("Content-Type", "application/json")
            .body(r#"{"name":"Other"}"#),
    )
    .await;
    json_error(&r, "errorresponse", 431);
    // A JSON body without any content type.
    let r = send(http.post(cloud.url()).body(r#"{"command":"listDomains"}"#)).await;
    assert_client_error_envelope(&r);
    // Multipart is not a form either.
    let r = send(
        http.post(format!("{}?response=json", cloud.url()))
            .header("Content-Type", "multipart/form-data; boundary=xyz")
            .body("--xyz\r\nContent-Disposition: form-data; name=\"command\"\r\n\r\nlistDomains\r\n--xyz--\r\n"),
    )
    .await;
    json_error(&r, "errorresponse", 431);

    // A signed form POST works (the normal path), and counts stay consistent.
    let r = send(
        http.post(cloud.url())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(admin.signed_query("listDomains", &[])),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(domain_count(&admin).await, domains);
    cloud.stop().await;
}

#[tokio::test]
async fn garbage_never_breaks_the_server() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let http = reqwest::Client::new();
    let domains = domain_count(&admin).await;
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);

    // Long random query strings made of URL-ish junk, percent escapes included.
    const JUNK: &[&str] = &[
        "%",
        "%%",
        "%ff",
        "%fe%ff",
        "%c3%28",
        "%e2%82",
        "%00",
        "%zz",
        "&",
        "&&",
        "=",
        "==",
        "[",
        "]",
        "[0]",
        ".",
        "+",
        "%2B",
        "command",
        "command=",
        "response=json",
        "signature=",
        "apiKey=",
        "a",
        "Z",
        "9",
        "%F0%9F%98%80",
        "\u{e9}",
        ";",
        "'",
        "\"",
        "<",
        ">",
        "\\",
    ];
    for len in [1usize, 100, 2_000, 16_000] {
        let mut q = String::new();
        while q.len() < len {
            q.push_str(JUNK[rng.below(JUNK.len())]);
        }
        let url = format!("{}?{q}", cloud.url());
        let r = send(http.get(&url)).await;
        assert_client_error_envelope(&r);
        let r = send(http.post(&url).body(q.clone())).await;
        assert_client_error_envelope(&r);
    }

    // Raw bytes in a form body: invalid UTF-8, NULs, lone escapes.
    for n in [1usize, 64, 5_000, 200_000] {
        let bytes: Vec<u8> = (0..n).map(|_| (rng.next() & 0xff) as u8).collect();
        let r = send(
            http.post(format!("{}?response=json", cloud.url()))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(bytes.clone()),
        )
        .await;
        assert_client_error_envelope(&r);
        let r = send(
            http.post(cloud.url())
                .header("Content-Type", "application/octet-stream")
                .body(bytes),
        )
        .await;
        assert_client_error_envelope(&r);
    }
    // Percent-encoded invalid UTF-8 in a signed command's form body, with response=json.
    let r = send(
        http.post(format!("{}?response=json", cloud.url()))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("command=createDomain&name=%ff%fe%c3%28&apiKey=x&signature=%ff"),
    )
    .await;
    json_error(&r, "createdomainresponse", 401);
    // A body over the size limit is refused (the server may also close the connection
    // while the client is still uploading), never a 5xx and never a hang.
    let big = http
        .post(cloud.url())
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(vec![b'a'; 5 * 1024 * 1024])
        .send();
    match tokio::time::timeout(PATIENCE, big).await.expect("in time") {
        Ok(r) => assert!(
            r.status().is_client_error(),
            "oversized body: {}",
            r.status()
        ),
        Err(e) => assert!(!e.is_timeout(), "{e}"),
    }

    // Still alive and nothing was created.
    assert_eq!(domain_count(&admin).await, domains);
    cloud.stop().await;
}

#[tokio::test]
async fn paging_parameters() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    // page <= 0 is page 1.
    for page in ["0", "-3"] {
        let r = admin
            .call("listDomains", &[("page", page), ("pagesize", "10")])
            .await;
        assert_eq!(r.status, 200, "page={page}: {}", r.text);
        assert_eq!(r.inner()["count"], 1);
        assert_eq!(r.inner()["domain"][0]["name"], "ROOT");
    }
    // At most default.page.size (500).
    assert_eq!(
        admin
            .call("listDomains", &[("page", "1"), ("pagesize", "500")])
            .await
            .status,
        200
    );
    let text = admin
        .err("listDomains", &[("page", "1"), ("pagesize", "501")], 431)
        .await;
    assert!(text.contains("500"), "{text}");
    // Non-numeric or out of the integer range names the parameter.
    for size in ["ten", "1.5", "99999999999"] {
        let r = admin
            .call("listAccounts", &[("page", "1"), ("pagesize", size)])
            .await;
        let text = json_error(&r, "listaccountsresponse", 431);
        assert!(text.contains("pagesize"), "{size}: {text}");
    }
    // pagesize=-1 means all, and then page is forbidden.
    let r = admin.call("listDomains", &[("pagesize", "-1")]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let text = admin
        .err("listDomains", &[("page", "1"), ("pagesize", "-1")], 431)
        .await;
    assert!(text.contains("-1"), "{text}");
    cloud.stop().await;
}

#[tokio::test]
async fn response_format_is_case_insensitive_json_else_xml() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    for (value, json) in [
        ("json", true),
        ("JSON", true),
        ("Json", true),
        ("xml", false),
        ("XML", false),
        ("yaml", false),
        ("", false),
        ("jsonp", false),
    ] {
        let r = get_signed(
            &admin,
            &[
                ("command", "listDomains"),
                ("apiKey", &admin.api_key),
                ("response", value),
            ],
        )
        .await;
        assert_eq!(r.status, 200, "response={value}: {}", r.text);
        let ct = r.headers["content-type"].to_str().expect("ct");
        if json {
            assert_eq!(ct, "application/json; charset=UTF-8", "response={value}");
            assert_eq!(r.inner()["count"], 1);
        } else {
            assert_eq!(ct, "text/xml; charset=UTF-8", "response={value}");
            assert!(
                r.text
                    .starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><listdomainsresponse"),
                "response={value}: {}",
                r.text
            );
        }
        // Errors follow the same rule.
        let r = get_signed(
            &admin,
            &[
                ("command", "createDomain"),
                ("apiKey", &admin.api_key),
                ("response", value),
            ],
        )
        .await;
        assert_eq!(r.status, 431);
        assert_client_error_envelope(&r);
        assert_eq!(
            r.headers["content-type"]
                .to_str()
                .expect("ct")
                .starts_with("application/json"),
            json,
            "response={value}"
        );
    }
    cloud.stop().await;
}

/// Marsaglia's xorshift64: deterministic, no crates needed.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Random names: real parameter names, near misses, and hostile text.
fn fuzz_name(rng: &mut XorShift) -> String {
    const NAMES: &[&str] = &[
        "name",
        "id",
        "ids",
        "page",
        "pagesize",
        "keyword",
        "listall",
        "domainid",
        "parentdomainid",
        "networkdomain",
        "account",
        "accountdetails",
        "accountdetails[0].key",
        "accountdetails[0].value",
        "accountdetails[1]",
        "accountdetails[].x",
        "accountdetails[-1].x",
        "accountdetails[99999999999999999999].x",
        "details[0].x",
        "roleid",
        "accounttype",
        "state",
        "username",
        "NAME",
        "Id",
        "x[",
        "]",
        "[0].a",
        "a[0].b[1].c",
        "%",
        "%zz",
        "na%me",
        "n\u{e9}me",
        "\u{1f600}",
        "",
    ];
    let mut n = rng.pick(NAMES).to_string();
    if rng.below(4) == 0 {
        n.push_str(&fuzz_value(rng).chars().take(8).collect::<String>());
    }
    n
}

/// Random values: valid-looking, numeric edge cases, unicode, control and very long text.
fn fuzz_value(rng: &mut XorShift) -> String {
    const VALUES: &[&str] = &[
        "",
        " ",
        "x",
        "ROOT",
        "true",
        "TRUE",
        "false",
        "0",
        "-1",
        "1",
        "500",
        "501",
        "2147483648",
        "-9223372036854775809",
        "1e3",
        "0x10",
        "00000000-0000-4000-8000-000000000000",
        "xyz",
        "a,b,,c",
        "[",
        "]",
        "[]",
        "%",
        "%%41",
        "%ff",
        "&",
        "=",
        "+",
        "'; DROP TABLE domain; --",
        "\" OR 1=1 --",
        "<script>alert(1)</script>",
        "\u{e9}\u{e8}\u{ea}",
        "\u{65e5}\u{672c}\u{8a9e}",
        "\u{1f600}\u{1f680}",
        "\u{202e}rtl",
        "\u{feff}bom",
        "a\u{1}b",
        "\u{0}",
        "\u{7f}",
        "line\nbreak",
        "cr\rlf",
        "\\",
        "/",
        "..",
        "ROOT/../x",
    ];
    match rng.below(10) {
        0 => {
            let unit = rng.pick(VALUES);
            let unit = if unit.is_empty() { "z" } else { unit };
            unit.repeat(1 + rng.below(3000))
        }
        1 => {
            let mut s = String::new();
            for _ in 0..rng.below(40) {
                s.push(char::from_u32((rng.next() % 0x3000) as u32).unwrap_or('?'));
            }
            s
        }
        2 => format!("{}{}", rng.pick(VALUES), rng.pick(VALUES)),
        _ => rng.pick(VALUES).to_string(),
    }
}

/// A well-formed JSON envelope: one key; a 200 or an error whose code is the status.
fn assert_json_envelope(r: &Resp, what: &str) {
    assert!(r.status < 500, "{what}: 5xx {}: {}", r.status, r.text);
    let v: Value = serde_json::from_str(&r.text)
        .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {}", r.text));
    let obj = v
        .as_object()
        .unwrap_or_else(|| panic!("{what}: {}", r.text));
    assert_eq!(obj.len(), 1, "{what}: one top-level key: {}", r.text);
    let inner = obj.values().next().expect("inner");
    assert!(inner.is_object(), "{what}: {}", r.text);
    if r.status == 200 {
        assert!(inner.get("errorcode").is_none(), "{what}: {}", r.text);
    } else {
        assert_eq!(
            inner["errorcode"].as_i64(),
            Some(i64::from(r.status)),
            "{what}: status == errorcode: {}",
            r.text
        );
        assert!(inner["errortext"].is_string(), "{what}: {}", r.text);
        assert!(inner["uuidList"].is_array(), "{what}: {}", r.text);
    }
}

#[tokio::test]
async fn fuzzed_parameters_always_get_an_envelope() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    const COMMANDS: &[&str] = &[
        "listDomains",
        "createDomain",
        "updateDomain",
        "listAccounts",
        "createAccount",
        "listUsers",
        "listConfigurations",
        "listApis",
    ];
    const TRANSPORT: &[&str] = &[
        "command",
        "apikey",
        "signature",
        "response",
        "sessionkey",
        "signatureversion",
        "expires",
    ];
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for i in 0..300 {
        let command = rng.pick(COMMANDS);
        let mut params: Vec<(String, String)> = vec![
            ("command".into(), command.into()),
            ("apiKey".into(), admin.api_key.clone()),
            ("response".into(), "json".into()),
        ];
        for _ in 0..rng.below(6) {
            let name = fuzz_name(&mut rng);
            // Keep the request signable: no transport names, no repeats.
            if TRANSPORT.contains(&name.to_ascii_lowercase().as_str())
                || params.iter().any(|(n, _)| *n == name)
            {
                continue;
            }
            params.push((name, fuzz_value(&mut rng)));
        }
        let message = sign::string_to_sign(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let signature = sign::sign(&admin.secret, &message);
        let mut q: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{}={}", sign::encode_value(k), sign::encode_value(v)))
            .collect();
        q.push(format!("signature={}", sign::encode_value(&signature)));
        let query = q.join("&");
        let http = reqwest::Client::new();
        let r = if rng.below(2) == 0 {
            send(http.get(format!("{}?{query}", cloud.url()))).await
        } else {
            send(
                http.post(cloud.url())
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(query.clone()),
            )
            .await
        };
        let what = format!("#{i} {command} {params:?}");
        assert_json_envelope(&r, &what);
        assert_ne!(
            r.status, 401,
            "{what}: a correctly signed request is never a signature failure: {}",
            r.text
        );
        *statuses.entry(r.status).or_default() += 1;
    }
    // The fuzz reaches both success and the parameter errors.
    assert!(statuses.contains_key(&200), "{statuses:?}");
    assert!(statuses.contains_key(&431), "{statuses:?}");
    assert!(statuses.contains_key(&430), "{statuses:?}");
    // The server is still fine afterwards.
    assert_eq!(admin.call("listDomains", &[]).await.status, 200);
    cloud.stop().await;
}

#[tokio::test]
async fn an_oversized_body_gets_the_envelope() {
    let cloud = TestCloud::start().await;
    let body = format!(
        "command=listAccounts&response=json&x={}",
        "a".repeat(5 * 1024 * 1024)
    );
    let r = reqwest::Client::new()
        .post(format!("{}?response=json", cloud.url()))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status().as_u16(), 431);
    let text = r.text().await.expect("body");
    assert!(
        text.starts_with(r#"{"errorresponse":{"uuidList":[],"errorcode":431"#),
        "{text}"
    );
    cloud.stop().await;
}
