//! Real CloudStack clients against Strato: `tests/compat/cs_client.py` drives the server
//! with the `cs` Python library and apache-libcloud's CloudStack driver (signatures,
//! signatureVersion 3 expiry, error envelopes, login, async jobs).
//!
//! Python comes from `$STRATO_PYTHON` (default `python3`); `scripts/test.sh` makes a venv
//! with the clients. Without them the test is skipped loudly, or fails when
//! `STRATO_REQUIRE_COMPAT=1` (as in CI).

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use tokio::process::Command;

use crate::common::TestCloud;

fn python() -> String {
    std::env::var("STRATO_PYTHON")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "python3".to_string())
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/compat/cs_client.py")
}

/// Whether `python` can import `module`.
async fn importable(python: &str, module: &str) -> bool {
    Command::new(python)
        .args(["-c", &format!("import {module}")])
        .output()
        .await
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// `None` when the Python clients are there; else the message to skip or fail with.
async fn missing_clients(python: &str) -> Option<String> {
    for (module, package) in [("cs", "cs"), ("libcloud", "apache-libcloud")] {
        if !importable(python, module).await {
            return Some(format!(
                "python package {package} not installed (run scripts/test.sh)"
            ));
        }
    }
    None
}

#[tokio::test]
async fn real_cloudstack_clients() {
    let python = python();
    if let Some(why) = missing_clients(&python).await {
        if std::env::var("STRATO_REQUIRE_COMPAT").as_deref() == Ok("1") {
            panic!("STRATO_REQUIRE_COMPAT=1 but {why} (STRATO_PYTHON: {python})");
        }
        // Straight to the stderr handle: libtest captures eprintln! of passing tests.
        let stars = "*".repeat(72);
        let _ = writeln!(
            std::io::stderr(),
            "\n{stars}\nSKIPPED: {why}\n(STRATO_PYTHON: {python})\n{stars}"
        );
        return;
    }

    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let script = script();
    let run = Command::new(&python)
        .arg(&script)
        .arg(cloud.url())
        .arg(&admin.api_key)
        .arg(&admin.secret)
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(300), run)
        .await
        .unwrap_or_else(|_| panic!("{} did not finish in 300 s", script.display()))
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    print!("{stdout}");
    assert!(
        out.status.success(),
        "{} failed ({}):\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
        script.display(),
        out.status
    );
    cloud.stop().await;
}
