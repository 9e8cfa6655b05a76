//! Test harness: a whole management server in-process on a temporary database, and a
//! client that talks to it over HTTP with signed requests, as real clients do.
//!
//! The backend is SQLite unless `STRATO_TEST_PG_URL` names a PostgreSQL server (an
//! admin connection URL); then every test gets a database of its own there.

#![allow(dead_code)]

use std::net::SocketAddr;

use serde_json::Value;
use strato_api::sign;
use strato_server::{AgentTls, RunningServer, ServerConfig};

pub struct TestCloud {
    pub server: Option<RunningServer>,
    pub db_url: String,
    /// TLS on the agent port, kept across restarts.
    agent_tls: Option<AgentTls>,
    _dir: tempfile::TempDir,
}

impl TestCloud {
    pub async fn start() -> TestCloud {
        Self::start_with(None).await
    }

    /// Starts with TLS on the agent port (or without, like [`TestCloud::start`]).
    pub async fn start_with(agent_tls: Option<AgentTls>) -> TestCloud {
        let dir = tempfile::tempdir().expect("temp dir");
        let db_url = match std::env::var("STRATO_TEST_PG_URL") {
            Ok(admin) if !admin.is_empty() => fresh_pg_database(&admin).await,
            _ => format!("sqlite://{}", dir.path().join("strato.db").display()),
        };
        let server = boot(&db_url, 0, agent_tls.clone()).await;
        TestCloud {
            server: Some(server),
            db_url,
            agent_tls,
            _dir: dir,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.as_ref().expect("running").addr
    }

    pub fn url(&self) -> String {
        format!("http://{}/client/api", self.addr())
    }

    /// A client signed with the admin's keys.
    pub async fn admin(&self) -> Client {
        let store = &self.server.as_ref().expect("running").engine.store;
        let (k, s) = strato_engine::bootstrap::admin_keys(store)
            .await
            .expect("admin keys");
        Client::new(&self.url(), &k, &s)
    }

    /// Stops the server and starts a new one on the same database.
    pub async fn restart(&mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown().await;
        }
        self.server = Some(boot(&self.db_url, 0, self.agent_tls.clone()).await);
    }

    /// Restarts with the agent port fixed, so running agents find the new server.
    pub async fn restart_with_agent_port(&mut self, port: u16) {
        if let Some(s) = self.server.take() {
            s.shutdown().await;
        }
        self.server = Some(boot(&self.db_url, port, self.agent_tls.clone()).await);
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown().await;
        }
    }
}

async fn boot(db_url: &str, agent_port: u16, agent_tls: Option<AgentTls>) -> RunningServer {
    strato_server::start(ServerConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        db_url: db_url.to_string(),
        agent_listen: Some(std::net::SocketAddr::from(([127, 0, 0, 1], agent_port))),
        agent_tls,
    })
    .await
    .expect("server starts")
}

/// Creates an empty database on the PostgreSQL server for one test.
pub async fn fresh_pg_database(admin_url: &str) -> String {
    let name = format!("strato_test_{}", uuid::Uuid::new_v4().simple());
    let store = strato_schema::Store::open(admin_url)
        .await
        .expect("postgres reachable");
    let strato_schema::Store::Postgres(pool) = &store else {
        panic!("STRATO_TEST_PG_URL must be a postgres:// URL")
    };
    strato_schema::execute_raw(pool, &format!("CREATE DATABASE {name}"))
        .await
        .expect("create database");
    store.close().await;
    let mut url = url::Url::parse(admin_url).expect("valid URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// One HTTP response: status, headers and body.
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
    /// The object under the single top-level key.
    pub fn inner(&self) -> Value {
        let v = self.json();
        let obj = v.as_object().expect("object");
        assert_eq!(obj.len(), 1, "one top-level key: {}", self.text);
        obj.values().next().cloned().unwrap_or(Value::Null)
    }
    pub fn error_code(&self) -> Option<i64> {
        self.inner().get("errorcode").and_then(Value::as_i64)
    }
}

/// A signed API client (or a session client after [`Client::login`]).
#[derive(Clone)]
pub struct Client {
    pub url: String,
    pub api_key: String,
    pub secret: String,
    http: reqwest::Client,
    session: Option<(String, String)>,
}

impl Client {
    pub fn new(url: &str, api_key: &str, secret: &str) -> Client {
        Client {
            url: url.to_string(),
            api_key: api_key.to_string(),
            secret: secret.to_string(),
            http: reqwest::Client::new(),
            session: None,
        }
    }

    /// Signs `params` plus command/apiKey/response=json and sends them as a GET.
    pub fn signed_query(&self, command: &str, params: &[(&str, &str)]) -> String {
        let mut all: Vec<(String, String)> = vec![
            ("command".into(), command.into()),
            ("apiKey".into(), self.api_key.clone()),
            ("response".into(), "json".into()),
        ];
        all.extend(params.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        signed(&all, &self.secret)
    }

    pub async fn get(&self, query: &str) -> Resp {
        let r = self
            .http
            .get(format!("{}?{query}", self.url))
            .send()
            .await
            .expect("request");
        into_resp(r).await
    }

    /// Signed call with `response=json`; session calls when logged in.
    pub async fn call(&self, command: &str, params: &[(&str, &str)]) -> Resp {
        if let Some((jsession, key)) = &self.session {
            let mut all: Vec<(String, String)> = vec![
                ("command".into(), command.into()),
                ("response".into(), "json".into()),
                ("sessionkey".into(), key.clone()),
            ];
            all.extend(params.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            let r = self
                .http
                .post(&self.url)
                .header("Cookie", format!("JSESSIONID={jsession}; sessionkey={key}"))
                .form(&all)
                .send()
                .await
                .expect("request");
            return into_resp(r).await;
        }
        self.get(&self.signed_query(command, params)).await
    }

    /// Calls and expects HTTP 200; returns the inner object.
    pub async fn ok(&self, command: &str, params: &[(&str, &str)]) -> Value {
        let r = self.call(command, params).await;
        assert_eq!(r.status, 200, "{command} failed: {}", r.text);
        r.inner()
    }

    /// Calls, expects an error with `code`, and returns its text.
    pub async fn err(&self, command: &str, params: &[(&str, &str)], code: u16) -> String {
        let r = self.call(command, params).await;
        assert_eq!(r.status, code, "{command}: expected {code}, got {}", r.text);
        assert_eq!(r.error_code(), Some(i64::from(code)), "{}", r.text);
        r.inner()["errortext"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Runs an async command to completion and returns the final job answer.
    pub async fn wait_job(&self, command: &str, params: &[(&str, &str)]) -> Value {
        self.wait_job_within(command, params, std::time::Duration::from_secs(10))
            .await
    }

    /// [`Client::wait_job`] for jobs that take real time (real guests).
    pub async fn wait_job_within(
        &self,
        command: &str,
        params: &[(&str, &str)],
        within: std::time::Duration,
    ) -> Value {
        let first = self.ok(command, params).await;
        let job = first["jobid"]
            .as_str()
            .unwrap_or_else(|| panic!("no jobid: {first}"))
            .to_string();
        let deadline = std::time::Instant::now() + within;
        while std::time::Instant::now() < deadline {
            let r = self.ok("queryAsyncJobResult", &[("jobid", &job)]).await;
            if r["jobstatus"].as_i64() != Some(0) {
                return r;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("job {job} ({command}) did not finish within {within:?}");
    }

    /// Logs in by POST and switches this client to the session.
    pub async fn login(
        url: &str,
        username: &str,
        password: &str,
        domain: Option<&str>,
    ) -> (Client, Resp) {
        let http = reqwest::Client::new();
        let mut form = vec![
            ("command", "login"),
            ("username", username),
            ("password", password),
            ("response", "json"),
        ];
        if let Some(d) = domain {
            form.push(("domain", d));
        }
        let r = into_resp(
            http.post(url)
                .form(&form)
                .send()
                .await
                .expect("login request"),
        )
        .await;
        let mut c = Client::new(url, "", "");
        if r.status == 200 {
            let jsession = set_cookie(&r.headers, "JSESSIONID").expect("JSESSIONID cookie");
            let key = r.inner()["sessionkey"]
                .as_str()
                .expect("sessionkey")
                .to_string();
            c.session = Some((jsession, key));
        }
        (c, r)
    }
}

pub fn set_cookie(headers: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

async fn into_resp(r: reqwest::Response) -> Resp {
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.expect("body");
    Resp {
        status,
        headers,
        text,
    }
}

/// Builds a signed query string the way CloudStack clients do.
pub fn signed(params: &[(String, String)], secret: &str) -> String {
    let message = sign::string_to_sign(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let signature = sign::sign(secret, &message);
    let mut q: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", sign::encode_value(v)))
        .collect();
    q.push(format!("signature={}", sign::encode_value(&signature)));
    q.join("&")
}

/// Creates an account (type 0 user unless `roletype` is given) and returns a client
/// signed with freshly registered keys of its user.
pub async fn new_account(
    admin: &Client,
    name: &str,
    domainid: Option<&str>,
    accounttype: &str,
) -> (Client, Value) {
    let mut p = vec![
        ("account", name),
        ("username", name),
        ("password", "pw-Secret1"),
        ("email", "t@example.com"),
        ("firstname", "Test"),
        ("lastname", "User"),
        ("accounttype", accounttype),
    ];
    if let Some(d) = domainid {
        p.push(("domainid", d));
    }
    let account = admin.ok("createAccount", &p).await["account"].clone();
    let user_id = account["user"][0]["id"]
        .as_str()
        .expect("user id")
        .to_string();
    let keys = admin.ok("registerUserKeys", &[("id", &user_id)]).await["userkeys"].clone();
    let client = Client::new(
        &admin.url,
        keys["apikey"].as_str().expect("apikey"),
        keys["secretkey"].as_str().expect("secretkey"),
    );
    (client, account)
}

/// A running `strato quickstart` child and the lines it printed up to "Press Ctrl-C".
pub struct Quickstart {
    pub child: std::process::Child,
    pub lines: Vec<String>,
}

impl Quickstart {
    /// Starts `strato quickstart EXTRA --listen 127.0.0.1:PORT --agent-listen
    /// 127.0.0.1:AGENT_PORT --data-dir DIR` and waits (up to `within`) until it is ready.
    pub async fn spawn(
        extra: &[&str],
        port: u16,
        agent_port: u16,
        dir: &std::path::Path,
        within: std::time::Duration,
    ) -> Quickstart {
        use std::io::{BufRead, BufReader};
        use std::process::{Command, Stdio};
        let mut child = Command::new(env!("CARGO_BIN_EXE_strato"))
            .arg("quickstart")
            .args(extra)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--agent-listen", &format!("127.0.0.1:{agent_port}")])
            .arg("--data-dir")
            .arg(dir)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn strato quickstart");
        let stdout = child.stdout.take().expect("stdout");
        let lines = tokio::task::spawn_blocking(move || {
            let mut seen = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let done = line.starts_with("Press Ctrl-C");
                seen.push(line);
                if done {
                    break;
                }
            }
            seen
        });
        let lines = tokio::time::timeout(within, lines)
            .await
            .unwrap_or_else(|_| panic!("quickstart not ready within {within:?}"))
            .expect("join");
        Quickstart { child, lines }
    }

    /// The value printed after `label` ("API key:").
    pub fn value(&self, label: &str) -> String {
        self.lines
            .iter()
            .find_map(|l| l.trim().strip_prefix(label).map(|v| v.trim().to_string()))
            .unwrap_or_else(|| panic!("no {label} line in {:?}", self.lines))
    }
}
