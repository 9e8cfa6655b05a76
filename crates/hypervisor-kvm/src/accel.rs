//! Hardware acceleration or software emulation: the decision the agent makes once at
//! start, and says out loud.
//!
//! A `/dev/kvm` that opens is not proof that KVM can run guests: on the project's build
//! machines it is PVM, which runs only kernels built for it, and a stock Debian kernel
//! dies in KVM's instruction emulator (shared/notes/real-virt.md §1). So `auto` uses KVM
//! only when a **trial boot** of a probe image under `accel=kvm` reaches userspace (the
//! image prints [`PROBE_MARKER`] on its serial port, as scripts/build-small-template.sh's
//! template does). Without a probe image, or when the cheap pre-checks already fail
//! (no `vmx`/`svm`, the PVM module loaded, `/dev/kvm` not usable), guests run under
//! QEMU's TCG (libvirt domain type `qemu`), with a warning in the log.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::host::CpuFacts;

/// What the probe image prints once its userspace runs.
pub const PROBE_MARKER: &str = "STRATO-GUEST-UP";

/// How long a trial boot may take. Under real KVM the probe reaches userspace in well
/// under a second; under PVM it never does.
pub const TRIAL_TIMEOUT: Duration = Duration::from_secs(20);

/// How guests are run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Accel {
    /// Hardware virtualisation (libvirt domain type `kvm`).
    Kvm,
    /// QEMU's software emulation (libvirt domain type `qemu`), about 12× slower.
    Tcg,
}

impl Accel {
    /// `kvm` / `tcg`, as QEMU's `-accel` and the host capability say it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Kvm => "kvm",
            Self::Tcg => "tcg",
        }
    }

    /// The libvirt `<domain type=...>`.
    pub fn domain_type(self) -> &'static str {
        match self {
            Self::Kvm => "kvm",
            Self::Tcg => "qemu",
        }
    }
}

/// What the operator asked for (`strato agent --kvm-accel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AccelChoice {
    /// Decide by pre-checks and a trial boot.
    #[default]
    Auto,
    /// Use KVM without proving it.
    Kvm,
    /// Always emulate.
    Tcg,
}

/// The decision and why it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccelDecision {
    pub accel: Accel,
    pub reason: String,
}

/// The cheap signals read before any trial boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KvmSignals {
    /// `/dev/kvm` opens read-write.
    pub dev_kvm_usable: bool,
    /// The CPU shows `vmx` or `svm`.
    pub virt_extensions: bool,
    /// `kvm_pvm` is loaded: KVM here runs only PVM guest kernels.
    pub pvm: bool,
}

impl KvmSignals {
    /// Reads the signals of this machine.
    pub fn read(cpu: &CpuFacts) -> Self {
        Self {
            dev_kvm_usable: std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open("/dev/kvm")
                .is_ok(),
            virt_extensions: cpu.has_virt_extensions(),
            pvm: Path::new("/sys/module/kvm_pvm").exists(),
        }
    }

    /// Why KVM certainly cannot run stock guests here, if it certainly cannot.
    pub fn precheck(self) -> Result<(), String> {
        if !self.dev_kvm_usable {
            return Err("/dev/kvm is missing or not usable".into());
        }
        if self.pvm && !self.virt_extensions {
            return Err(
                "/dev/kvm is PVM (kvm_pvm loaded, no vmx/svm): it runs only \
                        PVM-enabled guest kernels"
                    .into(),
            );
        }
        if !self.virt_extensions {
            return Err("the CPU shows neither vmx nor svm".into());
        }
        Ok(())
    }
}

/// Decides how to run guests. Never fails: the fallback is TCG, logged as a warning.
pub async fn decide(
    choice: AccelChoice,
    signals: KvmSignals,
    probe_image: Option<&Path>,
) -> AccelDecision {
    let decision = match choice {
        AccelChoice::Tcg => AccelDecision {
            accel: Accel::Tcg,
            reason: "TCG requested (--kvm-accel tcg)".into(),
        },
        AccelChoice::Kvm => AccelDecision {
            accel: Accel::Kvm,
            reason: "KVM requested (--kvm-accel kvm); not proven by a trial boot".into(),
        },
        AccelChoice::Auto => decide_auto(signals, probe_image).await,
    };
    match decision.accel {
        Accel::Kvm => tracing::info!("guests run with KVM: {}", decision.reason),
        Accel::Tcg if choice == AccelChoice::Tcg => {
            tracing::info!("guests run under TCG: {}", decision.reason);
        }
        Accel::Tcg => tracing::warn!(
            "FALLING BACK TO TCG: guests run under QEMU software emulation (about 12x \
             slower than KVM) because {}",
            decision.reason
        ),
    }
    decision
}

async fn decide_auto(signals: KvmSignals, probe_image: Option<&Path>) -> AccelDecision {
    if let Err(reason) = signals.precheck() {
        return AccelDecision {
            accel: Accel::Tcg,
            reason,
        };
    }
    let Some(image) = probe_image else {
        return AccelDecision {
            accel: Accel::Tcg,
            reason: "KVM looks available but no probe image was given to prove it with a \
                     trial boot (--kvm-probe-image, built by scripts/build-small-template.sh; \
                     or force it with --kvm-accel kvm)"
                .into(),
        };
    };
    match trial_boot(Path::new(QEMU_SYSTEM), image, Accel::Kvm, TRIAL_TIMEOUT).await {
        Ok(took) => AccelDecision {
            accel: Accel::Kvm,
            reason: format!(
                "a trial boot of {} under KVM reached userspace in {:.2} s",
                image.display(),
                took.as_secs_f64()
            ),
        },
        Err(e) => AccelDecision {
            accel: Accel::Tcg,
            reason: format!("a trial boot under KVM failed: {e}"),
        },
    }
}

/// The QEMU binary trial boots use.
pub const QEMU_SYSTEM: &str = "qemu-system-x86_64";

/// The arguments of a trial boot of `image` (a qcow2 that prints [`PROBE_MARKER`] on its
/// serial port) with its serial port written to `serial_log`. `-snapshot` keeps the image
/// untouched.
pub fn trial_args(image: &Path, serial_log: &Path, accel: Accel) -> Vec<String> {
    let cpu = match accel {
        Accel::Kvm => "host",
        Accel::Tcg => "max",
    };
    vec![
        "-M".into(),
        format!("pc,accel={}", accel.as_str()),
        "-cpu".into(),
        cpu.into(),
        "-m".into(),
        "128".into(),
        "-smp".into(),
        "1".into(),
        "-display".into(),
        "none".into(),
        "-no-reboot".into(),
        "-nodefaults".into(),
        "-nic".into(),
        "none".into(),
        "-snapshot".into(),
        "-serial".into(),
        format!("file:{}", serial_log.display()),
        "-drive".into(),
        format!(
            "file={},format=qcow2,if=virtio",
            image.display().to_string().replace(',', ",,")
        ),
    ]
}

/// Boots `image` with `accel` and waits for [`PROBE_MARKER`] on its serial port; the time
/// it took, or why it failed. The QEMU process is always killed before returning.
pub async fn trial_boot(
    qemu: &Path,
    image: &Path,
    accel: Accel,
    timeout: Duration,
) -> Result<Duration, String> {
    let dir = TempDir::new().map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    let log = dir.0.join("serial.log");
    let started = Instant::now();
    let mut child = tokio::process::Command::new(qemu)
        .args(trial_args(image, &log, accel))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", qemu.display()))?;
    let outcome = loop {
        if std::fs::read(&log).is_ok_and(|bytes| contains(&bytes, PROBE_MARKER.as_bytes())) {
            break Ok(started.elapsed());
        }
        if let Ok(Some(status)) = child.try_wait() {
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                use tokio::io::AsyncReadExt;
                let _ = pipe.read_to_string(&mut stderr).await;
            }
            break Err(format!(
                "QEMU exited ({status}) before the guest reached userspace: {}",
                stderr.trim()
            ));
        }
        if started.elapsed() > timeout {
            break Err(format!(
                "the guest did not reach userspace within {} s",
                timeout.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // After a KVM internal error QEMU stays alive and paused: always kill it.
    let _ = child.kill().await;
    outcome
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A uniquely named temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> std::io::Result<Self> {
        let dir = std::env::temp_dir().join(format!("strato-accel-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir(&dir)?;
        Ok(Self(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signals(dev: bool, ext: bool, pvm: bool) -> KvmSignals {
        KvmSignals {
            dev_kvm_usable: dev,
            virt_extensions: ext,
            pvm,
        }
    }

    #[test]
    fn prechecks_refuse_pvm_and_missing_extensions() {
        assert!(signals(true, true, false).precheck().is_ok());
        let pvm = signals(true, false, true).precheck().expect_err("PVM");
        assert!(pvm.contains("PVM"), "{pvm}");
        assert!(signals(false, true, false).precheck().is_err());
        assert!(signals(true, false, false).precheck().is_err());
    }

    #[tokio::test]
    async fn explicit_choices_win_and_auto_without_proof_is_tcg() {
        let good = signals(true, true, false);
        let tcg = decide(AccelChoice::Tcg, good, None).await;
        assert_eq!(tcg.accel, Accel::Tcg);
        let kvm = decide(AccelChoice::Kvm, signals(false, false, true), None).await;
        assert_eq!(kvm.accel, Accel::Kvm);
        let auto = decide(AccelChoice::Auto, good, None).await;
        assert_eq!(auto.accel, Accel::Tcg);
        assert!(auto.reason.contains("probe image"), "{}", auto.reason);
        let pvm = decide(AccelChoice::Auto, signals(true, false, true), None).await;
        assert_eq!(pvm.accel, Accel::Tcg);
        assert!(pvm.reason.contains("PVM"));
    }

    #[test]
    fn trial_arguments_never_write_the_image() {
        let args = trial_args(Path::new("/p/a,b.qcow2"), Path::new("/t/s.log"), Accel::Kvm);
        assert!(args.contains(&"-snapshot".to_owned()));
        assert!(args.contains(&"pc,accel=kvm".to_owned()));
        assert!(args.contains(&"file=/p/a,,b.qcow2,format=qcow2,if=virtio".to_owned()));
        assert!(args.contains(&"file:/t/s.log".to_owned()));
        assert_eq!(Accel::Tcg.domain_type(), "qemu");
    }
}
