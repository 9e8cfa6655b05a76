//! Length-prefixed JSON framing: a 4-byte big-endian body length, then the JSON body.
//!
//! The length is checked against [`MAX_FRAME_LEN`] before anything is read or allocated
//! for the body, and the body buffer grows only as bytes actually arrive, so a peer
//! announcing a huge frame costs nothing until it sends the data. Nothing here panics on
//! malformed input: every failure is a [`FrameError`].

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Largest accepted frame body, in bytes (16 MiB).
pub const MAX_FRAME_LEN: usize = 16 * 1024 * 1024;

/// Size of the length prefix.
pub const HEADER_LEN: usize = 4;

/// A scratch buffer that grew past this is released after use, so one large answer does
/// not pin megabytes for the life of a connection.
const KEEP_BUFFER: usize = 1024 * 1024;

/// Why a frame could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The announced or encoded body is larger than [`MAX_FRAME_LEN`].
    #[error("frame of {len} bytes exceeds the limit of {MAX_FRAME_LEN} bytes")]
    TooLarge { len: usize },
    /// A zero-length frame (never valid: every message is a JSON object).
    #[error("empty frame")]
    Empty,
    /// The peer closed the stream in the middle of a frame.
    #[error("connection closed in the middle of a frame")]
    Truncated,
    /// The body is not a valid message.
    #[error("malformed message: {0}")]
    Decode(#[source] serde_json::Error),
    /// The message could not be serialised (a bug on the sending side).
    #[error("cannot encode message: {0}")]
    Encode(#[source] serde_json::Error),
    /// The underlying stream failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

/// Encodes `msg` as one frame (header + body).
pub fn encode<T: Serialize>(msg: &T) -> Result<Vec<u8>, FrameError> {
    let mut buf = vec![0u8; HEADER_LEN];
    serde_json::to_writer(&mut buf, msg).map_err(FrameError::Encode)?;
    let len = buf.len() - HEADER_LEN;
    let header = u32::try_from(len)
        .ok()
        .filter(|_| len <= MAX_FRAME_LEN)
        .ok_or(FrameError::TooLarge { len })?;
    buf[..HEADER_LEN].copy_from_slice(&header.to_be_bytes());
    Ok(buf)
}

/// Decodes the first frame of `bytes`.
///
/// Returns `Ok(None)` when `bytes` does not yet hold a whole frame, otherwise the message
/// and the number of bytes it used. A header announcing an oversized or empty frame is an
/// error as soon as the four header bytes are present.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<Option<(T, usize)>, FrameError> {
    let Some(header) = bytes.first_chunk::<HEADER_LEN>() else {
        return Ok(None);
    };
    let len = body_len(*header)?;
    let Some(body) = bytes.get(HEADER_LEN..HEADER_LEN + len) else {
        return Ok(None);
    };
    let msg = serde_json::from_slice(body).map_err(FrameError::Decode)?;
    Ok(Some((msg, HEADER_LEN + len)))
}

/// Validates a header and returns the body length it announces.
fn body_len(header: [u8; HEADER_LEN]) -> Result<usize, FrameError> {
    // u32 always fits in usize on the 32/64-bit targets we build for; a failure maps to
    // "too large" rather than a panic.
    let len = usize::try_from(u32::from_be_bytes(header))
        .map_err(|_| FrameError::TooLarge { len: usize::MAX })?;
    if len == 0 {
        return Err(FrameError::Empty);
    }
    if len > MAX_FRAME_LEN {
        return Err(FrameError::TooLarge { len });
    }
    Ok(len)
}

/// Reads one frame and decodes it.
///
/// Returns `Ok(None)` on a clean end of stream (EOF exactly at a frame boundary).
/// `scratch` is reused between calls to avoid an allocation per frame.
///
/// Not cancel-safe: dropping the future mid-frame loses the bytes already read, so run
/// it in a task of its own rather than in a `select!` that may drop it and read again.
pub async fn read_frame<R, T>(
    reader: &mut R,
    scratch: &mut Vec<u8>,
) -> Result<Option<T>, FrameError>
where
    R: AsyncRead + Unpin + ?Sized,
    T: DeserializeOwned,
{
    let mut header = [0u8; HEADER_LEN];
    let mut filled = 0;
    while filled < HEADER_LEN {
        let n = reader.read(&mut header[filled..]).await?;
        if n == 0 {
            return if filled == 0 {
                Ok(None)
            } else {
                Err(FrameError::Truncated)
            };
        }
        filled += n;
    }
    let len = body_len(header)?;
    scratch.clear();
    // `take` + `read_to_end` grows the buffer as data arrives instead of trusting `len`.
    let got = reader.take(len as u64).read_to_end(scratch).await?;
    if got < len {
        return Err(FrameError::Truncated);
    }
    let decoded = serde_json::from_slice(scratch).map_err(FrameError::Decode);
    if scratch.capacity() > KEEP_BUFFER {
        *scratch = Vec::new();
    }
    decoded.map(Some)
}

/// Encodes `msg` and writes it as one frame, then flushes.
pub async fn write_frame<W, T>(writer: &mut W, msg: &T) -> Result<(), FrameError>
where
    W: AsyncWrite + Unpin + ?Sized,
    T: Serialize,
{
    let buf = encode(msg)?;
    writer.write_all(&buf).await?;
    writer.flush().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{AgentMessage, ServerMessage};
    use proptest::prelude::*;

    fn ping(seq: u64) -> AgentMessage {
        AgentMessage::Ping { seq }
    }

    #[tokio::test]
    async fn round_trip_over_a_stream() -> Result<(), FrameError> {
        let (mut a, mut b) = tokio::io::duplex(64);
        let sender = tokio::spawn(async move {
            for seq in 0..100 {
                write_frame(&mut a, &ping(seq)).await?;
            }
            Ok::<_, FrameError>(())
        });
        let mut scratch = Vec::new();
        for seq in 0..100 {
            let got: Option<AgentMessage> = read_frame(&mut b, &mut scratch).await?;
            assert_eq!(got, Some(ping(seq)));
        }
        sender.await.map_err(std::io::Error::other)??;
        let end: Option<AgentMessage> = read_frame(&mut b, &mut scratch).await?;
        assert_eq!(end, None, "clean EOF at a frame boundary");
        Ok(())
    }

    #[test]
    fn decode_waits_for_a_whole_frame() -> Result<(), FrameError> {
        let bytes = encode(&ping(7))?;
        for cut in 0..bytes.len() {
            assert!(
                decode::<AgentMessage>(&bytes[..cut])?.is_none(),
                "cut at {cut}"
            );
        }
        let (msg, used) = decode::<AgentMessage>(&bytes)?.ok_or(FrameError::Truncated)?;
        assert_eq!((msg, used), (ping(7), bytes.len()));
        Ok(())
    }

    #[tokio::test]
    async fn oversize_header_is_rejected_before_reading_the_body() {
        let len = u32::try_from(MAX_FRAME_LEN + 1).unwrap_or(u32::MAX);
        let bytes = len.to_be_bytes();
        let mut reader: &[u8] = &bytes;
        let mut scratch = Vec::new();
        let got = read_frame::<_, AgentMessage>(&mut reader, &mut scratch).await;
        assert!(matches!(got, Err(FrameError::TooLarge { .. })), "{got:?}");
        assert_eq!(scratch.capacity(), 0, "nothing allocated for the body");
        let got = decode::<AgentMessage>(&u32::MAX.to_be_bytes());
        assert!(matches!(got, Err(FrameError::TooLarge { .. })), "{got:?}");
    }

    #[test]
    fn oversize_message_is_not_encoded() {
        let huge = ServerMessage::Refused {
            reason: "x".repeat(MAX_FRAME_LEN + 1),
        };
        assert!(matches!(encode(&huge), Err(FrameError::TooLarge { .. })));
    }

    #[tokio::test]
    async fn truncated_and_empty_frames_are_errors() -> Result<(), FrameError> {
        let bytes = encode(&ping(1))?;
        let mut short: &[u8] = &bytes[..bytes.len() - 1];
        let got = read_frame::<_, AgentMessage>(&mut short, &mut Vec::new()).await;
        assert!(matches!(got, Err(FrameError::Truncated)), "{got:?}");
        let mut half_header: &[u8] = &bytes[..2];
        let got = read_frame::<_, AgentMessage>(&mut half_header, &mut Vec::new()).await;
        assert!(matches!(got, Err(FrameError::Truncated)), "{got:?}");
        let mut empty: &[u8] = &[0, 0, 0, 0];
        let got = read_frame::<_, AgentMessage>(&mut empty, &mut Vec::new()).await;
        assert!(matches!(got, Err(FrameError::Empty)), "{got:?}");
        Ok(())
    }

    #[tokio::test]
    async fn wrong_message_type_is_a_decode_error() -> Result<(), FrameError> {
        // A server message read as an agent message, and plain non-JSON.
        let bytes = encode(&ServerMessage::Pong { seq: 1 })?;
        let mut reader: &[u8] = &bytes;
        let got = read_frame::<_, AgentMessage>(&mut reader, &mut Vec::new()).await;
        assert!(matches!(got, Err(FrameError::Decode(_))), "{got:?}");
        let mut junk = 5u32.to_be_bytes().to_vec();
        junk.extend_from_slice(b"hello");
        let mut reader: &[u8] = &junk;
        let got = read_frame::<_, AgentMessage>(&mut reader, &mut Vec::new()).await;
        assert!(matches!(got, Err(FrameError::Decode(_))), "{got:?}");
        Ok(())
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic_the_decoders(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode::<AgentMessage>(&bytes);
            let _ = decode::<ServerMessage>(&bytes);
            let runtime = tokio::runtime::Builder::new_current_thread().build();
            let runtime = runtime.map_err(|e| TestCaseError::fail(e.to_string()))?;
            runtime.block_on(async {
                let mut reader: &[u8] = &bytes;
                let mut scratch = Vec::new();
                // Read until the stream ends or an error: never a panic, never a hang.
                while let Ok(Some(_)) = read_frame::<_, ServerMessage>(&mut reader, &mut scratch).await {}
            });
        }

        #[test]
        fn json_body_fuzz_never_panics(body in "\\PC{0,200}") {
            let mut bytes = u32::try_from(body.len()).unwrap_or(0).to_be_bytes().to_vec();
            bytes.extend_from_slice(body.as_bytes());
            let _ = decode::<AgentMessage>(&bytes);
        }

        #[test]
        fn any_ping_round_trips(seq in any::<u64>()) {
            let bytes = encode(&ping(seq)).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let got = decode::<AgentMessage>(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(got, Some((ping(seq), bytes.len())));
        }
    }
}
