//! Random secrets: API and secret keys, session ids and session keys.

use base64::Engine as _;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};

fn random<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    rand::fill(&mut buf[..]);
    buf
}

/// An API key or secret key: 64 random bytes, URL-safe base64 (86 characters).
pub fn api_key() -> String {
    URL_SAFE
        .encode(random::<64>())
        .trim_end_matches('=')
        .to_string()
}

/// A session key: 20 random bytes, URL-safe base64 without padding (as CloudStack).
pub fn session_key() -> String {
    URL_SAFE_NO_PAD.encode(random::<20>())
}

/// A server-wide secret kept in `configuration` under `key` (a name that is not a
/// CloudStack setting, so it is never listed); made on first use.
pub async fn stored(
    store: &strato_schema::Store,
    key: &str,
) -> Result<String, strato_common::ApiError> {
    let mut db = store.acquire().await?;
    let found = db
        .c()
        .config_values()
        .await?
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v);
    if let Some(v) = found {
        return Ok(v);
    }
    let v = session_key();
    db.c().set_config(key, &v, strato_schema::now()).await?;
    Ok(v)
}

/// A JSESSIONID: 16 random bytes in upper-case hex.
pub fn session_id() -> String {
    random::<16>().iter().map(|b| format!("{b:02X}")).collect()
}

/// Compares two secrets without stopping at the first difference.
pub fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
