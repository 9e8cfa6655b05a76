//! `--scenario vms`: sustained deployVirtualMachine load against one server.
//!
//! 1. A fresh server; through signed API calls an Advanced zone (guest CIDR /16, a VLAN
//!    physical network for guest traffic, a public range for source NAT) with one Simulator
//!    cluster of big in-process simulated hosts (256 GiB, 128 cores; one host per 256
//!    VMs), a huge NFS primary pool, an NFS image store; the zone is enabled and the
//!    bench waits for the hosts to be Up and the built-in Simulator template to be ready.
//!    The cluster CPU/RAM disable thresholds are set to 1.
//! 2. `--vms` deployVirtualMachine calls (Small Instance), `--concurrency` in flight;
//!    each call is timed until its `jobid` answer. Meanwhile one poller asks
//!    queryAsyncJobResult for the oldest unfinished jobs (16 at a time, stopping a sweep
//!    at the first chunk without a finished job, 250 ms between sweeps). Deploys/s = successful jobs / wall time
//!    from the first request to the last job seen finished.
//! 3. Signed listVirtualMachines latency with all VMs present (listall=true,
//!    pagesize=500): page 1 and a middle page.
//!
//! The server is killed when the bench ends, also on errors; every wait has a deadline.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::child::{self, Backend, ServerProc};
use crate::report::Latency;
use crate::{Opts, Signed, admin_keys, inner, progress, str_field};

/// VMs per simulated host the setup provides room for (a host fits 512 Small Instances
/// by memory, 2048 by CPU).
const VMS_PER_HOST: usize = 256;
const HOST_MEMORY: u64 = 256 << 30;
const HOST_CORES: u32 = 128;
/// Primary storage capacity: 4 PiB.
const POOL_BYTES: u64 = 4 << 50;
/// Setup waits (hosts Up, template ready).
const SETUP_TIMEOUT: Duration = Duration::from_secs(300);
/// How long all jobs may take after the first deploy before the bench gives up.
const JOBS_TIMEOUT: Duration = Duration::from_secs(1800);
/// queryAsyncJobResult calls in flight while polling.
const POLL_CHUNK: usize = 16;
const POLL_PAUSE: Duration = Duration::from_millis(250);
const TEMPLATE: &str = "CentOS 5.6 (64-bit) no GUI (Simulator)";
const OFFERING: &str = "Small Instance";

const DEPLOYS_TARGET: f64 = 500.0;
const DEPLOY_P99_TARGET_MS: f64 = 10.0;
const LIST_P99_TARGET_MS: f64 = 50.0;

pub struct VmsReport {
    backend: String,
    vms: usize,
    hosts: usize,
    concurrency: usize,
    requests: usize,
    load_start: String,
    load_end: String,
    setup_secs: f64,
    /// deployVirtualMachine until the jobid answer (successful submissions).
    submit: Latency,
    /// First request until the last call answered.
    submit_secs: f64,
    /// First request until the last job seen finished.
    wall_secs: f64,
    succeeded: usize,
    failed: usize,
    /// "HTTP 431" / "job 533" -> (count, one error text).
    failures: BTreeMap<String, (usize, String)>,
    deploys_per_sec: f64,
    /// Job latency (first request of the job until seen finished), successful jobs.
    job: Latency,
    server_cpu_secs: f64,
    poll_requests: usize,
    running: u64,
    latency: Vec<Latency>,
    server_rss_mb: f64,
    server_hwm_mb: f64,
}

/// What one deploy call ended with.
enum Submitted {
    Job(String),
    Failed(String, String),
}

pub async fn run(opts: &Opts, bin: &Path, backend: &mut Backend) -> Result<VmsReport> {
    if opts.vms == 0 {
        bail!("--vms must be at least 1");
    }
    let concurrency = opts.concurrency();
    let requests = opts.requests();
    let hosts = opts.vms.div_ceil(VMS_PER_HOST).max(1);
    let load_start = load_average();
    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let db = backend.fresh_db().await?;
    let (server, took) = ServerProc::start(bin, dir.path(), db.as_deref()).await?;
    let log = dir.path().join("server.log");
    progress(&format!(
        "server up in {:.1} ms (pid {})",
        took.as_secs_f64() * 1000.0,
        server.pid()
    ));
    let url = server.api_url();
    // Enough pooled connections for every request in flight.
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(concurrency + POLL_CHUNK)
        .timeout(Duration::from_secs(120))
        .build()
        .context("cannot build the HTTP client")?;
    let (api_key, secret) = admin_keys(&http, &url).await?;
    let api = Signed {
        http,
        url,
        api_key,
        secret,
    };

    // 1. The zone.
    let t0 = Instant::now();
    let zone = setup(&api, &server, &log, hosts).await?;
    let setup_secs = t0.elapsed().as_secs_f64();
    progress(&format!(
        "zone ready in {setup_secs:.1} s: {hosts} hosts Up, template ready"
    ));

    // 2. The deploys.
    progress(&format!(
        "deploying {} VMs, {concurrency} requests in flight",
        opts.vms
    ));
    let cpu0 = child::cpu_time(server.pid())?;
    let (tx, rx) = mpsc::unbounded_channel::<(String, Instant)>();
    let poller = tokio::spawn(poll_jobs(api.clone(), rx));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let mut next = 0;
    let mut samples = Vec::with_capacity(opts.vms);
    let mut failures: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut said = Instant::now();
    let mut answered = 0;
    while answered < opts.vms {
        while next < opts.vms && tasks.len() < concurrency {
            let api = api.clone();
            let params = [
                ("zoneid", zone.zone.clone()),
                ("templateid", zone.template.clone()),
                ("serviceofferingid", zone.offering.clone()),
            ];
            tasks.spawn(async move {
                let p: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let url = api.signed_url("deployVirtualMachine", &p);
                let t = Instant::now();
                let r = submit(&api, &url).await;
                (t, t.elapsed(), r)
            });
            next += 1;
        }
        let Some(joined) = tasks.join_next().await else {
            bail!("deploy tasks stopped early");
        };
        let (t, took, r) = joined.context("deploy task failed")?;
        answered += 1;
        match r {
            Submitted::Job(id) => {
                samples.push(took);
                let _ = tx.send((id, t));
            }
            Submitted::Failed(code, text) => {
                let e = failures.entry(code).or_insert((0, text));
                e.0 += 1;
            }
        }
        if said.elapsed() >= Duration::from_secs(5) {
            said = Instant::now();
            check(&server, &log)?;
            progress(&format!(
                "  {:.0} s: {answered}/{} deploy calls answered",
                started.elapsed().as_secs_f64(),
                opts.vms
            ));
        }
    }
    let submit_total = started.elapsed();
    drop(tx);
    progress(&format!(
        "all {} deploy calls answered after {:.1} s; waiting for the jobs",
        opts.vms,
        submit_total.as_secs_f64()
    ));
    let polled = loop {
        if poller.is_finished() {
            break poller.await.context("job poller failed")??;
        }
        check(&server, &log)?;
        if started.elapsed() > JOBS_TIMEOUT {
            poller.abort();
            bail!(
                "jobs not finished {JOBS_TIMEOUT:?} after the first deploy:\n{}",
                child::log_tail(&log)
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let server_cpu = child::cpu_time(server.pid())?.saturating_sub(cpu0);
    for (code, text) in polled.failures {
        let e = failures.entry(code).or_insert((0, text));
        e.0 += 1;
    }
    let wall = polled
        .last_done
        .map(|d| d.duration_since(started))
        .unwrap_or_else(|| started.elapsed());
    let succeeded = polled.job_samples.len();
    let failed: usize = failures.values().map(|(n, _)| n).sum();
    let submit = Latency::new(
        "deployVirtualMachine -> jobid",
        samples,
        submit_total,
        server_cpu,
        0,
        None,
        None,
    );
    let job = Latency::new(
        "deploy job (request -> seen finished)",
        polled.job_samples,
        wall,
        Duration::ZERO,
        0,
        None,
        None,
    );
    let deploys_per_sec = succeeded as f64 / wall.as_secs_f64().max(1e-9);
    progress(&format!(
        "{succeeded} VMs deployed, {failed} failed in {:.1} s: {deploys_per_sec:.0} deploys/s; \
         jobid p50 {:.2} ms p99 {:.2} ms max {:.2} ms",
        wall.as_secs_f64(),
        submit.p50_ms,
        submit.p99_ms,
        submit.max_ms
    ));
    let running = count(
        &api,
        "listVirtualMachines",
        &[("listall", "true"), ("state", "Running")],
    )
    .await?;

    // 3. listVirtualMachines with the VMs present.
    let pages = (running as usize).div_ceil(500).max(1);
    let middle = (pages / 2 + 1).min(pages).to_string();
    let series: [(String, Vec<(&str, &str)>); 2] = [
        (
            "listVirtualMachines (page=1, pagesize=500)".into(),
            vec![("listall", "true"), ("page", "1"), ("pagesize", "500")],
        ),
        (
            format!("listVirtualMachines (page={middle}, pagesize=500)"),
            vec![
                ("listall", "true"),
                ("page", middle.as_str()),
                ("pagesize", "500"),
            ],
        ),
    ];
    let mut latency = Vec::new();
    for (label, params) in &series {
        progress(&format!("measuring {label}: {requests} requests"));
        let l = api
            .measure(
                label,
                "listVirtualMachines",
                params,
                "virtualmachine",
                requests,
                server.pid(),
            )
            .await?;
        progress(&format!(
            "  p50 {:.2} ms, p99 {:.2} ms, {} bytes, server CPU {:.2} ms/req",
            l.p50_ms, l.p99_ms, l.body_bytes, l.server_cpu_ms
        ));
        latency.push(l);
    }
    let mem = server.memory()?;
    server.stop().await?;
    Ok(VmsReport {
        backend: backend.name(),
        vms: opts.vms,
        hosts,
        concurrency,
        requests,
        load_start,
        load_end: load_average(),
        setup_secs,
        submit,
        submit_secs: submit_total.as_secs_f64(),
        wall_secs: wall.as_secs_f64(),
        succeeded,
        failed,
        failures,
        deploys_per_sec,
        job,
        server_cpu_secs: server_cpu.as_secs_f64(),
        poll_requests: polled.requests,
        running,
        latency,
        server_rss_mb: mem.rss_mb,
        server_hwm_mb: mem.hwm_mb,
    })
}

/// One deployVirtualMachine call: the jobid, or the error code and text.
async fn submit(api: &Signed, url: &str) -> Submitted {
    let r = match api.http.get(url).send().await {
        Ok(r) => r,
        Err(e) => return Submitted::Failed("request error".into(), e.to_string()),
    };
    let status = r.status();
    let body = match r.text().await {
        Ok(b) => b,
        Err(e) => return Submitted::Failed("body error".into(), e.to_string()),
    };
    let v = inner(&body).unwrap_or(Value::Null);
    if status.is_success()
        && let Some(id) = v.get("jobid").and_then(Value::as_str)
    {
        return Submitted::Job(id.to_string());
    }
    let code = v
        .get("errorcode")
        .map(|c| c.to_string())
        .unwrap_or_else(|| status.as_u16().to_string());
    let text = v
        .get("errortext")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or(body);
    Submitted::Failed(format!("HTTP {code}"), text)
}

/// What the job poller saw.
struct Polled {
    job_samples: Vec<Duration>,
    failures: Vec<(String, String)>,
    last_done: Option<Instant>,
    requests: usize,
}

/// Polls the jobs it receives until the channel is closed and all have finished.
async fn poll_jobs(
    api: Signed,
    mut rx: mpsc::UnboundedReceiver<(String, Instant)>,
) -> Result<Polled> {
    let mut pending: Vec<(String, Instant)> = Vec::new();
    let mut out = Polled {
        job_samples: Vec::new(),
        failures: Vec::new(),
        last_done: None,
        requests: 0,
    };
    let mut closed = false;
    loop {
        loop {
            match rx.try_recv() {
                Ok(j) => pending.push(j),
                Err(mpsc::error::TryRecvError::Empty) => break,
                Err(mpsc::error::TryRecvError::Disconnected) => {
                    closed = true;
                    break;
                }
            }
        }
        if pending.is_empty() {
            if closed {
                return Ok(out);
            }
            match rx.recv().await {
                Some(j) => pending.push(j),
                None => return Ok(out),
            }
            continue;
        }
        // Oldest first, a chunk at a time; stop at a chunk where nothing finished. Every
        // sweep is followed by a pause, so the bench polls like a client would (a few
        // times a second in all) instead of measuring its own polling.
        let mut keep = Vec::with_capacity(pending.len());
        let mut rest = std::mem::take(&mut pending).into_iter();
        loop {
            let chunk: Vec<(String, Instant)> = rest.by_ref().take(POLL_CHUNK).collect();
            if chunk.is_empty() {
                break;
            }
            let mut set = tokio::task::JoinSet::new();
            for (id, t) in chunk {
                let api = api.clone();
                set.spawn(async move {
                    let r = api.call("queryAsyncJobResult", &[("jobid", &id)]).await;
                    (id, t, r, Instant::now())
                });
            }
            let mut finished_here = false;
            while let Some(joined) = set.join_next().await {
                let (id, t, r, at) = joined.context("poll task failed")?;
                out.requests += 1;
                let v = inner(&r?)?;
                match v.get("jobstatus").and_then(Value::as_i64) {
                    Some(0) => keep.push((id, t)),
                    Some(1) => {
                        finished_here = true;
                        out.job_samples.push(at.duration_since(t));
                        out.last_done = Some(out.last_done.map_or(at, |l| l.max(at)));
                    }
                    _ => {
                        finished_here = true;
                        let res = &v["jobresult"];
                        let code = res
                            .get("errorcode")
                            .map(|c| c.to_string())
                            .unwrap_or_else(|| v["jobresultcode"].to_string());
                        let text = res
                            .get("errortext")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string();
                        out.failures.push((format!("job {code}"), text));
                        out.last_done = Some(out.last_done.map_or(at, |l| l.max(at)));
                    }
                }
            }
            if !finished_here {
                break;
            }
        }
        keep.extend(rest);
        pending = keep;
        tokio::time::sleep(POLL_PAUSE).await;
    }
}

/// The ids the deploys need.
struct Zone {
    zone: String,
    template: String,
    offering: String,
}

fn id_of(v: &Value, what: &str) -> Result<String> {
    v["id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("no {what} id in {v}"))
}

/// `count` of a list call, asking for a single row.
async fn count(api: &Signed, command: &str, params: &[(&str, &str)]) -> Result<u64> {
    let mut p = vec![("page", "1"), ("pagesize", "1")];
    p.extend_from_slice(params);
    let v = inner(&api.call(command, &p).await?)?;
    Ok(v.get("count").and_then(Value::as_u64).unwrap_or(0))
}

/// Runs an async command to its end; its job result.
async fn job(api: &Signed, command: &str, params: &[(&str, &str)]) -> Result<Value> {
    let answer = inner(&api.call(command, params).await?)?;
    let id = str_field(&answer, "jobid").with_context(|| format!("{command}: {answer}"))?;
    let deadline = Instant::now() + SETUP_TIMEOUT;
    loop {
        let r = inner(&api.call("queryAsyncJobResult", &[("jobid", &id)]).await?)?;
        match r["jobstatus"].as_i64() {
            Some(1) => return Ok(r["jobresult"].clone()),
            Some(2) => bail!("{command} failed: {r}"),
            _ if Instant::now() > deadline => bail!("{command} unfinished after {SETUP_TIMEOUT:?}"),
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// What the deploys' NICs need: a VLAN physical network carrying guest traffic (VLANs
/// 100-200) and a public range for the source NAT address of the admin account's
/// default network, which the first deploy creates in the zone's /16 guest CIDR.
async fn guest_networking(api: &Signed, zone: &str) -> Result<()> {
    let pn = job(
        api,
        "createPhysicalNetwork",
        &[
            ("zoneid", zone),
            ("name", "Bench-pnet"),
            ("isolationmethods", "VLAN"),
        ],
    )
    .await?;
    let pn = id_of(&pn["physicalnetwork"], "physical network")?;
    for traffic in ["Guest", "Management", "Public"] {
        job(
            api,
            "addTrafficType",
            &[("physicalnetworkid", &pn), ("traffictype", traffic)],
        )
        .await?;
    }
    job(
        api,
        "updatePhysicalNetwork",
        &[("id", &pn), ("state", "Enabled"), ("vlan", "100-200")],
    )
    .await?;
    let range = inner(
        &api.call(
            "createVlanIpRange",
            &[
                ("zoneid", zone),
                ("vlan", "50"),
                ("gateway", "10.147.31.1"),
                ("netmask", "255.255.255.0"),
                ("startip", "10.147.31.100"),
                ("endip", "10.147.31.200"),
                ("forvirtualnetwork", "true"),
            ],
        )
        .await?,
    )?;
    id_of(&range["vlan"], "public range")?;
    Ok(())
}

async fn setup(api: &Signed, server: &ServerProc, log: &Path, hosts: usize) -> Result<Zone> {
    for name in [
        "cluster.cpu.allocated.capacity.disablethreshold",
        "cluster.memory.allocated.capacity.disablethreshold",
    ] {
        api.call("updateConfiguration", &[("name", name), ("value", "1")])
            .await?;
    }
    let zone = inner(
        &api.call(
            "createZone",
            &[
                ("name", "Bench-sim"),
                ("networktype", "Advanced"),
                ("dns1", "10.147.28.6"),
                ("internaldns1", "10.147.28.6"),
                ("guestcidraddress", "10.1.0.0/16"),
            ],
        )
        .await?,
    )?;
    let zone = id_of(&zone["zone"], "zone")?;
    guest_networking(api, &zone).await?;
    let pod = inner(
        &api.call(
            "createPod",
            &[
                ("zoneid", &zone),
                ("name", "POD0"),
                ("gateway", "172.16.15.1"),
                ("netmask", "255.255.255.0"),
                ("startip", "172.16.15.2"),
                ("endip", "172.16.15.200"),
            ],
        )
        .await?,
    )?;
    let pod = id_of(&pod["pod"], "pod")?;
    let cluster = inner(
        &api.call(
            "addCluster",
            &[
                ("zoneid", &zone),
                ("podid", &pod),
                ("clustername", "C0"),
                ("hypervisor", "Simulator"),
                ("clustertype", "CloudManaged"),
            ],
        )
        .await?,
    )?;
    let cluster = id_of(&cluster["cluster"][0], "cluster")?;
    for i in 0..hosts {
        let url = format!("http://sim/c0/h{i}/memory={HOST_MEMORY}&cpucore={HOST_CORES}");
        api.call(
            "addHost",
            &[
                ("zoneid", &zone),
                ("podid", &pod),
                ("clusterid", &cluster),
                ("hypervisor", "Simulator"),
                ("url", &url),
                ("username", "root"),
                ("password", "password"),
            ],
        )
        .await?;
    }
    let deadline = Instant::now() + SETUP_TIMEOUT;
    loop {
        let up = count(
            api,
            "listHosts",
            &[("clusterid", &cluster), ("state", "Up")],
        )
        .await?;
        if up as usize >= hosts {
            break;
        }
        check(server, log)?;
        if Instant::now() > deadline {
            bail!("only {up}/{hosts} hosts Up after {SETUP_TIMEOUT:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pool_bytes = POOL_BYTES.to_string();
    api.call(
        "createStoragePool",
        &[
            ("zoneid", &zone),
            ("podid", &pod),
            ("clusterid", &cluster),
            ("name", "PS0"),
            ("url", "nfs://10.147.28.6/export/home/sandbox/primary0"),
            ("capacitybytes", &pool_bytes),
        ],
    )
    .await?;
    api.call(
        "addImageStore",
        &[
            ("zoneid", &zone),
            ("name", "SS0"),
            ("provider", "NFS"),
            ("url", "nfs://10.147.28.6/export/home/sandbox/secondary"),
        ],
    )
    .await?;
    api.call(
        "updateZone",
        &[("id", &zone), ("allocationstate", "Enabled")],
    )
    .await?;
    let template = loop {
        let r = inner(
            &api.call(
                "listTemplates",
                &[
                    ("templatefilter", "featured"),
                    ("zoneid", &zone),
                    ("isready", "true"),
                    ("name", TEMPLATE),
                ],
            )
            .await?,
        )?;
        let found = r["template"].as_array().and_then(|ts| {
            ts.iter()
                .find(|t| t["name"] == TEMPLATE)
                .and_then(|t| t["id"].as_str())
        });
        if let Some(id) = found {
            break id.to_string();
        }
        check(server, log)?;
        if Instant::now() > deadline {
            bail!("template {TEMPLATE:?} not ready after {SETUP_TIMEOUT:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let offering = inner(
        &api.call("listServiceOfferings", &[("name", OFFERING)])
            .await?,
    )?;
    let offering = id_of(&offering["serviceoffering"][0], "service offering")?;
    Ok(Zone {
        zone,
        template,
        offering,
    })
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// An error carrying the end of the server log if the server has exited (or is a zombie).
fn check(server: &ServerProc, log: &Path) -> Result<()> {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", server.pid())).unwrap_or_default();
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, r)| r.split_whitespace().next());
    if matches!(state, None | Some("Z" | "X")) {
        bail!("the server exited:\n{}", child::log_tail(log));
    }
    Ok(())
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

impl VmsReport {
    fn list_p99(&self) -> f64 {
        self.latency.iter().map(|l| l.p99_ms).fold(0.0, f64::max)
    }

    pub fn to_json(&self) -> Value {
        let failures: serde_json::Map<String, Value> = self
            .failures
            .iter()
            .map(|(k, (n, text))| (k.clone(), json!({ "count": n, "example": text })))
            .collect();
        json!({
            "scenario": "vms",
            "backend": self.backend,
            "vms": self.vms,
            "hosts": self.hosts,
            "concurrency": self.concurrency,
            "requests_per_series": self.requests,
            "load_average_start": self.load_start,
            "load_average_end": self.load_end,
            "setup_secs": self.setup_secs,
            "deploy": {
                "succeeded": self.succeeded,
                "failed": self.failed,
                "failures": failures,
                "submit_secs": self.submit_secs,
                "wall_secs": self.wall_secs,
                "deploys_per_sec": self.deploys_per_sec,
                "submit_latency": self.submit.to_json(),
                "job_latency": self.job.to_json(),
                "server_cpu_secs": self.server_cpu_secs,
                "poll_requests": self.poll_requests,
                "running_vms": self.running,
            },
            "latency": self.latency.iter().map(Latency::to_json).collect::<Vec<_>>(),
            "server_rss_mb": self.server_rss_mb,
            "server_hwm_mb": self.server_hwm_mb,
            "targets": {
                "deploys_per_sec_min": DEPLOYS_TARGET,
                "deploys_per_sec_met": self.deploys_per_sec >= DEPLOYS_TARGET,
                "submit_p99_ms_max": DEPLOY_P99_TARGET_MS,
                "submit_p99_met": self.submit.p99_ms <= DEPLOY_P99_TARGET_MS,
                "list_p99_ms_max": LIST_P99_TARGET_MS,
                "list_p99_met": self.list_p99() <= LIST_P99_TARGET_MS,
            },
        })
    }

    pub fn table(&self) -> String {
        let mut t = String::new();
        let _ = writeln!(
            t,
            "strato-bench --scenario vms: {} VMs on {} simulated hosts, {} in flight, {}",
            self.vms, self.hosts, self.concurrency, self.backend
        );
        let _ = writeln!(
            t,
            "load average {} at the start, {} at the end; zone setup {:.1} s",
            self.load_start, self.load_end, self.setup_secs
        );
        let _ = writeln!(t);
        let _ = writeln!(
            t,
            "Deploys: {} succeeded, {} failed; all calls answered after {:.1} s, last job done after {:.1} s",
            self.succeeded, self.failed, self.submit_secs, self.wall_secs
        );
        let _ = writeln!(
            t,
            "  {:.0} deploys/s (target >= {DEPLOYS_TARGET:.0}: {}); {} VMs Running; server CPU {:.1} s ({:.2} ms per deploy); {} job polls",
            self.deploys_per_sec,
            met(self.deploys_per_sec >= DEPLOYS_TARGET),
            self.running,
            self.server_cpu_secs,
            self.server_cpu_secs * 1000.0 / self.succeeded.max(1) as f64,
            self.poll_requests
        );
        for (code, (n, text)) in &self.failures {
            let _ = writeln!(t, "  failed {code}: {n} (e.g. {text})");
        }
        let _ = writeln!(t);
        let _ = writeln!(
            t,
            "{:<44} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9}",
            "", "p50 ms", "p90 ms", "p99 ms", "max ms", "mean ms", "bytes"
        );
        for l in [&self.submit, &self.job].into_iter().chain(&self.latency) {
            let _ = writeln!(
                t,
                "  {:<42} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>9}",
                l.label, l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms, l.mean_ms, l.body_bytes
            );
        }
        let _ = writeln!(
            t,
            "  deployVirtualMachine -> jobid p99 target <= {DEPLOY_P99_TARGET_MS:.0} ms: {}",
            met(self.submit.p99_ms <= DEPLOY_P99_TARGET_MS)
        );
        let _ = writeln!(
            t,
            "  listVirtualMachines ({} sequential requests each) p99 target <= {LIST_P99_TARGET_MS:.0} ms: {}",
            self.requests,
            met(self.list_p99() <= LIST_P99_TARGET_MS)
        );
        let _ = writeln!(
            t,
            "Server RSS at the end {:.1} MiB, peak {:.1} MiB",
            self.server_rss_mb, self.server_hwm_mb
        );
        t
    }
}
