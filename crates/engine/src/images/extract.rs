//! extractTemplate/extractIso/extractVolume URLs: `<base>/client/extract/<token>/<file
//! name>`, where the token names the copy and its expiry and is signed with a server secret, so any
//! management server sharing the database can serve it and nobody can forge one.

use std::path::PathBuf;

use strato_common::ApiError;
use strato_schema::store_copy::CopyOf;

use super::{StoreCopy, location};
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
pub fn url(engine: &Engine, copy: &StoreCopy) -> Result<String, ApiError> {
    let ttl = engine
        .settings
        .i64("extract.url.expiration.interval")
        .max(60);
    let expires = strato_schema::now().timestamp() + ttl;
    let id = match copy.of {
        CopyOf::Template => copy.id.to_string(),
        CopyOf::Volume => format!("v{}", copy.id),
    };
    let payload = format!("{id}.{expires}");
    let sig = sign(engine, &payload)?;
    Ok(format!(
        "{}{PATH_PREFIX}{payload}.{sig}/{}",
        base(engine)?,
        copy.file_name()
    ))
}

/// Checks a token from a URL; returns the copy it names.
pub fn verify(engine: &Engine, token: &str) -> Option<(CopyOf, i64)> {
    let mut parts = token.splitn(3, '.');
    let (id, expires, sig) = (parts.next()?, parts.next()?, parts.next()?);
    let expected = sign(engine, &format!("{id}.{expires}")).ok()?;
    if !secrets::constant_eq(&expected, sig) {
        return None;
    }
    if expires.parse::<i64>().ok()? < strato_schema::now().timestamp() {
        return None;
    }
    match id.strip_prefix('v') {
        Some(v) => Some((CopyOf::Volume, v.parse().ok()?)),
        None => Some((CopyOf::Template, id.parse().ok()?)),
    }
}

/// The file an extract URL serves: the copy's, while it is ready in a real store.
pub async fn file(engine: &Engine, of: CopyOf, id: i64) -> Result<PathBuf, &'static str> {
    const GONE: &str = "the image is no longer on the image store";
    let mut db = engine.store.acquire().await.map_err(|_| GONE)?;
    let mut c = db.c();
    let (ready, store_url, install_path) = match of {
        CopyOf::Template => {
            let r = c.template_ref_by_id(id).await.ok().flatten().ok_or(GONE)?;
            (r.is_ready() && !r.simulated, r.store_url, r.install_path)
        }
        CopyOf::Volume => {
            let r = c.volume_ref_by_id(id).await.ok().flatten().ok_or(GONE)?;
            (r.is_ready() && !r.simulated, r.store_url, r.install_path)
        }
    };
    if !ready {
        return Err(GONE);
    }
    match (location::store_dir(&store_url), install_path) {
        (Ok(dir), Some(p)) => Ok(dir.join(p)),
        _ => Err("the image store is not reachable"),
    }
}
