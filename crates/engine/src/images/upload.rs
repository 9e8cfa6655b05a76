//! Uploads from a browser (getUploadParamsForTemplate/Iso): the API creates the template
//! with a copy in state NOT_UPLOADED and hands out a signed POST; the HTTP layer streams
//! the file into the store and calls [`finish`]. The headers are CloudStack's
//! (X-signature, X-metadata, X-expires), so its UI's upload code works unchanged.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use strato_common::ApiError;
use strato_schema::template::{TemplateRefRow, TemplateRow, state};

use super::{location, template_dir};
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

/// The signed POST for copy `ref_id` of template `uuid`, valid for
/// `upload.operation.timeout` minutes.
pub fn params(engine: &Engine, ref_id: i64, uuid: &str) -> Result<UploadParams, ApiError> {
    let minutes = engine.settings.i64("upload.operation.timeout").max(1);
    let expires =
        strato_common::time::format(&(strato_schema::now() + chrono::Duration::minutes(minutes)));
    let post_url = format!("{}{PATH_PREFIX}{uuid}", signing::base(engine)?);
    let metadata = ref_id.to_string();
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
    pub copy: TemplateRefRow,
    pub template: TemplateRow,
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
    let id: i64 = metadata.parse().map_err(|_| "invalid X-metadata header")?;
    let mut db = engine.store.acquire().await.map_err(|e| e.to_string())?;
    let copy = db
        .c()
        .template_ref_by_id(id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the template was deleted")?;
    let template = db
        .c()
        .template_by_id(copy.template_id)
        .await
        .map_err(|e| e.to_string())?
        .filter(|t| t.uuid == uuid)
        .ok_or("the template was deleted")?;
    if !db
        .c()
        .start_template_upload(id, strato_schema::now())
        .await
        .map_err(|e| e.to_string())?
    {
        return Err("this upload was already used or abandoned".into());
    }
    let dir = if copy.simulated {
        None
    } else {
        let dir = template_dir(&copy, &template)?;
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        Some(dir)
    };
    let max_gb = engine.settings.i64("max.template.iso.size").max(1);
    Ok(Accepted {
        file_name: location::file_name(&template.uuid, &template.format),
        max_bytes: u64::try_from(max_gb).unwrap_or(50) << 30,
        copy,
        template,
        dir,
    })
}

/// Records the end of an upload: the file at `part` (already complete) is verified and
/// put in place, or the copy ends in UPLOAD_ERROR with the reason.
pub async fn finish(
    engine: &Engine,
    a: &Accepted,
    received: Result<PathBuf, String>,
) -> Result<(), String> {
    let outcome = match (received, &a.dir) {
        (Ok(_), None) => Ok((
            format!("template/tmpl/simulated/{}", a.template.id),
            0i64,
            0i64,
        )),
        (Ok(part), Some(dir)) => {
            let verified = verify(&part, dir.join(&a.file_name), &a.template).await;
            if verified.is_err() {
                let _ = tokio::fs::remove_file(&part).await;
            }
            verified.map(|(size, physical)| {
                let rel =
                    location::template_dir(a.template.account_id, a.template.id).join(&a.file_name);
                (rel.to_string_lossy().into_owned(), size, physical)
            })
        }
        (Err(e), _) => Err(e),
    };
    let now = strato_schema::now();
    let mut db = engine.store.acquire().await.map_err(|e| e.to_string())?;
    let result = match outcome {
        Ok((path, size, physical)) => db
            .c()
            .finish_template_ref(a.copy.id, &path, size, physical, now)
            .await
            .map(|_| Ok(())),
        Err(reason) => db
            .c()
            .fail_template_ref(a.copy.id, state::UPLOAD_ERROR, &reason, now)
            .await
            .map(|_| Err(reason)),
    };
    result.map_err(|e| e.to_string())?
}

/// Checks the uploaded file as a download is checked, then moves it in place.
async fn verify(
    part: &std::path::Path,
    to: PathBuf,
    t: &TemplateRow,
) -> Result<(i64, i64), String> {
    let format: strato_image_download::ImageFormat = t.format.parse()?;
    let checksum = t
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
