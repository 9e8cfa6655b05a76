//! `--scenario kvm`: how long deployVirtualMachine takes to boot a real guest, and how
//! much of that is Strato.
//!
//! 1. `strato quickstart --kvm` on a fresh data directory (the `strato` binary must be
//!    built with `--features kvm`; needs root and libvirtd, see scripts/setup-kvm-host.sh):
//!    a zone around this machine with a local `strato agent --driver kvm` and the small
//!    busybox template. A 1-vCPU, 256 MiB offering is created.
//! 2. `--guests` (default 10) deploys, one after the other. For each: the instant before the
//!    deployVirtualMachine request (t0); the instant QEMU's pid file appears in
//!    /run/libvirt/qemu (libvirt launched the domain: t1, polled every 2 ms); the
//!    instant `STRATO-GUEST-UP` appears on the guest's serial log (t2, polled every 2 ms).
//!    Strato's overhead is t1 - t0 (API, saga, root volume clone, network and router
//!    set-up, domain XML, libvirt's own define/start up to launching QEMU); guest boot is
//!    t2 - t1 (SeaBIOS, SYSLINUX, kernel, init under TCG). When the deploy job finished
//!    is reported too.
//! 3. Each VM is destroyed with expunge before the next deploy (one guest at a time: a
//!    small host's CPU capacity is used up by a handful); at the end the quickstart and
//!    its agent are stopped.
//!
//! Medians (and min/max) over the deploys; targets: overhead <= 150 ms, total <= 3 s.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::child::{self, free_port};
use crate::{Opts, Signed, inner, progress, str_field};

const OVERHEAD_TARGET_MS: f64 = 150.0;
const TOTAL_TARGET_MS: f64 = 3000.0;
const READY_TIMEOUT: Duration = Duration::from_secs(300);
const BOOT_TIMEOUT: Duration = Duration::from_secs(120);
const POLL: Duration = Duration::from_millis(2);

/// One deploy's timings, in ms.
struct Sample {
    overhead: f64,
    boot: f64,
    total: f64,
    job: f64,
}

pub struct KvmReport {
    samples: Vec<Sample>,
    accel: String,
}

/// `strato quickstart --kvm` and the agent it started; both killed when dropped.
struct Quickstart {
    proc: Child,
    agent_pid: Option<u32>,
    api: Signed,
    data: tempfile::TempDir,
}

impl Drop for Quickstart {
    fn drop(&mut self) {
        let _ = self.proc.kill();
        let _ = self.proc.wait();
        if let Some(pid) = self.agent_pid {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
    }
}

impl Quickstart {
    async fn start(bin: &Path, template: Option<&Path>) -> Result<Quickstart> {
        let data = tempfile::Builder::new()
            .prefix("strato-bench-kvm.")
            .tempdir()
            .context("cannot create a temporary directory")?;
        if let Some(t) = template {
            let dir = data.path().join("kvm");
            std::fs::create_dir_all(&dir).context("cannot create the kvm directory")?;
            std::fs::copy(t, dir.join("strato-small.qcow2"))
                .with_context(|| format!("cannot copy {}", t.display()))?;
        }
        let (api, agent) = (free_port()?, free_port()?);
        let mut proc = Command::new(bin)
            .args(["quickstart", "--kvm"])
            .args(["--listen", &api.to_string()])
            .args(["--agent-listen", &agent.to_string()])
            .arg("--data-dir")
            .arg(data.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("cannot start {} quickstart --kvm", bin.display()))?;
        let stdout = proc.stdout.take().context("no stdout")?;
        let lines = tokio::task::spawn_blocking(move || {
            let mut seen = Vec::new();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let done = line.starts_with("Press Ctrl-C");
                seen.push(line);
                if done {
                    break;
                }
            }
            seen
        });
        let mut qs = Quickstart {
            proc,
            agent_pid: None,
            api: Signed {
                http: child::http_client()?,
                url: format!("http://{api}/client/api"),
                api_key: String::new(),
                secret: String::new(),
            },
            data,
        };
        let lines = tokio::time::timeout(READY_TIMEOUT, lines)
            .await
            .context("quickstart --kvm was not ready in time")??;
        let value = |label: &str| {
            lines
                .iter()
                .find_map(|l| l.trim().strip_prefix(label).map(|v| v.trim().to_string()))
                .with_context(|| format!("quickstart --kvm failed (no {label:?} line)"))
        };
        qs.agent_pid = value("KVM agent: pid")?
            .split(',')
            .next()
            .and_then(|p| p.parse().ok());
        qs.api.api_key = value("API key:")?;
        qs.api.secret = value("Secret key:")?;
        Ok(qs)
    }

    fn agent_log(&self) -> PathBuf {
        self.data.path().join("kvm/agent.log")
    }

    fn console(&self, instance: &str) -> PathBuf {
        self.data
            .path()
            .join("kvm/agent/kvm/console")
            .join(format!("{instance}.log"))
    }

    async fn first_id(&self, command: &str, params: &[(&str, &str)], list: &str) -> Result<String> {
        let v = inner(&self.api.call(command, params).await?)?;
        str_field(&v[list][0], "id")
    }

    /// Runs an async command and waits for its job; returns the result.
    async fn job(&self, command: &str, params: &[(&str, &str)]) -> Result<Value> {
        let v = inner(&self.api.call(command, params).await?)?;
        let job = str_field(&v, "jobid")?;
        let deadline = Instant::now() + BOOT_TIMEOUT;
        loop {
            let r = inner(
                &self
                    .api
                    .call("queryAsyncJobResult", &[("jobid", &job)])
                    .await?,
            )?;
            match r["jobstatus"].as_i64() {
                Some(1) => return Ok(r["jobresult"].clone()),
                Some(0) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                _ => bail!("{command} failed: {r}"),
            }
        }
    }
}

pub async fn run(opts: &Opts, bin: &Path) -> Result<KvmReport> {
    progress("starting strato quickstart --kvm");
    let qs = Quickstart::start(bin, opts.template.as_deref()).await?;
    let zone = qs.first_id("listZones", &[], "zone").await?;
    let template = qs
        .first_id(
            "listTemplates",
            &[("templatefilter", "featured"), ("hypervisor", "KVM")],
            "template",
        )
        .await?;
    let offering = str_field(
        &inner(
            &qs.api
                .call(
                    "createServiceOffering",
                    &[
                        ("name", "bench-tiny"),
                        ("displaytext", "bench-tiny"),
                        ("cpunumber", "1"),
                        ("cpuspeed", "500"),
                        ("memory", "256"),
                    ],
                )
                .await?,
        )?["serviceoffering"],
        "id",
    )?;
    let mut samples = Vec::with_capacity(opts.guests);
    for i in 0..opts.guests {
        let name = format!("bench-{i}");
        let before = qemu_pid_files();
        let t0 = Instant::now();
        let answer = inner(
            &qs.api
                .call(
                    "deployVirtualMachine",
                    &[
                        ("zoneid", &zone),
                        ("templateid", &template),
                        ("serviceofferingid", &offering),
                        ("name", &name),
                    ],
                )
                .await?,
        )?;
        let job = str_field(&answer, "jobid")?;
        // Polled meanwhile: the job may end before or after the guest's marker.
        let api = qs.api.clone();
        let job_end = tokio::spawn(async move { job_done(&api, &job, t0).await });
        // The new domain is the one whose QEMU pid file appears.
        let mut instance = String::new();
        let t1 = wait_until(t0, || match qemu_pid_files().difference(&before).next() {
            Some(n) => {
                instance.clone_from(n);
                true
            }
            None => false,
        })
        .await?;
        let console = qs.console(&instance);
        let t2 = wait_until(t0, || contains(&console, "STRATO-GUEST-UP")).await?;
        let (job_ms, id) = job_end.await.context("job poller")??;
        let sample = Sample {
            overhead: ms(t1),
            boot: ms(t2 - t1),
            total: ms(t2),
            job: job_ms,
        };
        progress(&format!(
            "deploy {}/{}: overhead {:.0} ms, boot {:.0} ms, total {:.0} ms (job {:.0} ms)",
            i + 1,
            opts.guests,
            sample.overhead,
            sample.boot,
            sample.total,
            sample.job
        ));
        samples.push(sample);
        // One guest at a time: the host's CPU is sized for a handful of them.
        qs.job("destroyVirtualMachine", &[("id", &id), ("expunge", "true")])
            .await?;
    }
    // The agent warns when it falls back to emulation (the quickstart logs warnings only).
    let accel = match std::fs::read_to_string(qs.agent_log()) {
        Ok(log) if log.contains("FALLING BACK TO TCG") => "tcg",
        Ok(_) => "kvm",
        Err(_) => "unknown",
    }
    .to_string();
    Ok(KvmReport { samples, accel })
}

/// Polls `done` every 2 ms; the time from `t0` until it held.
async fn wait_until(t0: Instant, mut done: impl FnMut() -> bool) -> Result<Duration> {
    while !done() {
        if t0.elapsed() > BOOT_TIMEOUT {
            bail!("nothing happened within {BOOT_TIMEOUT:?}");
        }
        tokio::time::sleep(POLL).await;
    }
    Ok(t0.elapsed())
}

async fn job_done(api: &Signed, job: &str, t0: Instant) -> Result<(f64, String)> {
    loop {
        let r = inner(&api.call("queryAsyncJobResult", &[("jobid", job)]).await?)?;
        match r["jobstatus"].as_i64() {
            Some(1) => {
                let id = str_field(&r["jobresult"]["virtualmachine"], "id")?;
                return Ok((ms(t0.elapsed()), id));
            }
            Some(0) if t0.elapsed() < BOOT_TIMEOUT => {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            _ => bail!("deploy failed: {r}"),
        }
    }
}

/// Domains whose QEMU runs, by the pid files libvirt keeps.
fn qemu_pid_files() -> std::collections::HashSet<String> {
    std::fs::read_dir("/run/libvirt/qemu")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".pid"))
                .map(str::to_string)
        })
        .collect()
}

fn contains(path: &Path, needle: &str) -> bool {
    std::fs::read(path).is_ok_and(|b| String::from_utf8_lossy(&b).contains(needle))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// (median, min, max).
fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
    if v.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    (median, v[0], v[n - 1])
}

impl KvmReport {
    fn series(&self) -> Vec<(&'static str, (f64, f64, f64))> {
        let of = |f: fn(&Sample) -> f64| stats(self.samples.iter().map(f).collect::<Vec<_>>());
        vec![
            ("overhead: API -> QEMU launched", of(|s| s.overhead)),
            ("guest boot: QEMU -> STRATO-GUEST-UP", of(|s| s.boot)),
            ("total: API -> STRATO-GUEST-UP", of(|s| s.total)),
            ("deploy job finished", of(|s| s.job)),
        ]
    }

    pub fn to_json(&self) -> Value {
        let series: serde_json::Map<String, Value> = self
            .series()
            .into_iter()
            .map(|(k, (med, min, max))| {
                (
                    k.trim().to_string(),
                    json!({"median_ms": med, "min_ms": min, "max_ms": max}),
                )
            })
            .collect();
        json!({
            "scenario": "kvm",
            "deploys": self.samples.len(),
            "accel": self.accel,
            "series": series,
            "overhead_target_ms": OVERHEAD_TARGET_MS,
            "total_target_ms": TOTAL_TARGET_MS,
        })
    }

    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "deployVirtualMachine -> guest marker, {} deploys one at a time (accel {})",
            self.samples.len(),
            self.accel
        );
        let _ = writeln!(out, "{:<44} {:>9} {:>9} {:>9}", "", "median", "min", "max");
        for (label, (med, min, max)) in self.series() {
            let _ = writeln!(out, "{label:<44} {med:>6.0} ms {min:>6.0} ms {max:>6.0} ms");
        }
        let (overhead, ..) = self.series()[0].1;
        let (total, ..) = self.series()[2].1;
        let _ = writeln!(
            out,
            "targets: overhead <= {OVERHEAD_TARGET_MS:.0} ms ({}), total <= {TOTAL_TARGET_MS:.0} ms ({})",
            if overhead <= OVERHEAD_TARGET_MS {
                "met"
            } else {
                "missed"
            },
            if total <= TOTAL_TARGET_MS {
                "met"
            } else {
                "missed"
            },
        );
        out
    }
}
