//! `--scenario hosts`: many simulated hosts in one agent process, one server.
//!
//! 1. `strato quickstart` on loopback (a zone with a Simulator cluster `C0` of four
//!    in-process hosts); the admin keys and the agent token are read from its stdout.
//! 2. One `strato agent --driver simulator --hosts N` process joins cluster `C0`; the
//!    bench polls `listHosts` (count only) until all N + 4 hosts are Up.
//! 3. Steady state: no API calls for `--steady-secs`; CPU share and RSS of the server
//!    and of the agent from /proc.
//! 4. Signed `listHosts` latency: the first 500-host page, and a 20-host page filtered by
//!    cluster.
//! 5. The agent stops (Ctrl-C); the bench waits for its hosts to be Disconnected.
//!
//! Both children are killed when the bench ends, also on errors; every loop has a deadline.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};

use crate::child::{self, Backend, Memory};
use crate::report::Latency;
use crate::{Opts, Signed, inner, progress};

/// How long `strato quickstart` may take to print its keys.
const QUICKSTART_TIMEOUT: Duration = Duration::from_secs(180);
/// How long a child may take to stop after SIGINT before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// How often the bench asks how many hosts are Up while they come up.
const POLL: Duration = Duration::from_millis(100);
/// The line `strato quickstart` prints last.
const READY_LINE: &str = "Press Ctrl-C to stop.";

/// A child process (the server or the agent); killed when dropped.
struct Proc {
    what: &'static str,
    child: Child,
    log: PathBuf,
}

impl Proc {
    fn spawn(what: &'static str, mut cmd: Command, log: PathBuf, stdout: Stdio) -> Result<Proc> {
        let log_file = std::fs::File::create(&log)
            .with_context(|| format!("cannot create {}", log.display()))?;
        cmd.stdin(Stdio::null())
            .stdout(stdout)
            .stderr(Stdio::from(log_file));
        let child = cmd
            .spawn()
            .with_context(|| format!("cannot start the {what}"))?;
        Ok(Proc { what, child, log })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// An error carrying the end of the log if the process has exited.
    fn check(&mut self) -> Result<()> {
        if let Some(status) = self
            .child
            .try_wait()
            .with_context(|| format!("cannot check the {}", self.what))?
        {
            bail!(
                "the {} exited with {status}:\n{}",
                self.what,
                child::log_tail(&self.log)
            );
        }
        Ok(())
    }

    fn memory(&self) -> Result<Memory> {
        child::memory(self.pid())
    }

    fn cpu(&self) -> Result<Duration> {
        child::cpu_time(self.pid())
    }

    /// Stops the process like Ctrl-C does, killing it if it does not stop in time.
    async fn stop(mut self) -> Result<()> {
        if child::interrupt(self.pid()) {
            let deadline = Instant::now() + STOP_TIMEOUT;
            while Instant::now() < deadline {
                if self.child.try_wait()?.is_some() {
                    return Ok(());
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            eprintln!(
                "strato-bench: the {} did not stop after SIGINT; killing it",
                self.what
            );
        }
        self.kill();
        Ok(())
    }

    fn kill(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What `strato quickstart` printed.
struct Quickstart {
    api_url: String,
    agent_addr: String,
    api_key: String,
    secret: String,
    token: String,
}

/// Starts `strato quickstart` on two free loopback ports and waits for its keys.
async fn start_quickstart(
    bin: &Path,
    dir: &Path,
    db: Option<&str>,
) -> Result<(Proc, Quickstart, Duration)> {
    let api = child::free_port()?;
    let mut agent = child::free_port()?;
    for _ in 0..100 {
        if agent != api {
            break;
        }
        agent = child::free_port()?;
    }
    if agent == api {
        bail!("cannot find two free loopback ports");
    }
    let out = dir.join("quickstart.out");
    let out_file =
        std::fs::File::create(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut cmd = Command::new(bin);
    cmd.arg("quickstart")
        .arg("--listen")
        .arg(api.to_string())
        .arg("--agent-listen")
        .arg(agent.to_string());
    child::db_args(&mut cmd, dir, db);
    cmd.env_remove("STRATO_AGENT_LISTEN");
    let started = Instant::now();
    let mut server = Proc::spawn("server", cmd, dir.join("server.log"), Stdio::from(out_file))?;
    let text = loop {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        if text.contains(READY_LINE) {
            break text;
        }
        server.check()?;
        if started.elapsed() > QUICKSTART_TIMEOUT {
            bail!(
                "strato quickstart printed no keys within {QUICKSTART_TIMEOUT:?}:\n{text}\n{}",
                child::log_tail(&server.log)
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let took = started.elapsed();
    let field = |prefix: &str| -> Result<String> {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| anyhow!("strato quickstart printed no {prefix:?}:\n{text}"))
    };
    let qs = Quickstart {
        api_url: format!("http://{api}/client/api"),
        agent_addr: agent.to_string(),
        api_key: field("API key:")?,
        secret: field("Secret key:")?,
        token: field("Agent token (strato agent --token):")?,
    };
    Ok((server, qs, took))
}

/// `count` of listHosts (optionally in one state), asking for a single row.
async fn host_count(api: &Signed, state: Option<&str>) -> Result<u64> {
    let mut params = vec![("page", "1"), ("pagesize", "1")];
    if let Some(s) = state {
        params.push(("state", s));
    }
    let v = inner(&api.call("listHosts", &params).await?)?;
    // CloudStack leaves `count` out of an empty list.
    Ok(v.get("count").and_then(Value::as_u64).unwrap_or(0))
}

pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// CPU time over wall time, in % of one core.
pub fn share(cpu: Duration, wall: Duration) -> f64 {
    if wall.is_zero() {
        0.0
    } else {
        cpu.as_secs_f64() / wall.as_secs_f64() * 100.0
    }
}

/// Server and agent numbers of one phase.
#[derive(Default, Clone, Copy)]
struct Usage {
    server_cpu_secs: f64,
    agent_cpu_secs: f64,
    server_cpu_pct: f64,
    agent_cpu_pct: f64,
    server_rss_mb: f64,
    agent_rss_mb: f64,
}

impl Usage {
    fn to_json(self) -> Value {
        json!({
            "server_cpu_secs": self.server_cpu_secs,
            "agent_cpu_secs": self.agent_cpu_secs,
            "server_cpu_pct_of_one_core": self.server_cpu_pct,
            "agent_cpu_pct_of_one_core": self.agent_cpu_pct,
            "server_rss_mb": self.server_rss_mb,
            "agent_rss_mb": self.agent_rss_mb,
        })
    }
}

pub struct HostsReport {
    backend: String,
    hosts: u32,
    /// Hosts the quickstart zone had before the agent started.
    baseline: u64,
    requests: usize,
    load_start: String,
    load_end: String,
    quickstart_secs: f64,
    /// Agent spawn until every host row exists (any state).
    registered_secs: f64,
    /// Agent spawn until every host is Up.
    up_secs: f64,
    /// From agent spawn until all Up; RSS at that moment.
    bring_up: Usage,
    steady_wall_secs: f64,
    /// Steady state; RSS at its end.
    steady: Usage,
    steady_server_rss_max_mb: f64,
    steady_agent_rss_max_mb: f64,
    up_after_steady: u64,
    latency: Vec<Latency>,
    server_rss_after_latency_mb: f64,
    server_hwm_mb: f64,
    agent_hwm_mb: f64,
    /// Agent stopped (SIGINT) until all its hosts are Disconnected.
    disconnected_secs: Option<f64>,
}

pub async fn run(opts: &Opts, bin: &Path, backend: &mut Backend) -> Result<HostsReport> {
    if opts.hosts == 0 {
        bail!("--hosts must be at least 1");
    }
    let requests = opts.requests();
    let load_start = load_average();
    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let server_dir = dir.path().join("server");
    std::fs::create_dir_all(&server_dir).context("cannot create the server directory")?;
    let db = backend.fresh_db().await?;

    // 1. The server with its ready zone.
    let (mut server, qs, quickstart) = start_quickstart(bin, &server_dir, db.as_deref()).await?;
    progress(&format!(
        "quickstart ready in {:.1} s (pid {}, API {}, agents {})",
        quickstart.as_secs_f64(),
        server.pid(),
        qs.api_url,
        qs.agent_addr
    ));
    let api = Signed {
        http: child::http_client()?,
        url: qs.api_url.clone(),
        api_key: qs.api_key.clone(),
        secret: qs.secret.clone(),
    };
    let clusters = inner(
        &api.call(
            "listClusters",
            &[("name", "C0"), ("hypervisor", "Simulator")],
        )
        .await?,
    )?;
    let cluster = clusters["cluster"][0]["id"]
        .as_str()
        .ok_or_else(|| anyhow!("no Simulator cluster C0: {clusters}"))?
        .to_string();
    let baseline = host_count(&api, None).await?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while host_count(&api, Some("Up")).await? < baseline {
        server.check()?;
        if Instant::now() > deadline {
            bail!("the {baseline} quickstart hosts did not come Up within 60 s");
        }
        tokio::time::sleep(POLL).await;
    }
    let target = baseline + u64::from(opts.hosts);

    // 2. One agent process with all the simulated hosts.
    let agent_dir = dir.path().join("agent");
    let mut cmd = Command::new(bin);
    cmd.arg("agent")
        .args(["--driver", "simulator", "--hosts"])
        .arg(opts.hosts.to_string())
        .arg("--server")
        .arg(&qs.agent_addr)
        .arg("--cluster-id")
        .arg(&cluster)
        .arg("--state-dir")
        .arg(&agent_dir)
        // The token travels in the environment, not on the command line.
        .env("STRATO_AGENT_TOKEN", &qs.token)
        .env_remove("STRATO_AGENT_SERVERS")
        .env_remove("STRATO_AGENT_STATE_DIR");
    let server_cpu0 = server.cpu()?;
    progress(&format!(
        "starting one agent with {} simulated hosts (cluster {cluster})",
        opts.hosts
    ));
    let started = Instant::now();
    let mut agent = Proc::spawn("agent", cmd, dir.path().join("agent.log"), Stdio::null())?;
    let deadline = started + Duration::from_secs(opts.up_timeout_secs);
    let mut registered_at = None;
    let mut said = Instant::now();
    let up_at = loop {
        server.check()?;
        agent.check()?;
        let up = host_count(&api, Some("Up")).await?;
        if up >= target {
            break started.elapsed();
        }
        let all = if registered_at.is_none() {
            let all = host_count(&api, None).await?;
            if all >= target {
                registered_at = Some(started.elapsed());
            }
            all
        } else {
            target
        };
        if said.elapsed() >= Duration::from_secs(5) {
            said = Instant::now();
            progress(&format!(
                "  {:.0} s: {all}/{target} hosts registered, {up} Up",
                started.elapsed().as_secs_f64()
            ));
        }
        if Instant::now() > deadline {
            bail!(
                "after {} s only {all}/{target} hosts were registered and {up} Up\n\
                 agent log:\n{}\nserver log:\n{}",
                opts.up_timeout_secs,
                child::log_tail(&agent.log),
                child::log_tail(&server.log)
            );
        }
        tokio::time::sleep(POLL).await;
    };
    let registered_at = registered_at.unwrap_or(up_at);
    let (server_cpu, agent_cpu) = (server.cpu()?, agent.cpu()?);
    let bring_up = Usage {
        server_cpu_secs: server_cpu.saturating_sub(server_cpu0).as_secs_f64(),
        agent_cpu_secs: agent_cpu.as_secs_f64(),
        server_cpu_pct: share(server_cpu.saturating_sub(server_cpu0), up_at),
        agent_cpu_pct: share(agent_cpu, up_at),
        server_rss_mb: server.memory()?.rss_mb,
        agent_rss_mb: agent.memory()?.rss_mb,
    };
    progress(&format!(
        "all {target} hosts Up after {:.2} s (registered after {:.2} s)",
        up_at.as_secs_f64(),
        registered_at.as_secs_f64()
    ));

    // 3. Steady state: nobody calls the API; the agent pings, the server's monitor runs.
    progress(&format!("steady state for {} s", opts.steady_secs));
    let steady_for = Duration::from_secs(opts.steady_secs);
    let t0 = Instant::now();
    let (s0, a0) = (server.cpu()?, agent.cpu()?);
    let (mut server_rss_max, mut agent_rss_max) = (0f64, 0f64);
    loop {
        server.check()?;
        agent.check()?;
        server_rss_max = server_rss_max.max(server.memory()?.rss_mb);
        agent_rss_max = agent_rss_max.max(agent.memory()?.rss_mb);
        let left = steady_for.saturating_sub(t0.elapsed());
        if left.is_zero() {
            break;
        }
        tokio::time::sleep(left.min(Duration::from_secs(1))).await;
    }
    let (s1, a1) = (server.cpu()?, agent.cpu()?);
    let wall = t0.elapsed();
    let steady = Usage {
        server_cpu_secs: s1.saturating_sub(s0).as_secs_f64(),
        agent_cpu_secs: a1.saturating_sub(a0).as_secs_f64(),
        server_cpu_pct: share(s1.saturating_sub(s0), wall),
        agent_cpu_pct: share(a1.saturating_sub(a0), wall),
        server_rss_mb: server.memory()?.rss_mb,
        agent_rss_mb: agent.memory()?.rss_mb,
    };
    let up_after_steady = host_count(&api, Some("Up")).await?;
    progress(&format!(
        "steady: server {:.2} % of a core, {:.1} MiB; agent {:.2} %, {:.1} MiB; {up_after_steady}/{target} Up",
        steady.server_cpu_pct, steady.server_rss_mb, steady.agent_cpu_pct, steady.agent_rss_mb
    ));

    // 4. listHosts latency over all the hosts.
    let mut latency = Vec::new();
    let series: [(&str, Vec<(&str, &str)>); 2] = [
        (
            "listHosts (page=1, pagesize=500)",
            vec![("page", "1"), ("pagesize", "500")],
        ),
        (
            "listHosts (clusterid, pagesize=20)",
            vec![("clusterid", &cluster), ("page", "1"), ("pagesize", "20")],
        ),
    ];
    for (label, params) in &series {
        progress(&format!("measuring {label}: {requests} requests"));
        let l = api
            .measure(label, "listHosts", params, "host", requests, server.pid())
            .await?;
        progress(&format!(
            "  p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, server CPU {:.2} ms/req",
            l.p50_ms, l.p99_ms, l.max_ms, l.server_cpu_ms
        ));
        latency.push(l);
    }
    let server_mem = server.memory()?;
    let agent_mem = agent.memory()?;

    // 5. The agent stops (Ctrl-C: it sends Shutdown): how long until its hosts are
    //    Disconnected.
    let stopped = Instant::now();
    agent.stop().await?;
    let deadline = stopped + Duration::from_secs(120);
    let disconnected_at = loop {
        server.check()?;
        let n = host_count(&api, Some("Disconnected")).await?;
        if n >= u64::from(opts.hosts) {
            break Some(stopped.elapsed());
        }
        if Instant::now() > deadline {
            progress(&format!(
                "only {n}/{} hosts Disconnected 120 s after the agent stopped",
                opts.hosts
            ));
            break None;
        }
        tokio::time::sleep(POLL).await;
    };
    if let Some(d) = disconnected_at {
        progress(&format!(
            "agent stopped: all its hosts Disconnected after {:.2} s",
            d.as_secs_f64()
        ));
    }
    let report = HostsReport {
        backend: backend.name(),
        hosts: opts.hosts,
        baseline,
        requests,
        load_start,
        load_end: load_average(),
        quickstart_secs: quickstart.as_secs_f64(),
        registered_secs: registered_at.as_secs_f64(),
        up_secs: up_at.as_secs_f64(),
        bring_up,
        steady_wall_secs: wall.as_secs_f64(),
        steady,
        steady_server_rss_max_mb: server_rss_max,
        steady_agent_rss_max_mb: agent_rss_max,
        up_after_steady,
        latency,
        server_rss_after_latency_mb: server_mem.rss_mb,
        server_hwm_mb: server_mem.hwm_mb,
        agent_hwm_mb: agent_mem.hwm_mb,
        disconnected_secs: disconnected_at.map(|d| d.as_secs_f64()),
    };
    server.stop().await?;
    Ok(report)
}

/// Targets of the host-scale benchmark.
const UP_TARGET_SECS: f64 = 30.0;
const CPU_TARGET_PCT: f64 = 10.0;
const P99_TARGET_MS: f64 = 30.0;

fn met(ok: bool) -> &'static str {
    if ok { "yes" } else { "NO" }
}

impl HostsReport {
    fn page_p99(&self) -> Option<f64> {
        self.latency.first().map(|l| l.p99_ms)
    }

    pub fn to_json(&self) -> Value {
        json!({
            "scenario": "hosts",
            "backend": self.backend,
            "hosts": self.hosts,
            "quickstart_hosts": self.baseline,
            "requests": self.requests,
            "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
            "load_average_start": self.load_start,
            "load_average_end": self.load_end,
            "quickstart_secs": self.quickstart_secs,
            "all_registered_secs": self.registered_secs,
            "all_up_secs": self.up_secs,
            "bring_up": self.bring_up.to_json(),
            "steady_secs": self.steady_wall_secs,
            "steady": self.steady.to_json(),
            "steady_server_rss_max_mb": self.steady_server_rss_max_mb,
            "steady_agent_rss_max_mb": self.steady_agent_rss_max_mb,
            "up_after_steady": self.up_after_steady,
            "latency": self.latency.iter().map(Latency::to_json).collect::<Vec<_>>(),
            "server_rss_mb_after_latency": self.server_rss_after_latency_mb,
            "server_peak_rss_mb": self.server_hwm_mb,
            "agent_peak_rss_mb": self.agent_hwm_mb,
            "agent_stop_to_all_disconnected_secs": self.disconnected_secs,
            "targets_met": {
                "all_up_within_30s": self.up_secs <= UP_TARGET_SECS,
                "steady_server_cpu_at_most_10pct": self.steady.server_cpu_pct <= CPU_TARGET_PCT,
                "list_hosts_500_p99_at_most_30ms": self.page_p99().is_some_and(|p| p <= P99_TARGET_MS),
            },
        })
    }

    pub fn table(&self) -> String {
        use std::fmt::Write as _;
        let mut t = String::new();
        let cpus = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0);
        let total = self.baseline + u64::from(self.hosts);
        let _ = writeln!(
            t,
            "strato-bench --scenario hosts: backend {}, 1 agent process with {} simulated hosts \
             (+{} quickstart hosts), {cpus} CPUs, load average {} -> {}",
            self.backend, self.hosts, self.baseline, self.load_start, self.load_end
        );
        let _ = writeln!(t);
        let _ = writeln!(
            t,
            "Bring-up (from agent spawn)                          seconds"
        );
        let _ = writeln!(
            t,
            "  quickstart ready (before the agent)            {:>9.2}",
            self.quickstart_secs
        );
        let _ = writeln!(
            t,
            "  all {total:>6} hosts registered (any state)      {:>9.2}",
            self.registered_secs
        );
        let _ = writeln!(
            t,
            "  all {total:>6} hosts Up                          {:>9.2}   target <= {UP_TARGET_SECS:.0} s: {}",
            self.up_secs,
            met(self.up_secs <= UP_TARGET_SECS)
        );
        let _ = writeln!(t);
        let _ = writeln!(
            t,
            "{:<38} {:>12} {:>12} {:>12} {:>12}",
            "CPU (% of one core) and RSS (MiB)",
            "server CPU",
            "server RSS",
            "agent CPU",
            "agent RSS"
        );
        let b = &self.bring_up;
        let _ = writeln!(
            t,
            "  {:<36} {:>11.1}% {:>12.1} {:>11.1}% {:>12.1}",
            format!("bring-up ({:.1} s)", self.up_secs),
            b.server_cpu_pct,
            b.server_rss_mb,
            b.agent_cpu_pct,
            b.agent_rss_mb
        );
        let s = &self.steady;
        let _ = writeln!(
            t,
            "  {:<36} {:>11.2}% {:>12.1} {:>11.2}% {:>12.1}",
            format!(
                "steady ({:.0} s, all Up, no API calls)",
                self.steady_wall_secs
            ),
            s.server_cpu_pct,
            s.server_rss_mb,
            s.agent_cpu_pct,
            s.agent_rss_mb
        );
        let _ = writeln!(
            t,
            "  {:<36} {:>12} {:>12.1} {:>12} {:>12.1}",
            "steady, highest RSS sample",
            "",
            self.steady_server_rss_max_mb,
            "",
            self.steady_agent_rss_max_mb
        );
        let _ = writeln!(
            t,
            "  {:<36} {:>12} {:>12.1} {:>12} {:>12.1}",
            "peak (VmHWM, whole run)", "", self.server_hwm_mb, "", self.agent_hwm_mb
        );
        let _ = writeln!(
            t,
            "  steady server CPU target <= {CPU_TARGET_PCT:.0} %: {}; hosts Up after the steady period: {}/{total}",
            met(s.server_cpu_pct <= CPU_TARGET_PCT),
            self.up_after_steady
        );
        let _ = writeln!(t);
        let _ = writeln!(
            t,
            "{:<38} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>6} {:>7} {:>9}",
            "Signed GET, sequential, keep-alive",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "max ms",
            "mean ms",
            "CPU ms",
            "items",
            "count",
            "bytes"
        );
        for l in &self.latency {
            let _ = writeln!(
                t,
                "  {:<36} {:>7.2} {:>7.2} {:>7.2} {:>7.2} {:>7.2} {:>7.2} {:>6} {:>7} {:>9}",
                l.label,
                l.p50_ms,
                l.p90_ms,
                l.p99_ms,
                l.max_ms,
                l.mean_ms,
                l.server_cpu_ms,
                l.items.map(|i| i.to_string()).unwrap_or_else(|| "-".into()),
                l.count.map(|c| c.to_string()).unwrap_or_else(|| "-".into()),
                l.body_bytes
            );
        }
        let _ = writeln!(
            t,
            "  ({} requests per series; CPU ms = server CPU time per request; listHosts 500 p99 target <= {P99_TARGET_MS:.0} ms: {})",
            self.requests,
            met(self.page_p99().is_some_and(|p| p <= P99_TARGET_MS))
        );
        let _ = writeln!(
            t,
            "  server RSS after the latency runs: {:.1} MiB",
            self.server_rss_after_latency_mb
        );
        let _ = writeln!(t);
        let _ = writeln!(
            t,
            "Agent stopped (Ctrl-C) -> all its hosts Disconnected: {}",
            self.disconnected_secs
                .map(|s| format!("{s:.2} s"))
                .unwrap_or_else(|| "not within 120 s".into())
        );
        t
    }
}
