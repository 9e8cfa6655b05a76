//! One `strato quickstart --kvm` per test, on a fresh data directory, plus what a test
//! needs to look at the host: guest serial logs, libvirt domain states, QEMU pids.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{Client, Quickstart};
use crate::host::{prerequisites, template};

/// How long a guest may take to print a marker (TCG on a loaded 2-core machine).
pub const BOOT: Duration = Duration::from_secs(120);
/// How long a job touching a real guest may take.
pub const JOB: Duration = Duration::from_secs(120);

/// Tests share libvirt (and instance names): one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub struct KvmCloud {
    pub admin: Client,
    pub zone: String,
    pub template: String,
    /// A 1-vCPU, 256 MiB offering (the busybox guest needs little).
    pub offering: String,
    /// The agent the quickstart started, until a test replaces it.
    pub agent_pid: u32,
    /// An agent a test started itself (killed with the cloud).
    pub restarted_agent: Option<Child>,
    /// The agent's token, for restarting it.
    pub token: String,
    dir: tempfile::TempDir,
    quickstart: Child,
    _serial: tokio::sync::MutexGuard<'static, ()>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

impl KvmCloud {
    /// Starts `strato quickstart --kvm`; None when the host cannot run guests (skipped).
    pub async fn start() -> Option<KvmCloud> {
        let serial = SERIAL.lock().await;
        if !prerequisites() {
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("strato-kvm-e2e.")
            .tempdir()
            .expect("temp dir");
        // quickstart builds the template when absent; hand it the one built once.
        let kvm_dir = dir.path().join("kvm");
        std::fs::create_dir_all(&kvm_dir).expect("kvm dir");
        std::fs::copy(template(), kvm_dir.join("strato-small.qcow2")).expect("copy template");
        let (port, agent_port) = (free_port(), free_port());
        let qs = Quickstart::spawn(
            &["--kvm"],
            port,
            agent_port,
            dir.path(),
            Duration::from_secs(300),
        )
        .await;
        let value = |label: &str| qs.value(label);
        let lines = &qs.lines;
        let agent_pid = value("KVM agent: pid")
            .split(',')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no agent pid in {lines:?}"));
        let admin = Client::new(
            &format!("http://127.0.0.1:{port}/client/api"),
            &value("API key:"),
            &value("Secret key:"),
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("Built zone Sandbox-kvm")),
            "{lines:?}"
        );
        let zone = admin.ok("listZones", &[]).await["zone"][0]["id"]
            .as_str()
            .expect("zone")
            .to_string();
        let template = admin
            .ok(
                "listTemplates",
                &[("templatefilter", "featured"), ("hypervisor", "KVM")],
            )
            .await["template"][0]["id"]
            .as_str()
            .expect("the quickstart template")
            .to_string();
        let offering = admin
            .ok(
                "createServiceOffering",
                &[
                    ("name", "kvm-tiny"),
                    ("displaytext", "kvm-tiny"),
                    ("cpunumber", "1"),
                    ("cpuspeed", "500"),
                    ("memory", "256"),
                ],
            )
            .await["serviceoffering"]["id"]
            .as_str()
            .expect("offering")
            .to_string();
        Some(KvmCloud {
            admin,
            zone,
            template,
            offering,
            agent_pid,
            restarted_agent: None,
            token: value("Agent token (strato agent --token):"),
            dir,
            quickstart: qs.child,
            _serial: serial,
        })
    }

    /// Deploys a VM from the template and waits for the job; returns the VM.
    pub async fn deploy(&self, name: &str) -> Value {
        let job = self.deploy_job(name, &[]).await;
        assert_eq!(job["jobstatus"], 1, "deploy {name}: {job}");
        job["jobresult"]["virtualmachine"].clone()
    }

    /// Runs deployVirtualMachine from the template with `extra` parameters; the job.
    pub async fn deploy_job(&self, name: &str, extra: &[(&str, &str)]) -> Value {
        let mut params = vec![
            ("zoneid", self.zone.as_str()),
            ("templateid", self.template.as_str()),
            ("serviceofferingid", self.offering.as_str()),
            ("name", name),
        ];
        params.extend_from_slice(extra);
        self.admin
            .wait_job_within("deployVirtualMachine", &params, JOB)
            .await
    }

    /// Runs an async command on a real guest; asserts it succeeded; returns the result.
    pub async fn job(&self, command: &str, params: &[(&str, &str)]) -> Value {
        let job = self.admin.wait_job_within(command, params, JOB).await;
        assert_eq!(job["jobstatus"], 1, "{command}: {job}");
        job["jobresult"].clone()
    }

    /// The serial log of a guest (`<agent data dir>/kvm/console/<instance>.log`).
    pub fn console(&self, instance: &str) -> PathBuf {
        self.dir
            .path()
            .join("kvm/agent/kvm/console")
            .join(format!("{instance}.log"))
    }

    pub fn console_text(&self, instance: &str) -> String {
        std::fs::read(self.console(instance))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// Waits until the guest's serial log holds `count` lines starting with `marker`;
    /// returns those lines.
    pub async fn wait_marker(&self, instance: &str, marker: &str, count: usize) -> Vec<String> {
        let deadline = Instant::now() + BOOT;
        loop {
            let text = self.console_text(instance);
            let found: Vec<String> = text
                .lines()
                .filter_map(|l| l.find(marker).map(|at| l[at..].trim().to_string()))
                .collect();
            if found.len() >= count {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "{instance}: {count} x {marker} not seen within {BOOT:?}; serial log:\n{text}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The primary storage pool's directory.
    pub fn pool_dir(&self) -> PathBuf {
        self.dir.path().join("kvm/primary")
    }

    pub fn agent_log(&self) -> PathBuf {
        self.dir.path().join("kvm/agent.log")
    }
}

impl Drop for KvmCloud {
    fn drop(&mut self) {
        let _ = self.quickstart.kill();
        let _ = self.quickstart.wait();
        kill(self.agent_pid);
        if let Some(agent) = &mut self.restarted_agent {
            let _ = agent.kill();
            let _ = agent.wait();
        }
        // The guests of this cloud: domains whose definition points into its directory.
        let dir = self.dir.path().to_string_lossy().into_owned();
        // Its guest networks' routers (a network namespace with dnsmasq each), which the
        // killed agent could not take down: `<dir>/kvm/agent/kvm/routers/<bridge>`.
        let routers = self.dir.path().join("kvm/agent/kvm/routers");
        let dirs = std::fs::read_dir(routers).into_iter().flatten().flatten();
        for bridge in dirs.filter(|e| e.path().is_dir()) {
            let ns = format!("strato-r-{}", bridge.file_name().to_string_lossy());
            if let Ok(out) = Command::new("ip").args(["netns", "pids", &ns]).output() {
                let text = String::from_utf8_lossy(&out.stdout);
                for pid in text.split_whitespace().filter_map(|p| p.parse().ok()) {
                    kill(pid);
                }
            }
            let _ = Command::new("ip").args(["netns", "del", &ns]).status();
            // And its bridge with the VXLAN device: left behind, each holds one of the
            // host's 20 multicast group memberships and later networks fail to come up.
            let bridge = bridge.file_name().to_string_lossy().into_owned();
            let uplink = bridge
                .strip_prefix("brvx-")
                .map(|vni| format!("vxlan{vni}"));
            for dev in uplink.iter().chain([&bridge]) {
                let _ = Command::new("ip")
                    .args(["link", "del", dev])
                    .stderr(Stdio::null())
                    .status();
            }
        }
        for name in virsh(&["list", "--all", "--name"]).lines() {
            let name = name.trim();
            if !name.is_empty() && virsh(&["dumpxml", name]).contains(&dir) {
                virsh(&["destroy", name]);
                virsh(&["undefine", name]);
            }
        }
    }
}

/// SIGKILL to a process this test started.
pub fn kill(pid: u32) {
    let _ = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

/// `virsh -q -c qemu:///system ARGS`: stdout, or "" when it failed.
pub fn virsh(args: &[&str]) -> String {
    Command::new("virsh")
        .args(["-q", "-c", "qemu:///system"])
        .args(args)
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// libvirt's state of a domain (`running`, `shut off`), or "" when it does not exist.
pub fn domstate(name: &str) -> String {
    virsh(&["domstate", name])
}

/// The pid of the QEMU process running a domain.
pub fn qemu_pid(name: &str) -> Option<u32> {
    std::fs::read_to_string(format!("/run/libvirt/qemu/{name}.pid"))
        .ok()
        .and_then(|p| p.trim().parse().ok())
}
