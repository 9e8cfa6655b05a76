//! dnsmasq in a router's namespace: DHCP with static leases only (a MAC the server did
//! not give an address gets nothing) and DNS for the guests (their names, and forwarding
//! upstream). Its files live in the router's directory:
//!
//! ```text
//! dnsmasq.conf   the configuration (written by the agent, read at start)
//! hosts          dhcp-hostsfile: `<mac>,<ip>[,<name>]` per line, re-read on SIGHUP
//! leases         dnsmasq's lease database
//! dnsmasq.pid    the daemon's pid: a restarted agent finds it there
//! dnsmasq.log    its log (every DHCP exchange: log-dhcp)
//! ```
//!
//! dnsmasq daemonizes, so it outlives the agent; it keeps root inside the namespace so it
//! can re-read the hosts file in the agent's (private) data directory on SIGHUP.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustix::process::{Pid, Signal, kill_process};
use strato_agent_proto::AgentError;

use super::spec::{GUEST_IF, Lease, RouterSpec, host_name};
use crate::network::run;
use crate::storage::failed;

/// The files of one router's dnsmasq.
pub struct Files {
    pub conf: PathBuf,
    pub hosts: PathBuf,
    pub leases: PathBuf,
    pub pid: PathBuf,
    pub log: PathBuf,
}

impl Files {
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            conf: dir.join("dnsmasq.conf"),
            hosts: dir.join("hosts"),
            leases: dir.join("leases"),
            pid: dir.join("dnsmasq.pid"),
            log: dir.join("dnsmasq.log"),
        }
    }
}

/// A path written into the configuration: one line, no control characters.
fn conf_path(p: &Path) -> Result<&str, AgentError> {
    p.to_str()
        .filter(|s| !s.chars().any(char::is_control))
        .ok_or_else(|| failed(format!("{} cannot be named in a dnsmasq file", p.display())))
}

/// The IPv4 name servers of a resolv.conf that a router's namespace can reach: not
/// loopback ones (a host-local stub resolver is not there inside the namespace).
pub fn nameservers(resolv_conf: &str) -> Vec<Ipv4Addr> {
    resolv_conf
        .lines()
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .filter_map(|a| a.trim().parse::<Ipv4Addr>().ok())
        .filter(|a| !a.is_loopback() && !a.is_unspecified())
        .collect()
}

/// Where a router forwards the guests' other DNS queries: the network's servers, else
/// the host's (from /etc/resolv.conf).
pub fn upstream(spec: &RouterSpec) -> Vec<Ipv4Addr> {
    if !spec.dns.is_empty() {
        return spec.dns.clone();
    }
    nameservers(&std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default())
}

/// The configuration of a router's dnsmasq; `upstream`: see [`upstream`].
pub fn config(
    spec: &RouterSpec,
    files: &Files,
    upstream: &[Ipv4Addr],
) -> Result<String, AgentError> {
    let mut c = format!(
        "# Written by the strato agent: DHCP (static leases only) and DNS for the guests\n\
         # on bridge {bridge} ({cidr}). Do not edit: rewritten when the network changes.\n\
         interface={GUEST_IF}\n\
         bind-interfaces\n\
         user=root\n\
         no-hosts\n\
         pid-file={pid}\n\
         dhcp-leasefile={leases}\n\
         dhcp-hostsfile={hosts}\n\
         log-facility={log}\n\
         log-dhcp\n\
         dhcp-range={net},static,{mask},12h\n\
         dhcp-option=option:router,{gw}\n\
         dhcp-option=option:dns-server,{gw}\n",
        bridge = spec.bridge,
        cidr = spec.cidr(),
        pid = conf_path(&files.pid)?,
        leases = conf_path(&files.leases)?,
        hosts = conf_path(&files.hosts)?,
        log = conf_path(&files.log)?,
        net = spec.network(),
        mask = spec.netmask(),
        gw = spec.gateway,
    );
    if let Some(domain) = &spec.domain {
        let _ = writeln!(c, "domain={domain}\nlocal=/{domain}/");
    }
    // Reached through the router's public side. None: the guests' own names only.
    c.push_str("no-resolv\n");
    for s in upstream {
        let _ = writeln!(c, "server={s}");
    }
    Ok(c)
}

/// The dhcp-hostsfile for these leases.
pub fn hosts(leases: &[Lease]) -> String {
    let mut h = String::new();
    for l in leases {
        let _ = match host_name(&l.vm) {
            Some(name) => writeln!(h, "{},{},{name}", l.mac, l.ip),
            None => writeln!(h, "{},{}", l.mac, l.ip),
        };
    }
    h
}

/// The pid of the dnsmasq running with `conf`, if one runs.
pub fn running(files: &Files) -> Option<i32> {
    let pid: i32 = std::fs::read_to_string(&files.pid)
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let want = format!("--conf-file={}", files.conf.display());
    let mut args = cmdline.split(|b| *b == 0).map(String::from_utf8_lossy);
    let is_dnsmasq = args.next().is_some_and(|a| a.ends_with("dnsmasq"));
    (is_dnsmasq && args.any(|a| a == want)).then_some(pid)
}

fn signal(pid: i32, sig: Signal) -> Result<(), AgentError> {
    let p = Pid::from_raw(pid).ok_or_else(|| failed(format!("bad pid {pid}")))?;
    kill_process(p, sig).map_err(|e| failed(format!("cannot signal dnsmasq {pid}: {e}")))
}

/// Starts dnsmasq in `netns` (it daemonizes once its sockets are bound).
pub async fn start(netns: &str, files: &Files) -> Result<i32, AgentError> {
    let mut conf = OsString::from("--conf-file=");
    conf.push(&files.conf);
    let args: Vec<OsString> = vec![
        "netns".into(),
        "exec".into(),
        netns.into(),
        "dnsmasq".into(),
        conf,
    ];
    run("ip", &args).await?;
    for _ in 0..50 {
        if let Some(pid) = running(files) {
            return Ok(pid);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err(failed(format!(
        "dnsmasq in {netns} did not write {}",
        files.pid.display()
    )))
}

/// Asks a running dnsmasq to re-read its hosts file.
pub fn reload(pid: i32) -> Result<(), AgentError> {
    signal(pid, Signal::HUP)
}

/// Stops the dnsmasq of `files`, if it runs, and waits for it to go (up to 3 s).
pub async fn stop(files: &Files) -> Result<(), AgentError> {
    let Some(pid) = running(files) else {
        return Ok(());
    };
    signal(pid, Signal::TERM)?;
    for _ in 0..150 {
        if running(files).is_none() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err(failed(format!("dnsmasq {pid} did not stop")))
}

/// Drops the lease database's lines for MACs that lost their address, so dnsmasq (not
/// running while this happens) can hand those addresses to their new owners.
pub fn forget_leases(files: &Files, macs: &[String]) -> Result<(), AgentError> {
    let Ok(db) = std::fs::read_to_string(&files.leases) else {
        return Ok(());
    };
    // `<expiry> <mac> <ip> <name> <client id>`
    let kept: String = db
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .nth(1)
                .is_none_or(|mac| !macs.iter().any(|m| m.eq_ignore_ascii_case(mac)))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    crate::storage::write_atomic(&files.leases, kept.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_serves_only_static_leases_on_the_guest_side() -> Result<(), AgentError> {
        let spec = RouterSpec {
            bridge: "brvx-7".into(),
            gateway: Ipv4Addr::new(10, 1, 1, 1),
            prefix: 24,
            dns: vec![Ipv4Addr::new(192, 0, 2, 53)],
            domain: Some("cs2cloud.internal".into()),
        };
        let files = Files::in_dir(Path::new("/var/lib/strato/kvm/routers/brvx-7"));
        let c = config(&spec, &files, &upstream(&spec))?;
        for line in [
            "interface=guest0",
            "bind-interfaces",
            "dhcp-range=10.1.1.0,static,255.255.255.0,12h",
            "dhcp-option=option:router,10.1.1.1",
            "dhcp-option=option:dns-server,10.1.1.1",
            "dhcp-hostsfile=/var/lib/strato/kvm/routers/brvx-7/hosts",
            "domain=cs2cloud.internal",
            "no-resolv",
            "server=192.0.2.53",
        ] {
            assert!(c.lines().any(|l| l == line), "{line} missing from\n{c}");
        }
        let bad = Files::in_dir(Path::new("/tmp/a\nserver=6.6.6.6"));
        assert!(config(&spec, &bad, &[]).is_err());
        Ok(())
    }

    #[test]
    fn host_name_servers_skip_loopback_stubs() {
        let conf = "# comment\nnameserver 127.0.0.53\nnameserver 10.255.255.53\n\
                    nameserver ::1\nsearch example\nnameserver 192.0.2.1 \n";
        assert_eq!(
            nameservers(conf),
            [Ipv4Addr::new(10, 255, 255, 53), Ipv4Addr::new(192, 0, 2, 1)]
        );
    }

    #[test]
    fn hosts_lines_name_dns_safe_vms_only() {
        let leases = [
            Lease {
                vm: "i-2-10-VM".into(),
                mac: "52:54:00:00:00:01".into(),
                ip: Ipv4Addr::new(10, 1, 1, 10),
            },
            Lease {
                vm: "odd_name".into(),
                mac: "52:54:00:00:00:02".into(),
                ip: Ipv4Addr::new(10, 1, 1, 11),
            },
        ];
        assert_eq!(
            hosts(&leases),
            "52:54:00:00:00:01,10.1.1.10,i-2-10-VM\n52:54:00:00:00:02,10.1.1.11\n"
        );
    }

    #[test]
    fn forgotten_leases_leave_the_others() -> Result<(), AgentError> {
        let dir = tempfile::tempdir().map_err(|e| failed(e.to_string()))?;
        let files = Files::in_dir(dir.path());
        std::fs::write(
            &files.leases,
            "1 52:54:00:00:00:01 10.1.1.10 a *\n1 52:54:00:00:00:02 10.1.1.11 b *\n",
        )
        .map_err(|e| failed(e.to_string()))?;
        forget_leases(&files, &["52:54:00:00:00:01".into()])?;
        let left = std::fs::read_to_string(&files.leases).map_err(|e| failed(e.to_string()))?;
        assert_eq!(left, "1 52:54:00:00:00:02 10.1.1.11 b *\n");
        Ok(())
    }
}
