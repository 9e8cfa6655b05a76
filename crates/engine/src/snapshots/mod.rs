//! Volume snapshots (taken on the volume's pool, backed up to the zone's image store),
//! their recurring schedules and the scheduler that runs them, templates made from
//! snapshots and volumes, and VM snapshots.

pub mod create;
pub mod manage;
pub mod policy;
pub mod schedule;
pub mod scheduler;
pub mod template;
pub mod view;
pub mod vm_snapshots;

use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::snapshot::SnapshotRow;

use crate::access;
use crate::caller::Caller;
use crate::sagas::Sagas;

/// Every snapshot saga this server can run and resume.
pub fn register_sagas(s: &mut Sagas) -> Result<(), ApiError> {
    s.add::<create::CreateSnapshot>()?;
    s.add::<vm_snapshots::CreateVmSnapshot>()?;
    Ok(())
}

/// The snapshot whose uuid is `id` (parameter `param`), if the caller may act on it.
pub async fn snapshot_by_param(
    c: &mut Conn<'_>,
    caller: &Caller,
    id: &str,
    param: &str,
) -> Result<SnapshotRow, ApiError> {
    let s = c
        .snapshot_by_uuid(id)
        .await?
        .ok_or_else(|| ApiError::not_found(param, id, "snapshot"))?;
    let owner = c
        .account_by_id(s.account_id)
        .await?
        .ok_or_else(|| ApiError::internal("the snapshot's owner is gone"))?;
    access::check_account(caller, &owner)?;
    Ok(s)
}
