//! getUploadParamsForTemplate/getUploadParamsForIso: a template (or ISO) whose file the
//! caller POSTs from a browser instead of naming a URL.

use strato_api::params::Args;
use strato_api::response::{Obj, Reply};
use strato_common::ApiError;
use strato_schema::store_copy::CopyOf;

use super::template_view::Kind;
use super::templates::create;
use crate::{Ctx, images};

pub async fn get_upload_params_for_template(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    upload_params(ctx, args, Kind::Template).await
}

pub async fn get_upload_params_for_iso(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    upload_params(ctx, args, Kind::Iso).await
}

async fn upload_params(ctx: Ctx, args: Args, kind: Kind) -> Result<Reply, ApiError> {
    let (id, refs) = create(&ctx, &args, kind, true).await?;
    let copy = refs
        .first()
        .copied()
        .ok_or_else(|| ApiError::internal("the upload has no image store"))?;
    let uuid = ctx
        .engine
        .store
        .acquire()
        .await?
        .c()
        .template_by_id(id)
        .await?
        .map(|t| t.uuid)
        .ok_or_else(|| ApiError::internal("the new template vanished"))?;
    let p = images::upload::params(&ctx.engine, CopyOf::Template, copy, &uuid)?;
    Ok(Reply::Object(
        Obj::new("getuploadparams")
            .str("id", uuid)
            .str("postURL", p.post_url)
            .str("metadata", p.metadata)
            .str("expires", p.expires)
            .str("signature", p.signature),
    ))
}
