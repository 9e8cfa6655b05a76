//! Signing of the URLs this server hands out (extract downloads, consoles) with the
//! server's secret (`images::extract::load_secret`), and the base they start with.
//! Callers prefix their payloads so a token for one purpose never verifies for another.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use strato_common::ApiError;

use crate::Engine;

/// HMAC-SHA256 of `payload` under the server secret, in hex.
pub fn sign(engine: &Engine, payload: &str) -> Result<String, ApiError> {
    let secret = engine
        .images
        .extract_secret
        .lock()
        .map(|s| s.clone())
        .map_err(|_| ApiError::internal("extract secret unavailable"))?;
    if secret.is_empty() {
        return Err(ApiError::internal("extract secret not loaded"));
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .map_err(|_| ApiError::internal("bad extract secret"))?;
    mac.update(payload.as_bytes());
    Ok(mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Where clients reach this server: `endpoint.url` when the operator set it, else the
/// address the API listener is bound to.
pub fn base(engine: &Engine) -> Result<String, ApiError> {
    if engine.settings.is_changed("endpoint.url") {
        let endpoint = engine.settings.get("endpoint.url");
        if let Ok(u) = url::Url::parse(&endpoint) {
            return Ok(u.origin().ascii_serialization());
        }
    }
    engine
        .images
        .public_base
        .lock()
        .ok()
        .and_then(|b| b.clone())
        .ok_or_else(|| {
            ApiError::internal("this server does not know its own URL; set endpoint.url")
        })
}
