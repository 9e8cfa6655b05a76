//! `strato-bench`: start-up time, idle memory and signed-request latency of the real
//! `strato server` binary, driven over loopback HTTP like a client would.
//!
//! ```text
//! cargo run --release -p strato --bin strato-bench -- [--db URL] [--accounts 1000] [--requests 2000] [--json]
//! ```
//!
//! `--scenario hosts --hosts 10000` instead measures one `strato agent` process with that
//! many simulated hosts connected to one server (see `hosts.rs`).
//!
//! `--scenario templates --templates 100 --template-mib 64` registers that many
//! templates at once and measures their downloads from a web server in a network
//! namespace into a real image store (see `templates.rs`; needs root, iproute2,
//! python3 and qemu-img/qemu-io).
//!
//! `--scenario vms --vms 10000 --concurrency 1000` deploys that many VMs on simulated
//! hosts with that many deployVirtualMachine calls in flight, then measures
//! listVirtualMachines (see `vms.rs`).
//!
//! `--scenario kvm --guests 10` runs `strato quickstart --kvm` and times deploys of real
//! guests: Strato's overhead (API to QEMU launched) and guest boot (see `kvm.rs`; the
//! `strato` binary must be built with `--features kvm`; needs root and libvirtd).
//!
//! The server binary is looked up next to this executable (`target/release/strato`);
//! both are built by the command above. Every child server is killed when the bench
//! ends, also on errors.

mod child;
mod hosts;
mod kvm;
mod report;
mod templates;
mod vms;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use clap::Parser;
use serde_json::Value;
use strato_api::sign;

use child::{Backend, ServerProc};
use report::{Latency, Report, StartTimes};

/// What to measure.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Scenario {
    /// Start-up time, idle RSS and signed API latency (accounts).
    Api,
    /// One agent process with `--hosts` simulated hosts: time to Up, steady CPU/RSS,
    /// listHosts latency.
    Hosts,
    /// `--templates` templates registered at once and downloaded from a local web
    /// server: registerTemplate latency, time to all ready, MiB/s, server RSS.
    Templates,
    /// `--vms` deployVirtualMachine calls, `--concurrency` in flight: jobid latency,
    /// deploys/s, then listVirtualMachines latency with the VMs present.
    Vms,
    /// `--guests` real guests deployed one at a time through `strato quickstart --kvm`:
    /// Strato's overhead (API to QEMU launched) and guest boot.
    Kvm,
}

#[derive(Parser, Clone)]
#[command(
    name = "strato-bench",
    about = "Measure start-up time, idle RSS and signed API latency of `strato server`"
)]
struct Opts {
    /// What to measure.
    #[arg(long, value_enum, default_value_t = Scenario::Api)]
    scenario: Scenario,
    /// PostgreSQL URL of a user allowed to CREATE DATABASE (e.g.
    /// postgres://user:pw@127.0.0.1/postgres); the bench creates and drops its own
    /// databases there. Default: SQLite in temporary data directories.
    #[arg(long)]
    db: Option<String>,
    /// Accounts to create before measuring listAccounts.
    #[arg(long, default_value_t = 1000)]
    accounts: usize,
    /// Sequential requests per measured command [default: 2000; 200 with
    /// --scenario hosts].
    #[arg(long)]
    requests: Option<usize>,
    /// Server starts per start-up measurement (fresh database, then existing one).
    #[arg(long, default_value_t = 5)]
    starts: usize,
    /// Requests in flight: createAccount while seeding [default: 8], or
    /// deployVirtualMachine with --scenario vms [default: 1000].
    #[arg(long)]
    concurrency: Option<usize>,
    /// deployVirtualMachine calls in total (--scenario vms).
    #[arg(long, default_value_t = 10_000)]
    vms: usize,
    /// Real guests deployed one after the other (--scenario kvm).
    #[arg(long, default_value_t = 10)]
    guests: usize,
    /// A built small template (scripts/build-small-template.sh) for quickstart --kvm
    /// to use instead of building one (--scenario kvm).
    #[arg(long)]
    template: Option<PathBuf>,
    /// Seconds to leave the server idle before reading its RSS.
    #[arg(long, default_value_t = 2)]
    idle_secs: u64,
    /// Simulated hosts of the agent process (--scenario hosts).
    #[arg(long, default_value_t = 10_000)]
    hosts: u32,
    /// Seconds of steady state (all hosts Up, no API calls) to measure CPU and RSS over
    /// (--scenario hosts).
    #[arg(long, default_value_t = 60)]
    steady_secs: u64,
    /// Give up if the hosts are not all Up this many seconds after the agent started
    /// (--scenario hosts).
    #[arg(long, default_value_t = 600)]
    up_timeout_secs: u64,
    /// Templates registered at once (--scenario templates).
    #[arg(long, default_value_t = 100)]
    templates: usize,
    /// MiB of data in each template's qcow2 image (--scenario templates).
    #[arg(long, default_value_t = 64)]
    template_mib: u64,
    /// Give up if the templates are not all ready this many seconds after the first
    /// registerTemplate (--scenario templates).
    #[arg(long, default_value_t = 1800)]
    ready_timeout_secs: u64,
    /// The `strato` binary to run (default: next to this executable).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// Print machine-readable JSON instead of the table.
    #[arg(long)]
    json: bool,
}

fn main() -> std::process::ExitCode {
    let opts = Opts::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("strato-bench: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(main_async(opts)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("strato-bench: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

impl Opts {
    fn requests(&self) -> usize {
        self.requests.unwrap_or(match self.scenario {
            Scenario::Api => 2000,
            Scenario::Hosts | Scenario::Templates | Scenario::Vms | Scenario::Kvm => 200,
        })
    }

    fn concurrency(&self) -> usize {
        self.concurrency.unwrap_or(match self.scenario {
            Scenario::Vms => 1000,
            _ => 8,
        })
    }
}

async fn main_async(opts: Opts) -> Result<()> {
    if opts.starts == 0 || opts.requests() == 0 || opts.concurrency() == 0 {
        bail!("--starts, --requests and --concurrency must be at least 1");
    }
    let bin = match &opts.server_bin {
        Some(p) => p.clone(),
        None => std::env::current_exe()
            .context("cannot find this executable")?
            .with_file_name("strato"),
    };
    if !bin.is_file() {
        bail!(
            "server binary {} not found: build it with `cargo build --release -p strato`",
            bin.display()
        );
    }
    let mut backend = Backend::new(opts.db.as_deref()).await?;
    let result = match opts.scenario {
        Scenario::Api => run(&opts, &bin, &mut backend)
            .await
            .map(|r| (r.to_json(), r.table())),
        Scenario::Hosts => hosts::run(&opts, &bin, &mut backend)
            .await
            .map(|r| (r.to_json(), r.table())),
        Scenario::Templates => templates::run(&opts, &bin, &mut backend)
            .await
            .map(|r| (r.to_json(), r.table())),
        Scenario::Vms => vms::run(&opts, &bin, &mut backend)
            .await
            .map(|r| (r.to_json(), r.table())),
        Scenario::Kvm => kvm::run(&opts, &bin)
            .await
            .map(|r| (r.to_json(), r.table())),
    };
    backend.cleanup().await;
    let (json, table) = result?;
    if opts.json {
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        print!("{table}");
    }
    Ok(())
}

fn progress(msg: &str) {
    eprintln!("strato-bench: {msg}");
}

async fn run(opts: &Opts, bin: &Path, backend: &mut Backend) -> Result<Report> {
    let idle = Duration::from_secs(opts.idle_secs);
    let mut report = Report::new(
        backend.name(),
        opts.accounts,
        opts.requests(),
        opts.concurrency(),
    );

    // 1. First start on a fresh database: migrations and bootstrap included.
    let mut cold = Vec::with_capacity(opts.starts);
    for i in 0..opts.starts {
        let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
        let db = backend.fresh_db().await?;
        let (server, took) = ServerProc::start(bin, dir.path(), db.as_deref()).await?;
        progress(&format!(
            "first start {}/{}: {:.1} ms",
            i + 1,
            opts.starts,
            ms(took)
        ));
        cold.push(took);
        if i + 1 == opts.starts {
            tokio::time::sleep(idle).await;
            report.idle_rss_fresh_mb = Some(server.memory()?.rss_mb);
        }
        server.stop().await?;
    }
    report.cold = Some(StartTimes::new(cold));

    // 2. Restarts on an existing database (set up once by `strato setup-database`).
    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let db = backend.fresh_db().await?;
    child::setup_database(bin, dir.path(), db.as_deref()).await?;
    let mut warm = Vec::with_capacity(opts.starts);
    for i in 0..opts.starts {
        let (server, took) = ServerProc::start(bin, dir.path(), db.as_deref()).await?;
        progress(&format!(
            "restart {}/{}: {:.1} ms",
            i + 1,
            opts.starts,
            ms(took)
        ));
        warm.push(took);
        server.stop().await?;
    }
    report.warm = Some(StartTimes::new(warm));

    // 3. The server for the latency runs; its idle RSS first.
    let (server, _) = ServerProc::start(bin, dir.path(), db.as_deref()).await?;
    tokio::time::sleep(idle).await;
    report.idle_rss_warm_mb = Some(server.memory()?.rss_mb);
    progress(&format!(
        "idle RSS {:.1} MB (pid {})",
        report.idle_rss_warm_mb.unwrap_or_default(),
        server.pid()
    ));

    let url = server.api_url();
    let http = child::http_client()?;
    let (api_key, secret) = admin_keys(&http, &url).await?;
    let api = Signed {
        http: http.clone(),
        url: url.clone(),
        api_key,
        secret,
    };

    let started = Instant::now();
    seed_accounts(&api, opts.accounts, opts.concurrency()).await?;
    let seeding = started.elapsed();
    report.seeding_secs = Some(seeding.as_secs_f64());
    progress(&format!(
        "seeded {} accounts in {:.1} s",
        opts.accounts,
        seeding.as_secs_f64()
    ));

    for Series {
        label,
        command,
        params,
    } in SERIES
    {
        progress(&format!("measuring {label}: {} requests", opts.requests()));
        let l = api
            .measure(
                label,
                command,
                params,
                "account",
                opts.requests(),
                server.pid(),
            )
            .await?;
        progress(&format!(
            "  p50 {:.2} ms, p99 {:.2} ms, {:.0} req/s, server CPU {:.2} ms/req",
            l.p50_ms, l.p99_ms, l.rps, l.server_cpu_ms
        ));
        report.latency.push(l);
    }
    let mem = server.memory()?;
    report.rss_after_load_mb = Some(mem.rss_mb);
    report.peak_rss_mb = Some(mem.hwm_mb);
    server.stop().await?;
    Ok(report)
}

/// One measured request: a label, the command and its parameters.
struct Series {
    label: &'static str,
    command: &'static str,
    params: &'static [(&'static str, &'static str)],
}

const SERIES: &[Series] = &[
    Series {
        label: "listCapabilities",
        command: "listCapabilities",
        params: &[],
    },
    Series {
        label: "listAccounts (default page, 500)",
        command: "listAccounts",
        params: &[],
    },
    Series {
        label: "listAccounts (page=1, pagesize=20)",
        command: "listAccounts",
        params: &[("page", "1"), ("pagesize", "20")],
    },
];

/// Logs in as admin/password, then registers API keys for the admin user.
async fn admin_keys(http: &reqwest::Client, url: &str) -> Result<(String, String)> {
    let r = http
        .post(url)
        .form(&[
            ("command", "login"),
            ("username", "admin"),
            ("password", "password"),
            ("response", "json"),
        ])
        .send()
        .await
        .context("login request")?;
    let jsession = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| k.trim() == "JSESSIONID")
        .map(|(_, v)| v.to_string());
    let (status, body) = (r.status(), r.text().await.context("login response")?);
    if !status.is_success() {
        bail!("login as admin failed ({status}): {body}");
    }
    let jsession = jsession.ok_or_else(|| anyhow!("login set no JSESSIONID cookie"))?;
    let login = inner(&body)?;
    let key = str_field(&login, "sessionkey")?;
    let session_call = |command: &'static str, extra: Vec<(&'static str, String)>| {
        let mut form: Vec<(&str, String)> = vec![
            ("command", command.to_string()),
            ("response", "json".into()),
            ("sessionkey", key.clone()),
        ];
        form.extend(extra);
        http.post(url)
            .header("Cookie", format!("JSESSIONID={jsession}; sessionkey={key}"))
            .form(&form)
            .send()
    };
    let user_id = match login.get("userid").and_then(Value::as_str) {
        Some(id) => id.to_string(),
        None => {
            let r = session_call("listUsers", vec![("username", "admin".into())])
                .await
                .context("listUsers")?;
            let users = inner(&ok_text(r).await?)?;
            users["user"][0]["id"]
                .as_str()
                .ok_or_else(|| anyhow!("listUsers did not return the admin user: {users}"))?
                .to_string()
        }
    };
    let r = session_call("registerUserKeys", vec![("id", user_id)])
        .await
        .context("registerUserKeys")?;
    let keys = inner(&ok_text(r).await?)?;
    Ok((
        str_field(&keys["userkeys"], "apikey")?,
        str_field(&keys["userkeys"], "secretkey")?,
    ))
}

/// A keep-alive client signing every request with one user's API keys.
#[derive(Clone)]
struct Signed {
    http: reqwest::Client,
    url: String,
    api_key: String,
    secret: String,
}

impl Signed {
    /// The full URL of a signed GET (`response=json`).
    fn signed_url(&self, command: &str, params: &[(&str, &str)]) -> String {
        let mut all: Vec<(&str, &str)> = vec![
            ("command", command),
            ("apiKey", &self.api_key),
            ("response", "json"),
        ];
        all.extend_from_slice(params);
        let signature = sign::sign(&self.secret, &sign::string_to_sign(all.iter().copied()));
        let mut q: Vec<String> = all
            .iter()
            .map(|(k, v)| format!("{k}={}", sign::encode_value(v)))
            .collect();
        q.push(format!("signature={}", sign::encode_value(&signature)));
        format!("{}?{}", self.url, q.join("&"))
    }

    /// Calls and requires HTTP 200; returns the body.
    async fn call(&self, command: &str, params: &[(&str, &str)]) -> Result<String> {
        let r = self
            .http
            .get(self.signed_url(command, params))
            .send()
            .await
            .with_context(|| format!("{command} request"))?;
        ok_text(r).await.with_context(|| command.to_string())
    }

    /// `n` sequential signed GETs after a short warm-up; signing is not timed. Also
    /// reads the CPU time the server process `pid` used meanwhile. `items` names the
    /// list in the answer whose length is reported.
    async fn measure(
        &self,
        label: &str,
        command: &str,
        params: &[(&str, &str)],
        items: &str,
        n: usize,
        pid: u32,
    ) -> Result<Latency> {
        let url = self.signed_url(command, params);
        let warmup = n.clamp(1, 50);
        let mut last = Vec::new();
        for _ in 0..warmup {
            last = self.timed_get(&url).await?.1;
        }
        let mut samples = Vec::with_capacity(n);
        let cpu_before = child::cpu_time(pid)?;
        let started = Instant::now();
        for _ in 0..n {
            let (took, _) = self.timed_get(&url).await?;
            samples.push(took);
        }
        let total = started.elapsed();
        let server_cpu = child::cpu_time(pid)?.saturating_sub(cpu_before);
        let body: Value = serde_json::from_slice(&last).context("response is not JSON")?;
        let obj = body
            .as_object()
            .and_then(|o| o.values().next())
            .cloned()
            .unwrap_or(Value::Null);
        let items = obj.get(items).and_then(Value::as_array).map(Vec::len);
        let count = obj.get("count").and_then(Value::as_u64);
        Ok(Latency::new(
            label,
            samples,
            total,
            server_cpu,
            last.len(),
            items,
            count,
        ))
    }

    async fn timed_get(&self, url: &str) -> Result<(Duration, Vec<u8>)> {
        let t = Instant::now();
        let r = self.http.get(url).send().await.context("request")?;
        let status = r.status();
        let body = r.bytes().await.context("response body")?;
        let took = t.elapsed();
        if !status.is_success() {
            bail!("HTTP {status}: {}", String::from_utf8_lossy(&body));
        }
        Ok((took, body.to_vec()))
    }
}

/// Creates `n` user accounts (accounttype=0), `concurrency` requests in flight.
async fn seed_accounts(api: &Signed, n: usize, concurrency: usize) -> Result<()> {
    let mut tasks = tokio::task::JoinSet::new();
    let mut next = 0;
    let mut done = 0;
    while done < n {
        while next < n && tasks.len() < concurrency {
            let api = api.clone();
            let i = next;
            tasks.spawn(async move {
                let name = format!("bench{i:05}");
                let email = format!("{name}@example.com");
                api.call(
                    "createAccount",
                    &[
                        ("accounttype", "0"),
                        ("account", &name),
                        ("username", &name),
                        ("password", "Bench-Secret-1"),
                        ("email", &email),
                        ("firstname", "Bench"),
                        ("lastname", "User"),
                    ],
                )
                .await
                .map(|_| ())
            });
            next += 1;
        }
        match tasks.join_next().await {
            Some(joined) => joined.context("seeding task failed")??,
            None => bail!("seeding stopped early"),
        }
        done += 1;
        if done % 100 == 0 {
            progress(&format!("seeded {done}/{n} accounts"));
        }
    }
    Ok(())
}

async fn ok_text(r: reqwest::Response) -> Result<String> {
    let status = r.status();
    let text = r.text().await.context("response body")?;
    if !status.is_success() {
        bail!("HTTP {status}: {text}");
    }
    Ok(text)
}

/// The object under the single top-level key of a JSON answer.
fn inner(text: &str) -> Result<Value> {
    let v: Value = serde_json::from_str(text).with_context(|| format!("not JSON: {text}"))?;
    v.as_object()
        .and_then(|o| o.values().next())
        .cloned()
        .ok_or_else(|| anyhow!("unexpected answer: {text}"))
}

fn str_field(v: &Value, name: &str) -> Result<String> {
    v.get(name)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| anyhow!("no {name} in {v}"))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
