//! A network namespace joined to this one by a veth pair on a private /30.

use std::fs;
use std::io::Write;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::server::{HTTP_PORT, HTTPS_PORT, HttpServer};

/// Namespaces are named `strato-th-<pid>-<n>`; the pid tells a leftover of a dead
/// test process apart from a live one.
const NS_PREFIX: &str = "strato-th-";
/// Hosts get /30s out of 10.251.0.0/16 (16384 of them).
const SUBNET_BASE: u32 = u32::from_be_bytes([10, 251, 0, 0]);
const SUBNETS: u32 = 1 << 14;

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A "remote host": a network namespace whose address (10.251.x.y) the test process
/// reaches through a veth pair. Dropping it kills every process inside and deletes
/// the namespace and the veth pair.
#[derive(Debug)]
pub struct NetnsHost {
    ns: String,
    host_veth: String,
    host_ip: Ipv4Addr,
    ip: Ipv4Addr,
    lock: PathBuf,
}

impl NetnsHost {
    /// Creates the namespace. `tag` only makes failures easier to read. Errors (not
    /// root, no `ip`) are returned, never hidden.
    pub fn start(tag: &str) -> Result<NetnsHost, String> {
        remove_stale_namespaces();
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let ns = format!("{NS_PREFIX}{}-{n}", std::process::id());
        let (index, lock) = claim_subnet(n).map_err(|e| format!("test host '{tag}': {e}"))?;
        let base = SUBNET_BASE + index * 4;
        let host = NetnsHost {
            ns,
            host_veth: format!("sthv{index}"),
            host_ip: Ipv4Addr::from(base + 1),
            ip: Ipv4Addr::from(base + 2),
            lock,
        };
        // `host` exists before the first command so that Drop undoes a half setup.
        host.setup(index)
            .map_err(|e| format!("test host '{tag}': {e}"))?;
        Ok(host)
    }

    fn setup(&self, index: u32) -> Result<(), String> {
        let peer = format!("sthp{index}");
        let ns = self.ns.as_str();
        let host_cidr = format!("{}/30", self.host_ip);
        let ns_cidr = format!("{}/30", self.ip);
        ip(&["netns", "add", ns])?;
        ip(&[
            "link",
            "add",
            &self.host_veth,
            "type",
            "veth",
            "peer",
            "name",
            &peer,
            "netns",
            ns,
        ])?;
        ip(&["addr", "add", &host_cidr, "dev", &self.host_veth])?;
        ip(&["link", "set", &self.host_veth, "up"])?;
        ip(&["-n", ns, "addr", "add", &ns_cidr, "dev", &peer])?;
        ip(&["-n", ns, "link", "set", &peer, "up"])?;
        ip(&["-n", ns, "link", "set", "lo", "up"])?;
        Ok(())
    }

    /// The namespace's address, which the test process can connect to.
    pub fn ip(&self) -> Ipv4Addr {
        self.ip
    }

    /// This side's address on the veth pair: private, reachable, nothing listens
    /// there unless the test makes it.
    pub fn host_side_ip(&self) -> Ipv4Addr {
        self.host_ip
    }

    pub fn name(&self) -> &str {
        &self.ns
    }

    /// `http://<ip>:8080/<path>` (`path` without its leading slash is fine too).
    pub fn url(&self, path: &str) -> String {
        format!(
            "http://{}:{HTTP_PORT}/{}",
            self.ip,
            path.trim_start_matches('/')
        )
    }

    /// `https://<ip>:8443/<path>`, for [`NetnsHost::serve_tls`].
    pub fn https_url(&self, path: &str) -> String {
        format!(
            "https://{}:{HTTPS_PORT}/{}",
            self.ip,
            path.trim_start_matches('/')
        )
    }

    /// Starts the test HTTP server inside the namespace, serving the files of `dir`
    /// (see [`HttpServer`] for the special paths). Returns once it accepts connections.
    pub fn serve(&self, dir: &Path) -> Result<HttpServer, String> {
        HttpServer::start(&self.ns, self.ip, dir, false)
    }

    /// The same server over HTTPS on port 8443, with a fresh self-signed certificate
    /// for [`NetnsHost::ip`] ([`HttpServer::certificate_pem`]).
    pub fn serve_tls(&self, dir: &Path) -> Result<HttpServer, String> {
        HttpServer::start(&self.ns, self.ip, dir, true)
    }
}

impl Drop for NetnsHost {
    fn drop(&mut self) {
        kill_namespace_processes(&self.ns);
        // Deleting the namespace destroys the peer and with it the pair; the explicit
        // link delete covers a setup that failed before the peer moved in.
        let _ = ip(&["link", "del", &self.host_veth]);
        let _ = ip(&["netns", "del", &self.ns]);
        let _ = fs::remove_file(&self.lock);
    }
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run ip: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn ip_output(args: &[&str]) -> String {
    Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

fn kill_namespace_processes(ns: &str) {
    for pid in ip_output(&["netns", "pids", ns]).split_whitespace() {
        let _ = Command::new("kill").args(["-9", pid]).status();
    }
}

fn pid_alive(pid: &str) -> bool {
    Path::new("/proc").join(pid).exists()
}

/// Deletes namespaces left by test processes that died without dropping their host.
fn remove_stale_namespaces() {
    for line in ip_output(&["netns", "list"]).lines() {
        let Some(name) = line.split_whitespace().next() else {
            continue;
        };
        let Some(pid) = name
            .strip_prefix(NS_PREFIX)
            .and_then(|rest| rest.split('-').next())
        else {
            continue;
        };
        if !pid_alive(pid) {
            kill_namespace_processes(name);
            let _ = ip(&["netns", "del", name]);
        }
    }
}

fn lock_dir() -> PathBuf {
    std::env::temp_dir().join("strato-test-host")
}

/// Picks a /30 no other live test host holds (a lock file per subnet, naming its
/// owner's pid) and that no interface on this machine already uses.
fn claim_subnet(n: u32) -> Result<(u32, PathBuf), String> {
    let dir = lock_dir();
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let in_use = ip_output(&["-o", "-4", "addr", "show"]);
    let pid = std::process::id();
    let start = (pid.wrapping_mul(97) + n.wrapping_mul(13)) % SUBNETS;
    for k in 0..SUBNETS {
        let index = (start + k) % SUBNETS;
        let host_ip = Ipv4Addr::from(SUBNET_BASE + index * 4 + 1);
        if in_use.contains(&format!("inet {host_ip}/")) {
            continue;
        }
        let lock = dir.join(format!("{index}.lock"));
        if try_lock(&lock, pid)? {
            return Ok((index, lock));
        }
    }
    Err("no free test subnet in 10.251.0.0/16".to_string())
}

fn try_lock(lock: &Path, pid: u32) -> Result<bool, String> {
    for _ in 0..2 {
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(lock)
        {
            Ok(mut f) => {
                write!(f, "{pid}").map_err(|e| format!("cannot write {}: {e}", lock.display()))?;
                return Ok(true);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let owner = fs::read_to_string(lock).unwrap_or_default();
                if owner.is_empty() || pid_alive(owner.trim()) {
                    return Ok(false);
                }
                // Its owner died: take it over.
                let _ = fs::remove_file(lock);
            }
            Err(e) => return Err(format!("cannot create {}: {e}", lock.display())),
        }
    }
    Ok(false)
}
