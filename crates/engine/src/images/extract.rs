//! extractTemplate/extractIso URLs: `<base>/client/extract/<token>/<file name>`, where
//! the token names the copy and its expiry and is signed with a server secret, so any
//! management server sharing the database can serve it and nobody can forge one.

use strato_common::ApiError;
use strato_schema::template::{TemplateRefRow, TemplateRow};

use crate::signing::{base, sign};
use crate::{Engine, secrets};

/// `configuration` name of the server's URL-signing secret (not a CloudStack setting);
/// extract and console URLs are signed with it.
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
