//! The test HTTP server: a small Python script run with `ip netns exec`.

use std::fs;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// The port the server listens on inside its namespace.
pub const HTTP_PORT: u16 = 8080;

const SCRIPT: &str = include_str!("server.py");
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// An HTTP server inside a [`crate::NetnsHost`], serving a directory:
///
/// - `/<file>`: the file, with Content-Length and Range support (206, 416);
/// - `/redirect?to=<url>`: a 302 to `<url>` (percent-encode it);
/// - `/slow/<file>?rate=<bytes/s>`: the file, throttled;
/// - `/die/<file>?after=<bytes>`: headers for the whole file, the bytes before
///   offset `after`, then the server process exits abruptly; a request that starts
///   at or past `after` (a resume) is served normally;
/// - `/norange/<file>`: the file, ignoring any Range header (always 200);
/// - `/status/<code>`: an empty answer with that status.
///
/// Dropping it kills the process.
#[derive(Debug)]
pub struct HttpServer {
    child: Child,
    work: TempDir,
}

impl HttpServer {
    pub(crate) fn start(ns: &str, ip: Ipv4Addr, dir: &Path) -> Result<HttpServer, String> {
        let work = tempfile::tempdir().map_err(|e| format!("cannot create a temp dir: {e}"))?;
        let script = work.path().join("server.py");
        fs::write(&script, SCRIPT)
            .map_err(|e| format!("cannot write {}: {e}", script.display()))?;
        let log = work.path().join("requests.log");
        let stderr = fs::File::create(work.path().join("stderr"))
            .map_err(|e| format!("cannot create the server's stderr file: {e}"))?;
        let child = Command::new("ip")
            .args(["netns", "exec", ns, "python3"])
            .arg(&script)
            .arg("--dir")
            .arg(dir)
            .arg("--port")
            .arg(HTTP_PORT.to_string())
            .arg("--log")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("cannot start the test HTTP server: {e}"))?;
        let mut server = HttpServer { child, work };
        server.wait_listening(SocketAddr::from((ip, HTTP_PORT)))?;
        Ok(server)
    }

    fn wait_listening(&mut self, addr: SocketAddr) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "the test HTTP server exited ({status}): {}",
                    self.stderr()
                ));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the test HTTP server did not listen on {addr}: {}",
                    self.stderr()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stderr(&self) -> String {
        fs::read_to_string(self.work.path().join("stderr")).unwrap_or_default()
    }

    /// One line per request received so far: `<path> range=<Range header or -> status=<code>`.
    pub fn requests(&self) -> Vec<String> {
        fs::read_to_string(self.work.path().join("requests.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Waits up to `timeout` for the server process to end (as `/die/` makes it);
    /// true if it did.
    pub fn wait_exit(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
