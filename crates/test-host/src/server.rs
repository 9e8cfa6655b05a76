//! The test HTTP server: a small Python script run with `ip netns exec`.

use std::fs;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// The port the plain HTTP server listens on inside its namespace.
pub const HTTP_PORT: u16 = 8080;
/// The port of the HTTPS server ([`crate::NetnsHost::serve_tls`]).
pub const HTTPS_PORT: u16 = 8443;

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
    certificate_pem: Option<String>,
}

impl HttpServer {
    /// Plain HTTP on [`HTTP_PORT`], or with `tls` HTTPS on [`HTTPS_PORT`] with a new
    /// self-signed certificate for `ip`.
    pub(crate) fn start(
        ns: &str,
        ip: Ipv4Addr,
        dir: &Path,
        tls: bool,
    ) -> Result<HttpServer, String> {
        let work = tempfile::tempdir().map_err(|e| format!("cannot create a temp dir: {e}"))?;
        let script = work.path().join("server.py");
        write(&script, SCRIPT)?;
        let log = work.path().join("requests.log");
        let stderr = fs::File::create(work.path().join("stderr"))
            .map_err(|e| format!("cannot create the server's stderr file: {e}"))?;
        let port = if tls { HTTPS_PORT } else { HTTP_PORT };
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", ns, "python3"])
            .arg(&script)
            .arg("--dir")
            .arg(dir)
            .arg("--port")
            .arg(port.to_string())
            .arg("--log")
            .arg(&log);
        let mut certificate_pem = None;
        if tls {
            let certified = rcgen::generate_simple_self_signed(vec![ip.to_string()])
                .map_err(|e| format!("cannot make a test certificate: {e}"))?;
            let (cert, key) = (work.path().join("cert.pem"), work.path().join("key.pem"));
            write(&cert, &certified.cert.pem())?;
            write(&key, &certified.signing_key.serialize_pem())?;
            command
                .arg("--tls-cert")
                .arg(&cert)
                .arg("--tls-key")
                .arg(&key);
            certificate_pem = Some(certified.cert.pem());
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("cannot start the test HTTP server: {e}"))?;
        let mut server = HttpServer {
            child,
            work,
            certificate_pem,
        };
        server.wait_listening(SocketAddr::from((ip, port)))?;
        Ok(server)
    }

    /// The self-signed certificate (PEM) of an HTTPS server, for a client to trust.
    pub fn certificate_pem(&self) -> Option<&str> {
        self.certificate_pem.as_deref()
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

fn write(path: &Path, text: &str) -> Result<(), String> {
    fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
