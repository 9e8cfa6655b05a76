//! Child `strato` processes and the databases they run on.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

/// How long a server may take to answer its first request before the bench gives up.
const START_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a server may take to stop after SIGINT before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// A keep-alive HTTP client that never uses a proxy (loopback traffic only).
pub fn http_client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()
        .context("cannot build the HTTP client")
}

/// Where the servers keep their data.
pub enum Backend {
    /// SQLite in each server's data directory.
    Sqlite,
    /// Fresh databases on a PostgreSQL server, dropped at the end.
    Postgres {
        admin_url: String,
        store: strato_schema::Store,
        created: Vec<String>,
    },
}

impl Backend {
    pub async fn new(db: Option<&str>) -> Result<Backend> {
        let Some(url) = db else {
            return Ok(Backend::Sqlite);
        };
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            bail!("--db must be a postgres:// URL (SQLite is the default)");
        }
        let store = strato_schema::Store::open(url)
            .await
            .with_context(|| format!("cannot connect to {}", strato_schema::redact(url)))?;
        Ok(Backend::Postgres {
            admin_url: url.to_string(),
            store,
            created: Vec::new(),
        })
    }

    pub fn name(&self) -> String {
        match self {
            Backend::Sqlite => "sqlite".into(),
            Backend::Postgres { admin_url, .. } => {
                format!("postgres ({})", strato_schema::redact(admin_url))
            }
        }
    }

    /// A new empty database: `None` for SQLite (the server makes one in its data dir),
    /// else the URL of a freshly created PostgreSQL database.
    pub async fn fresh_db(&mut self) -> Result<Option<String>> {
        let Backend::Postgres {
            admin_url,
            store,
            created,
        } = self
        else {
            return Ok(None);
        };
        let strato_schema::Store::Postgres(pool) = &*store else {
            bail!("not a PostgreSQL store");
        };
        let name = format!("strato_bench_{}_{}", std::process::id(), created.len());
        strato_schema::execute_raw(pool, &format!("DROP DATABASE IF EXISTS {name}")).await?;
        strato_schema::execute_raw(pool, &format!("CREATE DATABASE {name}"))
            .await
            .with_context(|| format!("cannot create database {name}"))?;
        created.push(name.clone());
        let mut url = url::Url::parse(admin_url).context("bad --db URL")?;
        url.set_path(&format!("/{name}"));
        Ok(Some(url.to_string()))
    }

    /// Drops the databases this bench created (best effort).
    pub async fn cleanup(&mut self) {
        if let Backend::Postgres { store, created, .. } = self {
            if let strato_schema::Store::Postgres(pool) = &*store {
                for name in created.drain(..) {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    if let Err(e) = strato_schema::execute_raw(pool, &sql).await {
                        eprintln!("strato-bench: cannot drop database {name}: {e}");
                    }
                }
            }
            store.close().await;
        }
    }
}

pub fn db_args(cmd: &mut Command, data_dir: &Path, db: Option<&str>) {
    cmd.arg("--data-dir").arg(data_dir);
    if let Some(url) = db {
        cmd.arg("--db").arg(url);
    }
    // The environment must not pick another database or address for the child.
    cmd.env_remove("STRATO_DB")
        .env_remove("STRATO_DATA_DIR")
        .env_remove("STRATO_LISTEN");
}

/// Runs `strato setup-database` (migrations and first-start data) and waits for it.
pub async fn setup_database(bin: &Path, data_dir: &Path, db: Option<&str>) -> Result<()> {
    let mut cmd = tokio::process::Command::new(bin);
    cmd.arg("setup-database").kill_on_drop(true);
    db_args(cmd.as_std_mut(), data_dir, db);
    let out = tokio::time::timeout(START_TIMEOUT, cmd.output())
        .await
        .map_err(|_| anyhow!("strato setup-database timed out"))?
        .context("cannot run strato setup-database")?;
    if !out.status.success() {
        bail!(
            "strato setup-database failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// CPU time (user + system, all threads) a process has used so far, from
/// /proc/<pid>/stat in clock ticks of 10 ms (Linux's USER_HZ).
pub fn cpu_time(pid: u32) -> Result<Duration> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .ok_or_else(|| anyhow!("unexpected {path}: {stat}"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| -> Result<u64> {
        fields
            .get(i)
            .and_then(|f| f.parse().ok())
            .ok_or_else(|| anyhow!("unexpected {path}: {stat}"))
    };
    // utime and stime are fields 14 and 15 of the file, 12 and 13 after the name.
    Ok(Duration::from_millis((tick(11)? + tick(12)?) * 10))
}

/// A free loopback port (released again just before the server binds it).
pub fn free_port() -> Result<SocketAddr> {
    let l = TcpListener::bind("127.0.0.1:0").context("cannot find a free port")?;
    l.local_addr().context("cannot find a free port")
}

/// A running `strato server`; killed when dropped.
pub struct ServerProc {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

/// Resident memory of a process, from /proc/<pid>/status.
pub struct Memory {
    pub rss_mb: f64,
    pub hwm_mb: f64,
}

impl ServerProc {
    /// Spawns `strato server` and waits for its first HTTP answer; returns the time
    /// from spawn to that answer.
    pub async fn start(
        bin: &Path,
        data_dir: &Path,
        db: Option<&str>,
    ) -> Result<(ServerProc, Duration)> {
        let addr = free_port()?;
        let log = data_dir.join("server.log");
        let log_file = std::fs::File::create(&log)
            .with_context(|| format!("cannot create {}", log.display()))?;
        let mut cmd = Command::new(bin);
        cmd.arg("server").arg("--listen").arg(addr.to_string());
        db_args(&mut cmd, data_dir, db);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log_file));
        let started = Instant::now();
        let child = cmd
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let mut server = ServerProc { child, addr, log };
        let took = server.wait_ready(started).await?;
        Ok((server, took))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn api_url(&self) -> String {
        format!("http://{}/client/api", self.addr)
    }

    /// Polls `listCapabilities` every ~2 ms until any HTTP answer arrives.
    async fn wait_ready(&mut self, started: Instant) -> Result<Duration> {
        // A fresh connection per poll: nothing pooled from before the server was up.
        let poll = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(5))
            .build()
            .context("cannot build the HTTP client")?;
        let url = format!("{}?command=listCapabilities&response=json", self.api_url());
        loop {
            if poll.get(&url).send().await.is_ok() {
                return Ok(started.elapsed());
            }
            if let Some(status) = self.child.try_wait().context("cannot check the server")? {
                bail!("server exited with {status}:\n{}", self.log_tail());
            }
            if started.elapsed() > START_TIMEOUT {
                bail!(
                    "server did not answer within {START_TIMEOUT:?}:\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// The whole log so far (empty if it cannot be read).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn log_tail(&self) -> String {
        log_tail(&self.log)
    }

    /// An error carrying the end of the log if the server has exited.
    pub fn check(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait().context("cannot check the server")? {
            bail!("server exited with {status}:\n{}", self.log_tail());
        }
        Ok(())
    }

    pub fn memory(&self) -> Result<Memory> {
        memory(self.pid())
    }

    /// Stops the server like Ctrl-C does, killing it if it does not stop in time.
    pub async fn stop(mut self) -> Result<()> {
        if interrupt(self.pid()) {
            let deadline = Instant::now() + STOP_TIMEOUT;
            while Instant::now() < deadline {
                if self
                    .child
                    .try_wait()
                    .context("cannot check the server")?
                    .is_some()
                {
                    return Ok(());
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            eprintln!("strato-bench: server did not stop after SIGINT; killing it");
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

/// The last 20 lines of a log file (empty if it cannot be read).
pub fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Resident memory of process `pid`, from /proc/<pid>/status.
pub fn memory(pid: u32) -> Result<Memory> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    let kb = |key: &str| -> Result<f64> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<f64>().ok())
            .ok_or_else(|| anyhow!("no {key} in {path}"))
    };
    Ok(Memory {
        rss_mb: kb("VmRSS:")? / 1024.0,
        hwm_mb: kb("VmHWM:")? / 1024.0,
    })
}

/// Sends SIGINT to `pid` (like Ctrl-C); true if the signal was delivered.
pub fn interrupt(pid: u32) -> bool {
    Command::new("kill")
        .arg("-INT")
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        self.kill();
    }
}
