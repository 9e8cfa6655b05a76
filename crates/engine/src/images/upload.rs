//! Uploads from a browser (getUploadParamsForTemplate/Iso/Volume): the API creates the
//! template (or volume) with a copy in state NOT_UPLOADED and hands out a signed POST;
//! the HTTP layer streams the file into the store and calls [`finish`]. The headers are CloudStack's
//! (X-signature, X-metadata, X-expires), so its UI's upload code works unchanged.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use strato_common::ApiError;
use strato_schema::store_copy::CopyOf;
use strato_schema::template::state;

use super::StoreCopy;
use super::service::{Done, record};
use crate::{Engine, secrets, signing};

/// Path prefix of upload URLs on the API listener.
pub const PATH_PREFIX: &str = "/upload/";

/// What getUploadParams answers.
pub struct UploadParams {
    pub post_url: String,
    pub metadata: String,
    pub expires: String,
    pub signature: String,
}

fn payload(post_url: &str, metadata: &str, expires: &str) -> String {
    format!("{post_url}\n{metadata}\n{expires}")
}

/// `X-metadata` names the copy: `<ref id>` for a template, `volume:<ref id>` for a volume.
fn metadata(of: CopyOf, ref_id: i64) -> String {
    match of {
        CopyOf::Template => ref_id.to_string(),
        CopyOf::Volume => format!("volume:{ref_id}"),
    }
}

fn parse_metadata(m: &str) -> Option<(CopyOf, i64)> {
    match m.strip_prefix("volume:") {
        Some(id) => Some((CopyOf::Volume, id.parse().ok()?)),
        None => Some((CopyOf::Template, m.parse().ok()?)),
    }
}

/// The signed POST for copy `ref_id` of the template or volume `uuid`, valid for
/// `upload.operation.timeout` minutes.
pub fn params(
    engine: &Engine,
    of: CopyOf,
    ref_id: i64,
    uuid: &str,
) -> Result<UploadParams, ApiError> {
    let minutes = engine.settings.i64("upload.operation.timeout").max(1);
    let expires =
        strato_common::time::format(&(strato_schema::now() + chrono::Duration::minutes(minutes)));
    let post_url = format!("{}{PATH_PREFIX}{uuid}", signing::base(engine)?);
    let metadata = metadata(of, ref_id);
    let signature = signing::sign(engine, &payload(&post_url, &metadata, &expires))?;
    Ok(UploadParams {
        post_url,
        metadata,
        expires,
        signature,
    })
}

/// Where an accepted upload goes.
pub struct Accepted {
    pub copy: StoreCopy,
    /// Directory of the file (created); None for a simulated store.
    pub dir: Option<PathBuf>,
    pub file_name: String,
    /// Largest file accepted (`max.template.iso.size`, GB).
    pub max_bytes: u64,
}

/// Checks the signed headers of a POST to `uuid` and moves the copy to
/// UPLOAD_IN_PROGRESS (once: a second POST is refused).
pub async fn accept(
    engine: &Engine,
    uuid: &str,
    metadata: &str,
    expires: &str,
    signature: &str,
) -> Result<Accepted, String> {
    let post_url = format!(
        "{}{PATH_PREFIX}{uuid}",
        signing::base(engine).map_err(|e| e.text)?
    );
    let expected =
        signing::sign(engine, &payload(&post_url, metadata, expires)).map_err(|e| e.text)?;
    if !secrets::constant_eq(&expected, signature) {
        return Err("invalid upload signature".into());
    }
    let until: DateTime<Utc> =
        strato_api::params::parse_tz_date(expires).ok_or("invalid X-expires header")?;
    if until < strato_schema::now() {
        return Err("the upload URL has expired".into());
    }
    let (of, id) = parse_metadata(metadata).ok_or("invalid X-metadata header")?;
    let mut db = engine.store.acquire().await.map_err(|e| e.to_string())?;
    let copy = StoreCopy::load(&mut db.c(), of, id)
        .await
        .map_err(|e| e.to_string())?
        .filter(|c| c.uuid == uuid)
        .ok_or("the upload was deleted")?;
    if !db
        .c()
        .start_upload(of, id, strato_schema::now())
        .await
        .map_err(|e| e.to_string())?
    {
        return Err("this upload was already used or abandoned".into());
    }
    let dir = if copy.simulated {
        None
    } else {
        let dir = copy.dir()?;
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        Some(dir)
    };
    let max_gb = engine.settings.i64("max.template.iso.size").max(1);
    Ok(Accepted {
        file_name: copy.file_name(),
        max_bytes: u64::try_from(max_gb).unwrap_or(50) << 30,
        copy,
        dir,
    })
}

/// Records the end of an upload: the file at `part` (already complete) is verified and
/// put in place, or the copy ends in UPLOAD_ERROR with the reason. A finished upload
/// counts as the owner's secondary storage, as a download does.
pub async fn finish(
    engine: &Engine,
    a: &Accepted,
    received: Result<PathBuf, String>,
) -> Result<(), String> {
    let outcome = match (received, &a.dir) {
        (Ok(_), None) => Ok(Done::simulated(&a.copy)),
        (Ok(part), Some(dir)) => {
            let verified = verify(&part, dir.join(&a.file_name), &a.copy).await;
            if verified.is_err() {
                let _ = tokio::fs::remove_file(&part).await;
            }
            verified.map(|(size, physical_size)| Done {
                path: a.copy.install_path(),
                size,
                physical_size,
            })
        }
        (Err(e), _) => Err(e),
    };
    let recorded = record(engine, &a.copy, &outcome, state::UPLOAD_ERROR)
        .await
        .map_err(|e| e.to_string())?;
    if !recorded {
        super::remove_files(&a.copy).await;
    }
    match (outcome, recorded) {
        (Err(reason), _) => Err(reason),
        (Ok(_), false) => Err("the upload was deleted or exceeds the owner's \
                               secondary storage limit"
            .into()),
        (Ok(_), true) => Ok(()),
    }
}

/// Checks the uploaded file as a download is checked, then moves it in place.
async fn verify(
    part: &std::path::Path,
    to: PathBuf,
    copy: &StoreCopy,
) -> Result<(i64, i64), String> {
    let format: strato_image_download::ImageFormat = copy.format.parse()?;
    let checksum = copy
        .checksum
        .as_deref()
        .map(strato_image_download::parse_checksum)
        .transpose()?;
    let found = strato_image_download::verify_file(part, format, checksum.as_ref())
        .await
        .map_err(|e| e.to_string())?;
    tokio::fs::rename(part, &to)
        .await
        .map_err(|e| format!("cannot finish {}: {e}", to.display()))?;
    Ok((
        i64::try_from(found.virtual_size).unwrap_or(i64::MAX),
        i64::try_from(found.physical_size).unwrap_or(i64::MAX),
    ))
}
