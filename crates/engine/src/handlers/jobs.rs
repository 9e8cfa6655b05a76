//! queryAsyncJobResult, listAsyncJobs.

use strato_api::params::Args;
use strato_api::response::Reply;
use strato_common::ApiError;
use strato_schema::job::JobFilter;

use crate::jobs::job_obj;
use crate::{Ctx, access, paging};

pub async fn query_async_job_result(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let id = args.required_str("jobid")?;
    let mut db = ctx.engine.store.acquire().await?;
    let job = db
        .c()
        .job_by_uuid(id)
        .await?
        .ok_or_else(|| ApiError::not_found("jobid", id, "async job"))?;
    // A job is visible to whoever may see the account that submitted it.
    let account = db.c().account_by_id(job.account_id).await?;
    let visible = job.account_id == ctx.caller.account_id
        || account.is_some_and(|a| access::check_account(&ctx.caller, &a).is_ok());
    if !visible {
        return Err(ApiError::not_found("jobid", id, "async job"));
    }
    Ok(Reply::Flat(job_obj(&job).fields))
}

pub async fn list_async_jobs(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let scope = access::list_scope(&mut c, &ctx.caller, &args, false).await?;
    let filter = JobFilter {
        subtree: scope.subtree,
        account_id: scope.account_id,
        domain_id: scope.domain_id,
        since: args.date("startdate"),
        owner_msid: args.uuid("managementserverid").map(str::to_string),
        keyword: args.str("keyword").map(str::to_string),
    };
    let (total, rows) = c.list_jobs(&filter, page).await?;
    Ok(Reply::list(
        total as usize,
        rows.iter().map(job_obj).collect(),
    ))
}
