//! The two RFB (VNC protocol 3.8) handshakes of the console proxy: logging in to the
//! host's VNC server with the VM's password (VNC authentication: DES of a challenge),
//! and offering the browser a session without authentication, since the signed console
//! token already proved who it is. After both, the two streams are relayed as they are.

use des::Des;
use des::cipher::{Block, BlockCipherEncrypt, KeyInit};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The only version the proxy speaks, to either side.
pub const VERSION: &[u8; 12] = b"RFB 003.008\n";
const SECURITY_NONE: u8 = 1;
const SECURITY_VNC: u8 = 2;
/// Reasons longer than this are cut (a hostile server could announce gigabytes).
const MAX_REASON: u32 = 4096;

/// What went wrong in a handshake, for logs and the browser.
#[derive(Debug, thiserror::Error)]
pub enum RfbError {
    #[error("the VNC server closed or failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("not a VNC server (it greeted with {0:?})")]
    NotVnc(String),
    #[error("the VNC server refused: {0}")]
    Refused(String),
    #[error("the VNC server offers no authentication the proxy speaks ({0:?})")]
    NoCommonSecurity(Vec<u8>),
}

/// Logs in to a VNC server; on success the stream is where the client sends
/// ClientInit.
pub async fn login<S>(s: &mut S, password: &str) -> Result<(), RfbError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut greeting = [0u8; 12];
    s.read_exact(&mut greeting).await?;
    if !greeting.starts_with(b"RFB 003.") || greeting[11] != b'\n' {
        return Err(RfbError::NotVnc(
            String::from_utf8_lossy(&greeting).into_owned(),
        ));
    }
    s.write_all(VERSION).await?;
    let count = s.read_u8().await?;
    if count == 0 {
        return Err(RfbError::Refused(reason(s).await?));
    }
    let mut types = vec![0u8; usize::from(count)];
    s.read_exact(&mut types).await?;
    if types.contains(&SECURITY_VNC) {
        s.write_u8(SECURITY_VNC).await?;
        let mut challenge = [0u8; 16];
        s.read_exact(&mut challenge).await?;
        s.write_all(&vnc_response(password, challenge)).await?;
    } else if types.contains(&SECURITY_NONE) {
        s.write_u8(SECURITY_NONE).await?;
    } else {
        return Err(RfbError::NoCommonSecurity(types));
    }
    if s.read_u32().await? != 0 {
        return Err(RfbError::Refused(reason(s).await?));
    }
    Ok(())
}

async fn reason<S: AsyncRead + Unpin>(s: &mut S) -> Result<String, RfbError> {
    let len = s.read_u32().await?.min(MAX_REASON);
    let mut text = vec![0u8; len as usize];
    s.read_exact(&mut text).await?;
    Ok(String::from_utf8_lossy(&text).into_owned())
}

/// VNC authentication: the challenge encrypted with DES, keyed by the password (at most
/// 8 bytes, zero-padded) with the bits of every key byte mirrored, as VNC defines it.
pub fn vnc_response(password: &str, challenge: [u8; 16]) -> [u8; 16] {
    let mut key = [0u8; 8];
    for (k, p) in key.iter_mut().zip(password.bytes()) {
        *k = p.reverse_bits();
    }
    let cipher = Des::new(&key.into());
    let mut out = challenge;
    for chunk in out.chunks_exact_mut(8) {
        let mut block = Block::<Des>::default();
        block.copy_from_slice(chunk);
        cipher.encrypt_block(&mut block);
        chunk.copy_from_slice(&block);
    }
    out
}

/// The messages the proxy sends the browser, in order, and the sizes of the browser's
/// answers it waits for: version (12 bytes back), "one security type: None" (1 byte
/// back: the browser's choice), then "security OK".
pub const TO_BROWSER_SECURITY: &[u8] = &[1, SECURITY_NONE];
pub const TO_BROWSER_OK: &[u8] = &[0, 0, 0, 0];

/// Checks the browser's answers: a 3.x version, then the None security type.
pub fn browser_version_ok(v: &[u8]) -> bool {
    v.len() == 12 && v.starts_with(b"RFB 003.") && v[11] == b'\n'
}

pub fn browser_choice_ok(choice: u8) -> bool {
    choice == SECURITY_NONE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vnc_response_matches_a_known_answer() {
        // DES with an all-zero key (empty password) of a zero block is this well-known
        // value; mirrored key bits do not matter for zero bytes.
        let r = vnc_response("", [0u8; 16]);
        assert_eq!(r[..8], [0x8c, 0xa6, 0x4d, 0xe9, 0xc1, 0xb1, 0x23, 0xa7]);
        assert_eq!(r[..8], r[8..]);
        // Passwords longer than 8 bytes are cut, as VNC does.
        assert_eq!(
            vnc_response("abcdefgh", [7u8; 16]),
            vnc_response("abcdefghXYZ", [7u8; 16])
        );
    }

    #[tokio::test]
    async fn a_server_without_vnc_is_refused() {
        let (mut a, mut b) = tokio::io::duplex(64);
        tokio::spawn(async move {
            let _ = b.write_all(b"HTTP/1.1 200\n").await;
        });
        assert!(matches!(login(&mut a, "x").await, Err(RfbError::NotVnc(_))));
    }

    #[tokio::test]
    async fn a_refused_login_reports_the_reason() {
        let (mut a, mut b) = tokio::io::duplex(256);
        tokio::spawn(async move {
            let _ = b.write_all(VERSION).await;
            let mut v = [0u8; 12];
            let _ = b.read_exact(&mut v).await;
            let _ = b.write_all(&[1, SECURITY_VNC]).await;
            let _ = b.read_u8().await;
            let _ = b.write_all(&[9u8; 16]).await;
            let mut resp = [0u8; 16];
            let _ = b.read_exact(&mut resp).await;
            let _ = b.write_u32(1).await;
            let _ = b.write_u32(14).await;
            let _ = b.write_all(b"Authentication").await;
        });
        match login(&mut a, "secret").await {
            Err(RfbError::Refused(r)) => assert_eq!(r, "Authentication"),
            other => panic!("{other:?}"),
        }
    }
}
