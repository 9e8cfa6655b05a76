//! A second KVM host on this machine, for migration tests.
//!
//! Its libvirtd runs in namespaces of its own: network (linked to the host by a veth
//! pair with private addresses; libvirtd listens on TCP on its end only, without
//! authentication, so nothing leaves the machine), UTS (its own host name: libvirt
//! refuses to migrate to a host with the same name) and mount (tmpfs or private
//! directories over /run/libvirt, /run/netns, /etc/libvirt/qemu, /var/lib/libvirt,
//! /var/cache/libvirt and /var/log/libvirt, and over the test's driver state directory,
//! so both hosts use the same paths and keep their own files, as real hosts do). Its
//! agent, a `KvmDriver`, runs in the same namespaces: a child process (this test binary
//! again, running the test named by `agent_test`) answering `Command`s sent as JSON lines
//! on its stdin, and telling its events on the way. Everything is torn down at drop.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use strato_agent_proto::{Answer, Command, HostEvent};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// Set in the child's environment: `<guid>\n<work dir>\n<template>`.
const CHILD_ENV: &str = "STRATO_SECOND_HOST_AGENT";
const ANSWER: &str = "STRATO-ANSWER ";
const EVENT: &str = "STRATO-EVENT ";
const READY: &str = "STRATO-READY";

pub struct SecondHost {
    pub guid: String,
    /// Its address on the veth link (libvirtd listens there).
    pub ip: String,
    /// The first host's address on the link.
    pub peer_ip: String,
    /// The link's device name, the same on both sides (a VXLAN underlay for tests).
    pub link: String,
    netns: String,
    /// Its private directories (host view).
    root: PathBuf,
    /// The driver state directory both hosts use (`<work>/state`).
    state_dir: PathBuf,
    daemon: Option<std::process::Child>,
    agent: Option<Agent>,
    /// The events its agent sent so far (read along with answers).
    events: std::sync::Mutex<Vec<HostEvent>>,
}

struct Agent {
    child: tokio::process::Child,
    io: tokio::sync::Mutex<(
        tokio::process::ChildStdin,
        BufReader<tokio::process::ChildStdout>,
    )>,
}

fn sh(cmd: &str, args: &[&str]) -> Result<String, String> {
    let out = std::process::Command::new(cmd)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {cmd}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Mounts the private directories and execs libvirtd (`$1` host name, `$2` root, `$3`
/// the shared state directory path).
const START: &str = r#"set -e
hostname "$1"
mount -t tmpfs strato-b /run/libvirt
mkdir -p /run/netns && mount -t tmpfs strato-b /run/netns
mount --bind "$2/etc-qemu" /etc/libvirt/qemu
mount --bind "$2/lib" /var/lib/libvirt
mount --bind "$2/cache" /var/cache/libvirt
mount --bind "$2/log" /var/log/libvirt
mount --bind "$2/state" "$3"
exec /usr/sbin/libvirtd --listen --config "$2/libvirtd.conf" --pid-file "$2/libvirtd.pid"
"#;

impl SecondHost {
    /// The tools this needs besides libvirt and `ip`.
    pub fn tools() -> bool {
        ["nsenter", "unshare", "mount"]
            .iter()
            .all(|t| super::has_tool(t))
    }

    /// Starts the second host for a test whose work directory is `work` (the driver
    /// state directory is `<work>/state` on both hosts) and guest template `tpl`.
    /// `agent_test` names the test function that calls [`serve_if_child`].
    pub async fn start(
        sfx: &str,
        work: &Path,
        tpl: &Path,
        agent_test: &str,
    ) -> Result<Self, String> {
        let n = u8::from_str_radix(&sfx[..2], 16).map_err(|e| e.to_string())?;
        let mut host = Self {
            guid: format!("host-b-{sfx}"),
            ip: format!("10.231.{n}.2"),
            peer_ip: format!("10.231.{n}.1"),
            link: format!("stm{sfx}"),
            netns: format!("stm-{sfx}"),
            root: work.join("second-host"),
            state_dir: work.join("state"),
            daemon: None,
            agent: None,
            events: std::sync::Mutex::new(Vec::new()),
        };
        host.plumb()?;
        host.start_daemon().await?;
        host.start_agent(work, tpl, agent_test).await?;
        Ok(host)
    }

    fn plumb(&self) -> Result<(), String> {
        let (ns, link) = (self.netns.as_str(), self.link.as_str());
        let tmp = format!("{link}x");
        sh("ip", &["netns", "add", ns])?;
        sh(
            "ip",
            &[
                "link", "add", link, "type", "veth", "peer", "name", &tmp, "netns", ns,
            ],
        )?;
        sh("ip", &["-n", ns, "link", "set", &tmp, "name", link])?;
        sh(
            "ip",
            &["addr", "add", &format!("{}/24", self.peer_ip), "dev", link],
        )?;
        sh(
            "ip",
            &[
                "-n",
                ns,
                "addr",
                "add",
                &format!("{}/24", self.ip),
                "dev",
                link,
            ],
        )?;
        for args in [
            vec!["link", "set", link, "up"],
            vec!["-n", ns, "link", "set", link, "up"],
            vec!["-n", ns, "link", "set", "lo", "up"],
        ] {
            sh("ip", &args)?;
        }
        Ok(())
    }

    async fn start_daemon(&mut self) -> Result<(), String> {
        let root = &self.root;
        for d in ["etc-qemu", "lib/qemu", "cache", "log", "state"] {
            std::fs::create_dir_all(root.join(d)).map_err(|e| e.to_string())?;
        }
        std::fs::create_dir_all(&self.state_dir).map_err(|e| e.to_string())?;
        std::fs::create_dir_all("/etc/libvirt/qemu").map_err(|e| e.to_string())?;
        // The host's QEMU capability cache saves the 8 s probe (libvirt re-probes if stale).
        if Path::new("/var/cache/libvirt/qemu").is_dir() {
            let _ = sh(
                "cp",
                &[
                    "-a",
                    "/var/cache/libvirt/qemu",
                    &root.join("cache").display().to_string(),
                ],
            );
        }
        let conf = format!(
            "listen_tls = 0\nlisten_tcp = 1\nlisten_addr = \"{}\"\nauth_tcp = \"none\"\n\
             host_uuid = \"{}\"\nlog_outputs = \"3:file:{}\"\n",
            self.ip,
            uuid::Uuid::new_v4(),
            root.join("log/libvirtd.log").display()
        );
        std::fs::write(root.join("libvirtd.conf"), conf).map_err(|e| e.to_string())?;
        let daemon = std::process::Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.netns,
                "unshare",
                "--uts",
                "--",
                "sh",
                "-c",
            ])
            .arg(START)
            .arg("start")
            .arg(format!("strato-{}", self.netns))
            .arg(root)
            .arg(&self.state_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(root.join("daemon.err")).map_err(|e| e.to_string())?)
            .spawn()
            .map_err(|e| format!("cannot start libvirtd: {e}"))?;
        self.daemon = Some(daemon);
        let addr: std::net::SocketAddr = format!("{}:16509", self.ip)
            .parse()
            .map_err(|e| format!("{e}"))?;
        let started = Instant::now();
        while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if started.elapsed() > Duration::from_secs(20) {
                return Err(format!(
                    "the second libvirtd does not listen on {addr}: {} {}",
                    std::fs::read_to_string(root.join("daemon.err")).unwrap_or_default(),
                    std::fs::read_to_string(root.join("log/libvirtd.log")).unwrap_or_default()
                ));
            }
            if let Some(Ok(Some(status))) = self.daemon.as_mut().map(|d| d.try_wait()) {
                return Err(format!(
                    "the second libvirtd exited ({status}): {}",
                    std::fs::read_to_string(root.join("daemon.err")).unwrap_or_default()
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    }

    async fn start_agent(&mut self, work: &Path, tpl: &Path, test: &str) -> Result<(), String> {
        let pid = self
            .daemon
            .as_ref()
            .map(std::process::Child::id)
            .ok_or("no daemon")?
            .to_string();
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut child = tokio::process::Command::new("nsenter")
            .args(["--target", &pid, "--net", "--mount", "--uts", "--"])
            .arg(exe)
            .args([
                "--exact",
                test,
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(
                CHILD_ENV,
                format!("{}\n{}\n{}", self.guid, work.display(), tpl.display()),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(self.root.join("agent.err")).map_err(|e| e.to_string())?)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start the second host's agent: {e}"))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let mut stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let ready = tokio::time::timeout(Duration::from_secs(60), async {
            let mut line = String::new();
            loop {
                line.clear();
                if stdout.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return Err("the second host's agent exited before it was ready".to_owned());
                }
                // libtest prints "test <name> ... " before it, on the same line.
                if let Some((_, rest)) = line.trim().split_once(READY) {
                    return rest
                        .strip_prefix(" ERROR ")
                        .map_or(Ok(()), |e| Err(e.to_owned()));
                }
            }
        })
        .await
        .map_err(|_| {
            format!(
                "the second host's agent was not ready within 60 s: {}",
                std::fs::read_to_string(self.root.join("agent.err")).unwrap_or_default()
            )
        })?;
        self.agent = Some(Agent {
            child,
            io: tokio::sync::Mutex::new((stdin, stdout)),
        });
        ready
    }

    /// Sends a command to the second host's agent.
    pub async fn handle(&self, command: Command) -> Answer {
        let agent = self.agent.as_ref().expect("agent running");
        let mut io = agent.io.lock().await;
        let mut line = serde_json::to_string(&command).expect("command as JSON");
        line.push('\n');
        io.0.write_all(line.as_bytes())
            .await
            .expect("write to the agent");
        let mut reply = String::new();
        loop {
            reply.clear();
            let n =
                io.1.read_line(&mut reply)
                    .await
                    .expect("read from the agent");
            assert!(n > 0, "the second host's agent exited");
            if let Some((_, json)) = reply.trim().split_once(EVENT) {
                let event = serde_json::from_str(json).expect("event as JSON");
                self.events.lock().expect("events").push(event);
            } else if let Some((_, json)) = reply.trim().split_once(ANSWER) {
                return serde_json::from_str(json).expect("answer as JSON");
            }
        }
    }

    /// The events the agent sent before its last answer.
    pub fn events(&self) -> Vec<HostEvent> {
        self.events.lock().expect("events").clone()
    }

    /// libvirt on the second host, as its TCP listener is reached from the first.
    pub fn uri(&self) -> String {
        format!("qemu+tcp://{}/system", self.ip)
    }

    /// `virsh` against the second host's libvirtd.
    pub fn virsh(&self, args: &[&str]) -> Result<String, String> {
        let uri = self.uri();
        let mut all = vec!["-q", "-c", uri.as_str()];
        all.extend_from_slice(args);
        sh("virsh", &all)
    }

    /// A file of the second host's driver state directory, as this process sees it.
    pub fn state_path(&self, relative: &str) -> PathBuf {
        self.root.join("state").join(relative)
    }
}

impl Drop for SecondHost {
    fn drop(&mut self) {
        // The agent first (closing its stdin ends it), then the guests, then libvirtd.
        if let Some(mut agent) = self.agent.take() {
            drop(agent.io);
            let _ = agent.child.start_kill();
        }
        if let Ok(names) = self.virsh(&["list", "--all", "--name"]) {
            for name in names.lines().map(str::trim).filter(|n| !n.is_empty()) {
                let _ = self.virsh(&["destroy", name]);
                let _ = self.virsh(&["undefine", name]);
            }
        }
        // Routers the agent left (dnsmasq outlives namespaces): only ours, by command line.
        let routers = self.root.join("state/routers");
        for dir in std::fs::read_dir(&routers).into_iter().flatten().flatten() {
            let pid = std::fs::read_to_string(dir.path().join("dnsmasq.pid")).unwrap_or_default();
            let cmdline =
                std::fs::read(format!("/proc/{}/cmdline", pid.trim())).unwrap_or_default();
            let conf = self
                .state_dir
                .join("routers")
                .join(dir.file_name())
                .join("dnsmasq.conf");
            if String::from_utf8_lossy(&cmdline).contains(&*conf.to_string_lossy()) {
                let _ = std::process::Command::new("kill").arg(pid.trim()).output();
            }
        }
        if let Some(mut daemon) = self.daemon.take() {
            let _ = std::process::Command::new("kill")
                .arg(daemon.id().to_string())
                .output();
            let started = Instant::now();
            while !matches!(daemon.try_wait(), Ok(Some(_))) {
                if started.elapsed() > Duration::from_secs(10) {
                    let _ = daemon.kill();
                    let _ = daemon.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let _ = sh("ip", &["netns", "del", &self.netns]);
        let _ = sh("ip", &["link", "del", &self.link]);
    }
}

/// In the child started by [`SecondHost::start`]: runs the second host's agent until its
/// stdin closes. Elsewhere: returns at once.
pub fn serve_if_child() {
    use std::io::BufRead as _;
    use strato_agent_proto::HypervisorDriver as _;
    let Ok(env) = std::env::var(CHILD_ENV) else {
        return;
    };
    let parts: Vec<&str> = env.lines().collect();
    let [guid, work, tpl] = parts[..] else {
        println!("{READY} ERROR bad {CHILD_ENV}");
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let config = super::test_config(guid, Path::new(work), Path::new(tpl));
    let driver = match rt.block_on(strato_hypervisor_kvm::KvmDriver::new(config)) {
        Ok(d) => d,
        Err(e) => {
            println!("{READY} ERROR {e}");
            return;
        }
    };
    let mut events = driver.subscribe();
    rt.spawn(async move {
        while let Ok(e) = events.recv().await {
            println!(
                "{EVENT}{}",
                serde_json::to_string(&e.event).expect("event as JSON")
            );
        }
    });
    println!("{READY}");
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let answer: Answer = match serde_json::from_str::<Command>(&line) {
            Ok(command) => rt.block_on(driver.handle(guid, command)),
            Err(e) => Err(strato_agent_proto::AgentError::invalid_argument(format!(
                "bad command: {e}"
            ))),
        };
        println!(
            "{ANSWER}{}",
            serde_json::to_string(&answer).expect("answer as JSON")
        );
    }
}
