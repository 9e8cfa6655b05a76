//! Shared by the integration tests: the skip-or-fail rule and small helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

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
