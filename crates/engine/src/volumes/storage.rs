//! Where volume work happens: a host that reaches a pool (mounted first), the pool a
//! new data volume goes to, and the calls that name a volume on a pool.

use strato_agent_proto::{AnswerData, Command, VolumeRef};
use strato_common::{ApiError, ErrorCode};
use strato_schema::Conn;
use strato_schema::placement::{PlacementFilter, PoolCandidate};

use crate::Engine;
use crate::vms::host_ops;

/// CloudStack's InsufficientStorageCapacityException.
const NO_STORAGE: i32 = 4340;

pub fn volume_ref(pool_uuid: &str, volume_uuid: &str) -> VolumeRef {
    VolumeRef {
        pool_uuid: pool_uuid.to_string(),
        volume_uuid: volume_uuid.to_string(),
    }
}

pub async fn pool(engine: &Engine, id: i64) -> Result<PoolCandidate, ApiError> {
    engine
        .store
        .acquire()
        .await?
        .c()
        .pool_candidate(id)
        .await?
        .ok_or_else(|| ApiError::internal("the storage pool is gone"))
}

/// A host to work on `pool` through: `prefer` (the host of the running VM using the
/// volume) or the first Up host in the pool's scope. The pool is mounted there
/// (idempotent) before the guid is returned.
pub async fn host_for(
    engine: &Engine,
    zone_id: i64,
    pool: &PoolCandidate,
    prefer: Option<&str>,
) -> Result<String, ApiError> {
    let guid = match prefer {
        Some(g) => g.to_string(),
        None => {
            let filter = PlacementFilter {
                zone_id,
                cluster_id: (pool.scope == "CLUSTER")
                    .then_some(pool.cluster_id)
                    .flatten(),
                host_id: (pool.scope == "HOST").then_some(pool.host_id).flatten(),
                ..PlacementFilter::default()
            };
            let mut db = engine.store.acquire().await?;
            let hosts = db.c().candidate_hosts(&filter).await?;
            hosts.into_iter().next().map(|h| h.guid).ok_or_else(|| {
                ApiError::internal(format!("no host is Up to reach storage pool {}", pool.name))
            })?
        }
    };
    host_ops::call(
        engine,
        &guid,
        Command::ModifyStoragePool(host_ops::pool_spec(pool)),
    )
    .await?;
    Ok(guid)
}

/// The volume as the host answered it: (path, size).
pub fn volume_answer(answer: AnswerData, what: &str) -> Result<(String, i64), ApiError> {
    match answer {
        AnswerData::Volume(v) => Ok((v.path, i64::try_from(v.size_bytes).unwrap_or(i64::MAX))),
        other => Err(ApiError::internal(format!(
            "{what} answered {other:?} instead of a volume"
        ))),
    }
}

/// Picks a pool for a new volume of `bytes` that `host` reaches and places the volume
/// there, taking its bytes, inside the caller's transaction. A volume placed already
/// (a replayed step) keeps its pool.
pub async fn place(
    c: &mut Conn<'_>,
    engine: &Engine,
    volume_id: i64,
    bytes: i64,
    zone_id: i64,
    reach: Reach,
    local: bool,
) -> Result<i64, ApiError> {
    if let Some(v) = c.volume_by_id(volume_id).await?
        && let Some(p) = v.pool_id
    {
        return Ok(p);
    }
    let factor = engine
        .settings
        .f64("storage.overprovisioning.factor")
        .max(0.1);
    let pools = match reach {
        Reach::Host { id, cluster_id } => c.candidate_pools(zone_id, cluster_id, id, local).await?,
        Reach::Pool(p) => {
            // A stopped VM's volumes go where its root volume is, or to a pool every
            // host reaching that one reaches too.
            let root = c
                .pool_candidate(p)
                .await?
                .ok_or_else(|| ApiError::internal("the root volume's pool is gone"))?;
            let local = root.scope == "HOST";
            let mut same = c
                .candidate_pools(zone_id, root.cluster_id, root.host_id.unwrap_or(0), local)
                .await?;
            same.sort_by_key(|x| x.id != root.id);
            same
        }
    };
    for pool in pools {
        if c.reserve_pool_capacity(pool.id, bytes, factor).await? {
            if c.place_volume(volume_id, pool.id).await? {
                return Ok(pool.id);
            }
            c.release_pool_capacity(pool.id, bytes).await?;
        }
    }
    Err(ApiError::new(
        ErrorCode::InsufficientCapacity,
        Some(NO_STORAGE),
        format!("No storage pool the VM's host reaches has room for {bytes} more bytes"),
    ))
}

/// What the new volume's pool must be reachable from.
#[derive(Clone, Copy, Debug)]
pub enum Reach {
    /// The host a running VM is on.
    Host { id: i64, cluster_id: Option<i64> },
    /// The pool of a stopped VM's root volume.
    Pool(i64),
}
