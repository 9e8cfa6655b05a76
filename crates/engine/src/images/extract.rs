//! extractTemplate/extractIso URLs: `<base>/client/extract/<token>/<file name>`, where
//! the token names the copy and its expiry and is signed with a server secret, so any
//! management server sharing the database can serve it and nobody can forge one.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use strato_common::ApiError;
use strato_schema::template::{TemplateRefRow, TemplateRow};

use crate::{Engine, secrets};

/// `configuration` name of the signing secret (not a CloudStack setting).
const SECRET_KEY: &str = "strato.extract.secret";
/// Path prefix of extract URLs on the API listener.
pub const PATH_PREFIX: &str = "/client/extract/";

/// Loads (or makes) the signing secret; run at server start.
pub async fn load_secret(engine: &Engine) -> Result<(), ApiError> {
    let secret = secrets::stored(&engine.store, SECRET_KEY).await?;
    if let Ok(mut slot) = engine.images.extract_secret.lock() {
        *slot = secret;
    }
    Ok(())
}

pub(crate) fn sign(engine: &Engine, payload: &str) -> Result<String, ApiError> {
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
pub(crate) fn base(engine: &Engine) -> Result<String, ApiError> {
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

/// A signed download URL for a ready copy, valid for `extract.url.expiration.interval`.
pub fn url(engine: &Engine, r: &TemplateRefRow, t: &TemplateRow) -> Result<String, ApiError> {
    let ttl = engine
        .settings
        .i64("extract.url.expiration.interval")
        .max(60);
    let expires = strato_schema::now().timestamp() + ttl;
    let payload = format!("{}.{expires}", r.id);
    let sig = sign(engine, &payload)?;
    let file = super::location::file_name(&t.uuid, &t.format);
    Ok(format!(
        "{}{PATH_PREFIX}{payload}.{sig}/{file}",
        base(engine)?
    ))
}

/// Checks a token from a URL; returns the copy id it names.
pub fn verify(engine: &Engine, token: &str) -> Option<i64> {
    let mut parts = token.splitn(3, '.');
    let (id, expires, sig) = (parts.next()?, parts.next()?, parts.next()?);
    let expected = sign(engine, &format!("{id}.{expires}")).ok()?;
    if !secrets::constant_eq(&expected, sig) {
        return None;
    }
    if expires.parse::<i64>().ok()? < strato_schema::now().timestamp() {
        return None;
    }
    id.parse().ok()
}
