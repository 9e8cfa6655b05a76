//! Results: statistics, the table and the JSON form.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{Value, json};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn median(sorted: &[Duration]) -> Duration {
    match sorted.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

/// Spawn-to-first-answer times of several starts.
pub struct StartTimes {
    pub runs_ms: Vec<f64>,
    pub min_ms: f64,
    pub median_ms: f64,
    pub max_ms: f64,
}

impl StartTimes {
    pub fn new(mut runs: Vec<Duration>) -> StartTimes {
        let runs_ms = runs.iter().map(|d| ms(*d)).collect();
        runs.sort();
        StartTimes {
            runs_ms,
            min_ms: runs.first().map(|d| ms(*d)).unwrap_or_default(),
            median_ms: ms(median(&runs)),
            max_ms: runs.last().map(|d| ms(*d)).unwrap_or_default(),
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "runs_ms": self.runs_ms,
            "min_ms": self.min_ms,
            "median_ms": self.median_ms,
            "max_ms": self.max_ms,
        })
    }
}

/// Latency of one series of sequential requests.
pub struct Latency {
    pub label: String,
    pub n: usize,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
    pub rps: f64,
    /// Server CPU time (all threads) per request.
    pub server_cpu_ms: f64,
    pub body_bytes: usize,
    pub items: Option<usize>,
    pub count: Option<u64>,
}

impl Latency {
    pub fn new(
        label: &str,
        mut samples: Vec<Duration>,
        total: Duration,
        server_cpu: Duration,
        body_bytes: usize,
        items: Option<usize>,
        count: Option<u64>,
    ) -> Latency {
        samples.sort();
        let n = samples.len();
        let sum: Duration = samples.iter().sum();
        Latency {
            label: label.to_string(),
            n,
            p50_ms: ms(percentile(&samples, 50.0)),
            p90_ms: ms(percentile(&samples, 90.0)),
            p99_ms: ms(percentile(&samples, 99.0)),
            max_ms: samples.last().map(|d| ms(*d)).unwrap_or_default(),
            mean_ms: if n == 0 { 0.0 } else { ms(sum) / n as f64 },
            rps: if total.is_zero() {
                0.0
            } else {
                n as f64 / total.as_secs_f64()
            },
            server_cpu_ms: if n == 0 {
                0.0
            } else {
                ms(server_cpu) / n as f64
            },
            body_bytes,
            items,
            count,
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "label": self.label,
            "requests": self.n,
            "p50_ms": self.p50_ms,
            "p90_ms": self.p90_ms,
            "p99_ms": self.p99_ms,
            "max_ms": self.max_ms,
            "mean_ms": self.mean_ms,
            "requests_per_sec": self.rps,
            "server_cpu_ms_per_request": self.server_cpu_ms,
            "response_bytes": self.body_bytes,
            "items": self.items,
            "count": self.count,
        })
    }
}

pub struct Report {
    pub backend: String,
    pub accounts: usize,
    pub requests: usize,
    pub concurrency: usize,
    pub cold: Option<StartTimes>,
    pub warm: Option<StartTimes>,
    pub idle_rss_fresh_mb: Option<f64>,
    pub idle_rss_warm_mb: Option<f64>,
    pub seeding_secs: Option<f64>,
    pub latency: Vec<Latency>,
    pub rss_after_load_mb: Option<f64>,
    pub peak_rss_mb: Option<f64>,
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map(|x| format!("{x:.digits$}"))
        .unwrap_or_else(|| "-".into())
}

impl Report {
    pub fn new(backend: String, accounts: usize, requests: usize, concurrency: usize) -> Report {
        Report {
            backend,
            accounts,
            requests,
            concurrency,
            cold: None,
            warm: None,
            idle_rss_fresh_mb: None,
            idle_rss_warm_mb: None,
            seeding_secs: None,
            latency: Vec::new(),
            rss_after_load_mb: None,
            peak_rss_mb: None,
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "backend": self.backend,
            "accounts": self.accounts,
            "requests": self.requests,
            "seed_concurrency": self.concurrency,
            "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
            "start_fresh_db": self.cold.as_ref().map(StartTimes::to_json),
            "start_existing_db": self.warm.as_ref().map(StartTimes::to_json),
            "idle_rss_mb_fresh_db": self.idle_rss_fresh_mb,
            "idle_rss_mb_existing_db": self.idle_rss_warm_mb,
            "seeding_secs": self.seeding_secs,
            "seeding_accounts_per_sec": self.seeding_secs
                .filter(|s| *s > 0.0)
                .map(|s| self.accounts as f64 / s),
            "latency": self.latency.iter().map(Latency::to_json).collect::<Vec<_>>(),
            "rss_mb_after_load": self.rss_after_load_mb,
            "peak_rss_mb": self.peak_rss_mb,
        })
    }

    pub fn table(&self) -> String {
        let mut t = String::new();
        let cpus = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0);
        let _ = writeln!(
            t,
            "strato-bench: backend {}, {} accounts, {} requests per series, {cpus} CPUs",
            self.backend, self.accounts, self.requests
        );
        let _ = writeln!(t);
        let _ = writeln!(
            t,
            "{:<44} {:>9} {:>9} {:>9}",
            "Start-up: spawn -> first API answer", "min ms", "median ms", "max ms"
        );
        for (label, s) in [
            ("first start, fresh database", &self.cold),
            ("restart, existing database", &self.warm),
        ] {
            if let Some(s) = s {
                let _ = writeln!(
                    t,
                    "  {:<42} {:>9.1} {:>9.1} {:>9.1}",
                    format!("{label} (n={})", s.runs_ms.len()),
                    s.min_ms,
                    s.median_ms,
                    s.max_ms
                );
            }
        }
        let _ = writeln!(t);
        let _ = writeln!(t, "Memory (VmRSS, MiB)");
        let _ = writeln!(
            t,
            "  {:<42} {:>9}",
            "idle after first start (fresh database)",
            opt(self.idle_rss_fresh_mb, 1)
        );
        let _ = writeln!(
            t,
            "  {:<42} {:>9}",
            "idle after restart (existing database)",
            opt(self.idle_rss_warm_mb, 1)
        );
        let _ = writeln!(
            t,
            "  {:<42} {:>9}",
            "after the latency runs",
            opt(self.rss_after_load_mb, 1)
        );
        let _ = writeln!(
            t,
            "  {:<42} {:>9}",
            "peak (VmHWM, includes seeding)",
            opt(self.peak_rss_mb, 1)
        );
        let _ = writeln!(t);
        let rate = self
            .seeding_secs
            .filter(|s| *s > 0.0)
            .map(|s| self.accounts as f64 / s);
        let _ = writeln!(
            t,
            "Seeding: {} x createAccount, {} in flight: {} s ({} accounts/s)",
            self.accounts,
            self.concurrency,
            opt(self.seeding_secs, 1),
            opt(rate, 1)
        );
        let _ = writeln!(t);
        let _ = writeln!(
            t,
            "{:<38} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8} {:>7} {:>6} {:>9}",
            "Signed GET, sequential, keep-alive",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "max ms",
            "mean ms",
            "req/s",
            "CPU ms",
            "items",
            "bytes"
        );
        for l in &self.latency {
            let _ = writeln!(
                t,
                "  {:<36} {:>7.2} {:>7.2} {:>7.2} {:>7.2} {:>7.2} {:>8.0} {:>7.2} {:>6} {:>9}",
                l.label,
                l.p50_ms,
                l.p90_ms,
                l.p99_ms,
                l.max_ms,
                l.mean_ms,
                l.rps,
                l.server_cpu_ms,
                l.items.map(|i| i.to_string()).unwrap_or_else(|| "-".into()),
                l.body_bytes
            );
        }
        let _ = writeln!(
            t,
            "  (CPU ms = server CPU time, all threads, per request; items/bytes of one answer)"
        );
        t
    }
}
