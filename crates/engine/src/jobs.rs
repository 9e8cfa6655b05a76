//! Async jobs: submission, a worker pool that claims and runs pending jobs, recovery of
//! jobs orphaned by a dead management server, and the job view clients poll.
//!
//! A job row is the whole truth: the command, its parameters and its caller are stored,
//! so any server can run it and the result survives restarts.

use std::sync::Arc;
use std::time::Duration;

use strato_api::params::RawParams;
use strato_api::response::{Node, Obj, Reply};
use strato_common::ApiError;
use strato_schema::job::{JobRow, NewJob, STATUS_FAILED, STATUS_PENDING, STATUS_SUCCEEDED};
use tokio::sync::{Notify, Semaphore};

use crate::Engine;
use crate::caller::Caller;
use crate::registry::Command;

/// Jobs one server runs at the same time.
pub const WORKERS: usize = 32;

/// Parameters never stored with a job.
const UNSTORED: &[&str] = &[
    "signature",
    "apikey",
    "sessionkey",
    "expires",
    "signatureversion",
    "response",
];

#[derive(Default)]
pub struct JobQueue {
    wake: Notify,
}

/// Queues an async command and returns the job's id.
pub async fn submit(
    engine: &Engine,
    caller: &Caller,
    command: &Command,
    raw: &RawParams,
    instance_id: Option<&str>,
) -> Result<String, ApiError> {
    let uuid = uuid::Uuid::new_v4().to_string();
    let params = serde_json::to_string(&raw.without(UNSTORED))
        .map_err(|_| ApiError::internal("unable to store the job's parameters"))?;
    // Not `Store::write`: a burst of submissions would queue ahead of the running jobs'
    // steps and slow every job down; a submission waits in SQLite's busy handler instead.
    engine
        .store
        .acquire()
        .await?
        .c()
        .insert_job(
            &NewJob {
                uuid: &uuid,
                user_id: caller.user_id,
                account_id: caller.account_id,
                cmd: command.spec.name,
                params: &params,
                instance_type: command.spec.instance_type,
                instance_id,
            },
            strato_schema::now(),
        )
        .await?;
    engine.jobs.wake.notify_one();
    Ok(uuid)
}

/// Starts the worker loop, the heartbeat and orphan sweep, and the host monitor.
pub fn start_background(engine: &Engine) -> Vec<tokio::task::JoinHandle<()>> {
    let workers = {
        let engine = engine.clone();
        tokio::spawn(async move { worker_loop(engine).await })
    };
    let heartbeat = {
        let engine = engine.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(engine.settings.heartbeat_interval()).await;
                if let Err(e) = housekeeping(&engine).await {
                    tracing::warn!(error = %e, "housekeeping failed");
                }
            }
        })
    };
    let hosts = {
        let engine = engine.clone();
        tokio::spawn(async move {
            loop {
                // Short ticks so a changed ping.interval applies at once; the work per
                // tick is a couple of indexed statements.
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                if let Err(e) = crate::agents::monitor(&engine).await {
                    tracing::warn!(error = %e, "host monitor failed");
                }
            }
        })
    };
    vec![workers, heartbeat, hosts]
}

async fn housekeeping(engine: &Engine) -> Result<(), ApiError> {
    let now = strato_schema::now();
    let mut db = engine.store.acquire().await?;
    db.c().heartbeat_mshost(&engine.msid, now).await?;
    fail_orphans(engine).await?;
    crate::sagas::recover(engine).await?;
    let idle = now - chrono::Duration::seconds(engine.settings.session_timeout_secs());
    db.c().expire_sessions(idle).await?;
    engine.settings.reload(&engine.store).await
}

/// Fails pending jobs whose server stopped heartbeating; run at start and periodically.
pub async fn fail_orphans(engine: &Engine) -> Result<u64, ApiError> {
    let now = strato_schema::now();
    let live_since = now - engine.settings.heartbeat_threshold();
    let err = ApiError::internal(
        "The management server running this job stopped before the job reported a result; \
         its outcome is unknown, check the resource before retrying",
    );
    let result = serde_json::to_string(&JobOutcome::Failed(err)).unwrap_or_default();
    let n = engine
        .store
        .acquire()
        .await?
        .c()
        .fail_orphaned_jobs(live_since, &result, now)
        .await?;
    if n > 0 {
        tracing::warn!(
            jobs = n,
            "failed jobs orphaned by a stopped management server"
        );
    }
    Ok(n)
}

async fn worker_loop(engine: Engine) {
    let slots = Arc::new(Semaphore::new(WORKERS));
    // Waits only when the last look found less than a batch: a backlog is worked off
    // as fast as slots free up, and every finished job wakes the loop.
    let mut idle = true;
    loop {
        if idle {
            let _ = tokio::time::timeout(Duration::from_secs(1), engine.jobs.wake.notified()).await;
        }
        let want = slots.available_permits().max(1);
        let ids = match engine.store.acquire().await {
            Ok(mut db) => db.c().unclaimed_jobs(want as i64).await.unwrap_or_default(),
            Err(e) => {
                tracing::warn!(error = %e, "job worker cannot reach the database");
                idle = true;
                continue;
            }
        };
        idle = ids.len() < want;
        for id in ids {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                return;
            };
            let claimed = match engine.store.write().await {
                Ok(mut db) => db
                    .c()
                    .claim_job(id, &engine.msid, strato_schema::now())
                    .await
                    .unwrap_or(false),
                Err(_) => false,
            };
            if !claimed {
                continue;
            }
            let engine = engine.clone();
            tokio::spawn(async move {
                if let Err(e) = run_job(&engine, id).await {
                    tracing::error!(job = id, error = %e, "job could not be completed");
                }
                drop(permit);
                engine.jobs.wake.notify_one();
            });
        }
    }
}

/// What a finished job stored: the reply or the error.
#[derive(serde::Serialize, serde::Deserialize)]
enum JobOutcome {
    Done(Reply),
    Failed(ApiError),
}

async fn run_job(engine: &Engine, id: i64) -> Result<(), ApiError> {
    let Some(job) = engine.store.acquire().await?.c().job_by_id(id).await? else {
        return Ok(());
    };
    let outcome = execute_job(engine, &job).await;
    complete(engine, id, outcome).await
}

/// Stores a job's outcome (the job must be owned by this server).
pub async fn complete(
    engine: &Engine,
    id: i64,
    outcome: Result<Reply, ApiError>,
) -> Result<(), ApiError> {
    let (status, code) = match &outcome {
        Ok(_) => (STATUS_SUCCEEDED, 0),
        Err(e) => (STATUS_FAILED, i64::from(e.code.as_u16())),
    };
    let stored = match outcome {
        Ok(r) => JobOutcome::Done(r),
        Err(e) => JobOutcome::Failed(e),
    };
    let text = serde_json::to_string(&stored)
        .map_err(|_| ApiError::internal("unable to store the job result"))?;
    engine
        .store
        .write()
        .await?
        .c()
        .complete_job(id, &engine.msid, status, code, &text, strato_schema::now())
        .await?;
    Ok(())
}

async fn execute_job(engine: &Engine, job: &JobRow) -> Result<Reply, ApiError> {
    let user = engine
        .store
        .acquire()
        .await?
        .c()
        .user_by_id(job.user_id)
        .await?
        .ok_or_else(|| ApiError::permission("the user that submitted this job no longer exists"))?;
    let caller = Caller::from_user(&user);
    let command = engine
        .registry
        .get(&job.cmd)
        .ok_or_else(|| ApiError::internal(format!("unknown command {} in job", job.cmd)))?;
    let pairs: Vec<(String, String)> = serde_json::from_str(&job.params)
        .map_err(|_| ApiError::internal("unreadable job parameters"))?;
    let args = strato_api::params::parse(command.spec, &RawParams::from_pairs(pairs))?;
    engine.execute(caller, command, args, Some(job.id)).await
}

/// The job as queryAsyncJobResult and listAsyncJobs show it.
pub fn job_obj(job: &JobRow) -> Obj {
    let mut o = Obj::new("asyncjobs")
        .str("accountid", &job.account_uuid)
        .str("userid", &job.user_uuid)
        .str("cmd", &job.cmd)
        .int("jobstatus", job.status)
        .int("jobprocstatus", 0)
        .int("jobresultcode", job.result_code);
    if job.status != STATUS_PENDING {
        let outcome = job
            .result
            .as_deref()
            .and_then(|r| serde_json::from_str::<JobOutcome>(r).ok());
        if let Some(outcome) = outcome {
            o = o
                .str("jobresulttype", "object")
                .node("jobresult", Node::Obj(job_result(outcome)));
        }
    }
    o.opt_str("jobinstancetype", job.instance_type.clone())
        .opt_str("jobinstanceid", job.instance_id.clone())
        .date("created", &job.created)
        .opt_date("completed", job.completed.as_ref())
        .str("jobid", &job.uuid)
        .str("account", &job.account_name)
        .str("domainid", &job.domain_uuid)
        .str(
            "domainpath",
            strato_schema::domain::display_path(&job.domain_path),
        )
        .opt_str("managementserverid", job.owner_msid.clone())
        .opt_str("managementservername", job.owner_name.clone())
}

fn job_result(outcome: JobOutcome) -> Obj {
    let o = Obj::new("jobresult");
    match outcome {
        JobOutcome::Done(Reply::Object(obj)) => o.node(&obj.name.clone(), Node::Obj(obj)),
        JobOutcome::Done(Reply::Success { display_text }) => {
            o.bool("success", true).opt_str("displaytext", display_text)
        }
        JobOutcome::Done(Reply::List { count, items }) => {
            let o = o.int("count", count as i64);
            match items.first().map(|i| i.name.clone()) {
                Some(name) => o.node(&name, Node::Objs(items)),
                None => o,
            }
        }
        JobOutcome::Done(Reply::Flat(fields)) => Obj {
            name: "jobresult".into(),
            fields,
        },
        JobOutcome::Failed(e) => o
            .int("errorcode", e.code.as_u16().into())
            .str("errortext", e.text),
    }
}
