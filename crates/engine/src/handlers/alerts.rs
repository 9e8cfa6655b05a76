//! listAlerts, archiveAlerts, deleteAlerts; and the host alerts raised when a host loses
//! its agent (Alert) or stays away past the ping timeout (Down).

use strato_api::params::{Args, is_uuid};
use strato_api::response::{Obj, Reply};
use strato_common::ApiError;
use strato_schema::alert::{AlertFilter, AlertRow, NewAlert};
use strato_schema::sql::Page;
use strato_schema::{Conn, StoreError};

use crate::{Ctx, paging};

/// CloudStack's `AlertService.AlertType.ALERT_TYPE_HOST`.
pub const ALERT_TYPE_HOST: i64 = 7;
pub const ALERT_TYPE_HOST_NAME: &str = "ALERT.COMPUTE.HOST";

/// Host statuses that raise an alert when a host enters them.
const ALERTING: &[&str] = &["Alert", "Down"];

/// Moves hosts from one of `from` to `to` (as `Conn::set_host_status`), and when `to`
/// is Alert or Down raises one host alert for every host this call moved. Hosts another
/// server moved first are not alerted twice. Returns how many hosts moved.
pub async fn set_host_status(
    c: &mut Conn<'_>,
    ids: &[i64],
    from: &[&str],
    to: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<u64, StoreError> {
    let mut moved_count = 0;
    for chunk in ids.chunks(500) {
        if !ALERTING.contains(&to) {
            moved_count += c.set_host_status(chunk, from, to, now).await?;
            continue;
        }
        let moved = c.set_host_status_returning(chunk, from, to, now).await?;
        moved_count += moved.len() as u64;
        let subjects: Vec<(String, String)> = moved
            .iter()
            .map(|h| {
                (
                    uuid::Uuid::new_v4().to_string(),
                    host_subject(&h.name, &h.uuid, to),
                )
            })
            .collect();
        let alerts: Vec<NewAlert<'_>> = moved
            .iter()
            .zip(&subjects)
            .map(|(h, (uuid, subject))| NewAlert {
                uuid,
                alert_type: ALERT_TYPE_HOST,
                name: ALERT_TYPE_HOST_NAME,
                zone_id: Some(h.zone_id),
                pod_id: h.pod_id,
                cluster_id: h.cluster_id,
                subject,
            })
            .collect();
        c.insert_alerts(&alerts, now).await?;
    }
    Ok(moved_count)
}

fn host_subject(name: &str, uuid: &str, status: &str) -> String {
    match status {
        "Down" => format!("Host {name} (id {uuid}) is Down: its agent did not come back"),
        _ => format!("Host {name} (id {uuid}) is in Alert: its agent connection was lost"),
    }
}

fn alert_obj(a: &AlertRow) -> Obj {
    Obj::new("alert")
        .str("id", &a.uuid)
        .int("type", a.alert_type)
        .str("name", &a.name)
        .str("description", &a.subject)
        .date("sent", &a.created)
}

/// `type`: CloudStack declares it a string but compares it with a number column.
fn alert_type(args: &Args) -> Result<Option<i64>, ApiError> {
    args.str("type")
        .map(|t| {
            t.trim().parse::<i64>().map_err(|_| {
                ApiError::param(format!(
                    "Invalid value {t} for parameter type: expected an alert type number, e.g. {ALERT_TYPE_HOST}"
                ))
            })
        })
        .transpose()
}

pub async fn list_alerts(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let filter = AlertFilter {
        uuid: args.uuid("id").map(str::to_string),
        alert_type: alert_type(&args)?,
        name: args.str("name").map(str::to_string),
        keyword: args.str("keyword").map(str::to_string),
        archived: Some(false),
        ..AlertFilter::default()
    };
    let mut db = ctx.engine.store.acquire().await?;
    let (total, rows) = db.c().list_alerts(&filter, page).await?;
    Ok(Reply::list(
        usize::try_from(total).unwrap_or(0),
        rows.iter().map(alert_obj).collect(),
    ))
}

/// Archives or deletes the alerts selected by ids, type or dates.
async fn purge(ctx: Ctx, args: Args, delete: bool) -> Result<Reply, ApiError> {
    let ty = alert_type(&args)?;
    let (start, end) = (args.date("startdate"), args.date("enddate"));
    let ids: Option<Vec<String>> = args.list("ids").map(|ids| {
        let mut ids: Vec<String> = ids.iter().map(|i| i.to_ascii_lowercase()).collect();
        ids.sort();
        ids.dedup();
        ids
    });
    if ids.is_none() && ty.is_none() && end.is_none() {
        return Err(ApiError::param(
            "Either ids, type, startdate or enddate must be specified",
        ));
    }
    if start.is_some() && end.is_none() {
        return Err(ApiError::param(
            "enddate must be specified with startdate parameter",
        ));
    }
    if let (Some(s), Some(e)) = (start, end)
        && s > e
    {
        return Err(ApiError::param("startdate must not be after enddate"));
    }
    let mut tx = ctx.engine.store.begin().await?;
    if let Some(ids) = &ids {
        if let Some(bad) = ids.iter().find(|i| !is_uuid(i)) {
            return Err(ApiError::not_found("ids", bad, "alert"));
        }
        let (_, found) = tx
            .c()
            .list_alerts(
                &AlertFilter {
                    uuids: Some(ids.clone()),
                    ..AlertFilter::default()
                },
                Page::ALL,
            )
            .await?;
        if let Some(missing) = ids.iter().find(|i| !found.iter().any(|a| &a.uuid == *i)) {
            return Err(ApiError::not_found("ids", missing, "alert"));
        }
    }
    let filter = AlertFilter {
        uuids: ids,
        alert_type: ty,
        start,
        end,
        ..AlertFilter::default()
    };
    tx.c().archive_alerts(&filter, delete).await?;
    tx.commit().await?;
    Ok(Reply::success())
}

pub async fn archive_alerts(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    purge(ctx, args, false).await
}

pub async fn delete_alerts(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    purge(ctx, args, true).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_name_the_host_and_the_status() {
        let down = host_subject("SimulatedAgent.1", "u-1", "Down");
        assert!(down.contains("SimulatedAgent.1") && down.contains("u-1") && down.contains("Down"));
        let alert = host_subject("h", "u", "Alert");
        assert!(alert.contains("Alert"));
    }
}
