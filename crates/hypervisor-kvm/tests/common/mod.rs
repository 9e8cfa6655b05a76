//! Shared by the integration tests: the skip-or-fail rule and small helpers.
#![allow(dead_code)]

#[cfg(feature = "kvm")]
pub mod second_host;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// With `STRATO_REQUIRE_KVM=1` a missing prerequisite fails the test; otherwise the test
/// is skipped, loudly.
pub fn require(what: &str, available: bool) -> bool {
    if available {
        return true;
    }
    if std::env::var("STRATO_REQUIRE_KVM").is_ok_and(|v| v == "1") {
        panic!("STRATO_REQUIRE_KVM=1 but {what} is not available (run scripts/setup-kvm-host.sh)");
    }
    eprintln!("SKIPPED: {what} is not available (set STRATO_REQUIRE_KVM=1 to make this a failure)");
    false
}

/// True if `tool --version` runs.
pub fn has_tool(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs a command, panicking with its stderr on failure; returns stdout.
pub fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd}: {e}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Writes `pattern` over the first 64 KiB of a qcow2 (qemu-io).
pub fn write_pattern(image: &Path, pattern: u8) {
    let p = image.to_str().unwrap_or_default();
    run(
        "qemu-io",
        &["-f", "qcow2", "-c", &format!("write -P {pattern} 0 64k"), p],
    );
}

/// Does the first 64 KiB of a qcow2 hold `pattern`?
pub fn has_pattern(image: &Path, pattern: u8) -> bool {
    let out = Command::new("qemu-io")
        .args([
            "-f",
            "qcow2",
            "-c",
            &format!("read -P {pattern} 0 64k"),
            image.to_str().unwrap_or_default(),
        ])
        .output()
        .unwrap_or_else(|e| panic!("cannot run qemu-io: {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    out.status.success() && !text.contains("Pattern verification failed")
}

/// The workspace's `scripts/` directory.
pub fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts")
}

pub fn libvirt_up() -> bool {
    has_tool("virsh")
        && std::process::Command::new("virsh")
            .args(["-q", "-c", "qemu:///system", "uri"])
            .output()
            .is_ok_and(|o| o.status.success())
}

/// The small template, built once per target directory (`STRATO_TEST_TEMPLATE` names a
/// ready one instead).
pub fn template() -> PathBuf {
    if let Ok(path) = std::env::var("STRATO_TEST_TEMPLATE") {
        return PathBuf::from(path);
    }
    built_template("build-small-template.sh", "strato-small-template.qcow2")
}

/// The realistic Debian template (systemd, ifupdown, dhclient), built once per target
/// directory.
pub fn debian_template() -> PathBuf {
    built_template("build-debian-template.sh", "strato-debian-template.qcow2")
}

/// `scripts/<script>`'s output, cached as `<file>` in the target directory (one build at
/// a time: the tests of a file run in parallel and would otherwise write the same file
/// together).
fn built_template(script: &str, file: &str) -> PathBuf {
    static BUILD: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = BUILD
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(file);
    let script = scripts_dir().join(script);
    let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    // Rebuilt when the script changed since (an old template lacks newer guest features).
    if !path.exists() || mtime(&script) > mtime(&path) {
        // Another test binary may build at the same time: build under a unique name and
        // rename into place.
        let tmp = path.with_extension(format!("{}.qcow2", std::process::id()));
        run(
            script.to_str().unwrap_or_default(),
            &[tmp.to_str().unwrap_or_default()],
        );
        std::fs::rename(&tmp, &path).expect("move the template into place");
    }
    path
}

pub fn prerequisites() -> bool {
    require(
        "libvirtd on qemu:///system with QEMU and qemu-img",
        libvirt_up() && has_tool("qemu-system-x86_64") && has_tool("qemu-img"),
    )
}

/// Undoes what a test made even when it fails: domains, network devices, namespaces.
pub struct Cleanup {
    pub domains: Vec<String>,
    pub links: Vec<String>,
    pub netns: Vec<String>,
    /// A driver's routers directory: the dnsmasq of each router there is stopped (a
    /// deleted namespace lives on while a process runs in it).
    pub routers: Option<PathBuf>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for d in &self.domains {
            let _ = std::process::Command::new("virsh")
                .args(["-q", "-c", "qemu:///system", "destroy", d])
                .output();
            let _ = std::process::Command::new("virsh")
                .args(["-q", "-c", "qemu:///system", "undefine", d])
                .output();
        }
        let routers = self
            .routers
            .as_deref()
            .and_then(|d| std::fs::read_dir(d).ok());
        for dir in routers.into_iter().flatten().filter_map(Result::ok) {
            let pid = std::fs::read_to_string(dir.path().join("dnsmasq.pid")).unwrap_or_default();
            let pid = pid.trim();
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            // Only the dnsmasq of this router (the pid may have been reused).
            if String::from_utf8_lossy(&cmdline).contains(&*dir.path().to_string_lossy()) {
                let _ = std::process::Command::new("kill").arg(pid).output();
            }
        }
        for n in &self.netns {
            let _ = std::process::Command::new("ip")
                .args(["netns", "del", n])
                .output();
        }
        for l in &self.links {
            let _ = std::process::Command::new("ip")
                .args(["link", "del", l])
                .output();
        }
    }
}

#[cfg(feature = "kvm")]
pub async fn call(
    driver: &strato_hypervisor_kvm::KvmDriver,
    guid: &str,
    command: strato_agent_proto::Command,
) -> strato_agent_proto::AnswerData {
    use strato_agent_proto::HypervisorDriver as _;
    let name = command.name();
    driver
        .handle(guid, command)
        .await
        .unwrap_or_else(|e| panic!("{name} failed: {e}"))
}

pub async fn wait_for(path: &Path, needle: &str, timeout: Duration) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < timeout {
        if std::fs::read(path).is_ok_and(|b| String::from_utf8_lossy(&b).contains(needle)) {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

/// What every guest test starts from: the template, a scratch directory and a random
/// 6-character suffix for names shared with the host (domains, devices, namespaces).
pub fn scratch() -> (PathBuf, tempfile::TempDir, String) {
    let work = tempfile::tempdir().expect("tempdir");
    let suffix = uuid::Uuid::new_v4().simple().to_string()[..6].to_owned();
    (template(), work, suffix)
}

/// A driver configuration for tests: everything under `work`, templates from `tpl`'s
/// directory and `work/iso`, VNC on loopback, a quick poller.
#[cfg(feature = "kvm")]
pub fn test_config(guid: &str, work: &Path, tpl: &Path) -> strato_hypervisor_kvm::KvmConfig {
    let mut c = strato_hypervisor_kvm::KvmConfig::new(guid);
    c.state_dir = work.join("state");
    c.local_storage_dir = work.to_path_buf();
    c.image_roots = vec![
        tpl.parent().expect("template dir").to_path_buf(),
        work.join("iso"),
    ];
    c.vnc_listen = "127.0.0.1".into();
    c.poll_interval = Duration::from_millis(300);
    c.stop_timeout = Duration::from_secs(30);
    c
}

/// The power state the driver reports for the VM `name` (GetVmState).
#[cfg(feature = "kvm")]
pub async fn vm_state(
    driver: &strato_hypervisor_kvm::KvmDriver,
    guid: &str,
    name: &str,
) -> strato_agent_proto::PowerState {
    let command = strato_agent_proto::Command::GetVmState {
        names: vec![name.to_owned()],
    };
    match call(driver, guid, command).await {
        strato_agent_proto::AnswerData::VmStates { vms } => {
            vms.into_iter()
                .find(|v| v.name == name)
                .unwrap_or_else(|| panic!("GetVmState answered nothing for {name}"))
                .state
        }
        other => panic!("GetVmState answered {other:?}"),
    }
}

/// Mounts the directory `dir` as the Filesystem pool `uuid`.
#[cfg(feature = "kvm")]
pub async fn mount_pool(
    driver: &strato_hypervisor_kvm::KvmDriver,
    guid: &str,
    uuid: &str,
    dir: &Path,
) {
    call(
        driver,
        guid,
        strato_agent_proto::Command::ModifyStoragePool(strato_agent_proto::PoolSpec {
            uuid: uuid.into(),
            kind: strato_agent_proto::PoolKind::Filesystem,
            host: None,
            path: dir.display().to_string(),
            capacity_bytes: None,
        }),
    )
    .await;
}

/// Creates `v` as a linked clone of the small template `tpl`.
#[cfg(feature = "kvm")]
pub async fn clone_template(
    driver: &strato_hypervisor_kvm::KvmDriver,
    guid: &str,
    v: &strato_agent_proto::VolumeRef,
    tpl: &Path,
    size_bytes: u64,
) {
    call(
        driver,
        guid,
        strato_agent_proto::Command::CreateVolume {
            pool_uuid: v.pool_uuid.clone(),
            volume_uuid: v.volume_uuid.clone(),
            size_bytes,
            template: Some(strato_agent_proto::TemplateRef {
                uuid: "small".into(),
                url: Some(tpl.display().to_string()),
                size_bytes: 32 << 20,
                format: Some("QCOW2".into()),
            }),
            provisioning: None,
        },
    )
    .await;
}

/// A one-vCPU, 128 MiB VM booting from `root` with one NIC.
pub fn small_vm(
    name: &str,
    root: &strato_agent_proto::VolumeRef,
    nic: strato_agent_proto::NicSpec,
) -> strato_agent_proto::VmSpec {
    use strato_agent_proto::{DiskKind, DiskSource, DiskSpec};
    strato_agent_proto::VmSpec {
        name: name.into(),
        uuid: uuid::Uuid::new_v4().to_string(),
        cpus: 1,
        cpu_speed_mhz: 1000,
        memory_bytes: 128 << 20,
        os_type: None,
        nics: vec![nic],
        volumes: vec![DiskSpec {
            device_id: 0,
            kind: DiskKind::Root,
            source: DiskSource::Volume(root.clone()),
        }],
        boot: vec![],
        vnc_password: None,
        details: Default::default(),
    }
}

/// A guest's serial console: commands typed on its socket run in the template's ttyS0
/// shell; their results are read back from the console log.
pub struct GuestShell {
    socket: tokio::net::unix::OwnedWriteHalf,
    log: PathBuf,
    next: u32,
}

impl GuestShell {
    pub async fn connect(socket: &Path, log: &Path) -> Self {
        let stream = tokio::net::UnixStream::connect(socket)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {}: {e}", socket.display()));
        let (mut read, write) = stream.into_split();
        // Drain what QEMU sends us (the log has it too) so the guest never blocks on us.
        tokio::spawn(async move {
            let mut sink = tokio::io::sink();
            let _ = tokio::io::copy(&mut read, &mut sink).await;
        });
        Self {
            socket: write,
            log: log.to_path_buf(),
            next: 0,
        }
    }

    /// Runs `cmd` in the guest; its exit status, or None if no answer within `timeout`.
    /// The shell echoes the typed line, so the marker is searched in its expanded form
    /// (`RC-<digits>-<tag>`), which the echo of `RC-$?-<tag>` never matches.
    pub async fn run(&mut self, cmd: impl AsRef<str>, timeout: Duration) -> Option<i32> {
        use tokio::io::AsyncWriteExt as _;
        self.next += 1;
        let tag = format!("{}x{}", std::process::id(), self.next);
        let line = format!("{} >/dev/null 2>&1; echo \"RC-$?-{tag}\"\n", cmd.as_ref());
        self.socket
            .write_all(line.as_bytes())
            .await
            .unwrap_or_else(|e| panic!("cannot type on the guest console: {e}"));
        let started = Instant::now();
        while started.elapsed() < timeout {
            let log = std::fs::read(&self.log).unwrap_or_default();
            let log = String::from_utf8_lossy(&log);
            let suffix = format!("-{tag}");
            for (i, _) in log.match_indices(&suffix) {
                let head = &log[..i];
                let digits: String = head
                    .chars()
                    .rev()
                    .take_while(char::is_ascii_digit)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                if !digits.is_empty() && head[..head.len() - digits.len()].ends_with("RC-") {
                    return digits.parse().ok();
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        None
    }
}
