//! The console proxy's VNC login against a real VNC server: QEMU's, with a password, and
//! no guest at all (`-machine none`), so it runs in a second.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use strato_server::console::rfb::{self, RfbError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Qemu(Child);

impl Drop for Qemu {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// QEMU's VNC server on a free port with `password`, or None (with a loud line) when
/// QEMU is not installed and the run does not require it (STRATO_REQUIRE_KVM=1 does).
async fn vnc_server(password: &str) -> Option<(Qemu, u16)> {
    let port = (5990..6090)
        .find(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok())
        .expect("a free VNC port");
    let child = Command::new("qemu-system-x86_64")
        .args(["-machine", "none", "-nodefaults", "-display", "none"])
        .arg("-object")
        .arg(format!("secret,id=vncpw,data={password}"))
        .arg("-vnc")
        .arg(format!("127.0.0.1:{},password-secret=vncpw", port - 5900))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let child = match child {
        Ok(c) => Qemu(c),
        Err(e) if std::env::var("STRATO_REQUIRE_KVM").as_deref() != Ok("1") => {
            eprintln!("SKIPPED: qemu-system-x86_64 cannot run here ({e})");
            return None;
        }
        Err(e) => panic!("qemu-system-x86_64: {e}"),
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(
            Instant::now() < deadline,
            "QEMU's VNC server did not come up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Some((child, port))
}

#[tokio::test]
async fn logs_in_with_the_password_and_is_refused_without_it() {
    let Some((_qemu, port)) = vnc_server("Zq8pX2aB").await else {
        return;
    };
    let mut s = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    rfb::login(&mut s, "Zq8pX2aB").await.expect("login");
    // Logged in: ClientInit (shared) is answered with ServerInit, whose name is QEMU's.
    s.write_all(&[1]).await.expect("client init");
    let mut head = [0u8; 24];
    s.read_exact(&mut head).await.expect("server init");
    let width = u16::from_be_bytes([head[0], head[1]]);
    assert!(width > 0, "framebuffer width {width}");
    let name_len = u32::from_be_bytes([head[20], head[21], head[22], head[23]]);
    let mut name = vec![0u8; name_len as usize];
    s.read_exact(&mut name).await.expect("name");
    assert_eq!(String::from_utf8_lossy(&name), "QEMU");

    let mut wrong = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    match rfb::login(&mut wrong, "not-it").await {
        Err(RfbError::Refused(_)) => {}
        other => panic!("a wrong password must be refused: {other:?}"),
    }
}
