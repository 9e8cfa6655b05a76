//! The snapshot scheduler: every `snapshot.poll.interval` seconds it claims the policies
//! whose next run is due (one conditional UPDATE moves the run on, so one server takes
//! it), takes their snapshots and deletes the oldest beyond each policy's `maxsnaps`.

use std::time::{Duration, Instant};

use strato_common::ApiError;
use strato_schema::snapshot_policy::SnapshotPolicyRow;

use super::{create, manage, schedule};
use crate::Engine;

pub fn start(engine: &Engine) -> tokio::task::JoinHandle<()> {
    let engine = engine.clone();
    tokio::spawn(async move {
        let mut last = Instant::now();
        loop {
            // Woken every second so a shorter interval set meanwhile applies at once.
            tokio::time::sleep(Duration::from_secs(1)).await;
            let every = engine
                .settings
                .i64("snapshot.poll.interval")
                .clamp(1, 86_400);
            if last.elapsed() < Duration::from_secs(every.unsigned_abs()) {
                continue;
            }
            last = Instant::now();
            if let Err(e) = tick(&engine).await {
                tracing::warn!(error = %e, "scheduled snapshots failed");
            }
        }
    })
}

/// One pass over the due policies.
pub async fn tick(engine: &Engine) -> Result<(), ApiError> {
    let now = strato_schema::now();
    let due = engine
        .store
        .acquire()
        .await?
        .c()
        .due_snapshot_policies(now)
        .await?;
    for p in due {
        let sched = schedule::parse(&p.interval_type, &p.schedule)?;
        let tz = schedule::parse_timezone(&p.timezone)?;
        let next = schedule::next_after(&sched, tz, now);
        let claimed = engine
            .store
            .acquire()
            .await?
            .c()
            .claim_snapshot_run(p.id, p.next_run, next)
            .await?;
        if claimed && let Err(e) = run(engine, &p).await {
            tracing::warn!(policy = %p.uuid, error = %e, "a scheduled snapshot failed");
        }
    }
    Ok(())
}

async fn run(engine: &Engine, p: &SnapshotPolicyRow) -> Result<(), ApiError> {
    let v = engine
        .store
        .acquire()
        .await?
        .c()
        .volume_view(p.volume_id)
        .await?
        .ok_or_else(|| ApiError::internal("the policy's volume is gone"))?;
    let params = create::params_for(engine, &v, None, &p.interval_type, Some(p.id)).await?;
    engine
        .sagas
        .exec
        .run::<create::CreateSnapshot>(engine, params, None)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .into_result()?;
    let kept = engine
        .store
        .acquire()
        .await?
        .c()
        .policy_snapshots(p.volume_id, &p.interval_type)
        .await?;
    let excess = kept
        .len()
        .saturating_sub(usize::try_from(p.max_snaps).unwrap_or(1));
    for old in kept.iter().take(excess) {
        manage::delete(engine, old.id).await?;
    }
    Ok(())
}
