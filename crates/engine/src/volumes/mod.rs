//! Volumes: data volumes recorded by createVolume (or uploaded into an image store) and
//! created on a pool when first attached, the attach/detach/resize/migrate sagas,
//! destroy/recover/delete, extraction, and the `volume` object (root volumes included).

pub mod attach;
pub mod create;
pub mod delete;
pub mod detach;
pub mod extract;
pub mod migrate;
pub mod resize;
pub mod storage;
pub mod upload;
pub mod view;

use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::volume::VolumeView;

use crate::access;
use crate::caller::Caller;
use crate::limits::ResourceType;
use crate::sagas::Sagas;

/// Every volume saga this server can run and resume.
pub fn register_sagas(s: &mut Sagas) -> Result<(), ApiError> {
    s.add::<attach::AttachVolume>()?;
    s.add::<detach::DetachVolume>()?;
    s.add::<resize::ResizeVolume>()?;
    s.add::<migrate::MigrateVolume>()?;
    s.add::<delete::ExpungeVolume>()?;
    s.add::<extract::ExtractVolume>()?;
    Ok(())
}

pub const ROOT: &str = "ROOT";
pub const DATADISK: &str = "DATADISK";

/// CloudStack's states of uploaded volumes: from a URL (UploadOp), from a browser
/// (NotUploaded, UploadInProgress), and where both end.
pub const UPLOAD_OP: &str = "UploadOp";
pub const NOT_UPLOADED: &str = "NotUploaded";
pub const UPLOADED: &str = "Uploaded";
pub const UPLOAD_STATES: &[&str] = &[
    UPLOAD_OP,
    NOT_UPLOADED,
    "UploadInProgress",
    UPLOADED,
    "UploadError",
    "UploadAbandoned",
];

/// The volume whose uuid is in `param`, if the caller may act on it (its owner, or an
/// admin above).
pub async fn volume_by_param(
    c: &mut Conn<'_>,
    caller: &Caller,
    id: &str,
    param: &str,
) -> Result<VolumeView, ApiError> {
    let v = c
        .volume_view_by_uuid(id)
        .await?
        .ok_or_else(|| ApiError::not_found(param, id, "volume"))?;
    let owner = c
        .account_by_id(v.account_id)
        .await?
        .ok_or_else(|| ApiError::internal("the volume's owner is gone"))?;
    access::check_account(caller, &owner)?;
    Ok(v)
}

/// CloudStack's answer to an operation the volume's state does not allow.
pub fn bad_state(v: &VolumeView, what: &str) -> ApiError {
    ApiError::param(format!(
        "Unable to {what} volume {} in state {}",
        v.uuid, v.state
    ))
}

/// What a volume counts against its owner's limits (root volumes too: a deploy counts
/// them, an expunge of the VM gives them back).
pub fn counted(bytes: i64) -> [(ResourceType, i64); 2] {
    [
        (ResourceType::Volume, 1),
        (ResourceType::PrimaryStorage, bytes),
    ]
}

/// What a change of a volume's size by `bytes` counts.
pub fn counted_bytes(bytes: i64) -> [(ResourceType, i64); 1] {
    [(ResourceType::PrimaryStorage, bytes)]
}
