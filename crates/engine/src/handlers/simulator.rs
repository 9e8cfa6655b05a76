//! configureSimulator, querySimulatorMock, cleanupSimulatorMock: CloudStack's simulator
//! plugin commands, acting on this server's in-process simulator
//! (`engine.agents.simulator`), which answers for every `addHost http://sim/...` host.
//!
//! Mocks live in the memory of the server that runs the simulated hosts; they do not
//! reach separate `strato agent` processes and do not survive a restart (CloudStack keeps
//! them in the simulator database).

use strato_api::params::Args;
use strato_api::response::{Obj, Reply};
use strato_common::ApiError;
use strato_hypervisor_sim::{MockError, MockRecord, MockRule, MockScope};
use strato_schema::Conn;

use crate::Ctx;

/// Commands the simulator answers with a bare `Done`. A CloudStack-style canned answer
/// (`{"<Answer class>":{"result":true,...}}`) carries no data Strato can use, so a
/// successful one can only stand in for these; failures work for any command.
const DONE_ANSWERED: &[&str] = &[
    "ReadyCheck",
    "ReadyCommand",
    "MaintainHost",
    "MaintainCommand",
    "StopVm",
    "StopCommand",
    "RebootVm",
    "RebootCommand",
    "DestroyVm",
    "PrepareForMigration",
    "PrepareForMigrationCommand",
    "MigrateVm",
    "MigrateCommand",
    "DeleteVolume",
    "DestroyCommand",
    "AttachVolume",
    "AttachCommand",
    "DetachVolume",
    "DettachCommand",
    "AttachIso",
    "DetachIso",
    "AttachIsoCommand",
    "DeleteSnapshot",
    "DeleteStoragePool",
    "DeleteStoragePoolCommand",
];

fn mock_error(e: MockError) -> ApiError {
    let param = match &e {
        MockError::NoName => "name",
        MockError::BadValue { .. } => "value",
        MockError::BadJsonResponse(_) => "jsonresponse",
    };
    ApiError::param(format!("Invalid value for parameter {param}: {e}"))
}

/// Refuses a canned answer the simulator could not replay faithfully.
fn check_json_response(name: &str, raw: &str) -> Result<(), ApiError> {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(raw) else {
        return Ok(()); // the simulator reports the syntax error itself
    };
    let Some(obj) = value.as_object() else {
        return Ok(());
    };
    let ours = obj.contains_key("kind") || obj.contains_key("Ok") || obj.contains_key("Err");
    let succeeds = obj
        .values()
        .next()
        .and_then(|inner| inner.get("result"))
        .and_then(serde_json::Value::as_bool)
        == Some(true);
    if !ours
        && obj.len() == 1
        && succeeds
        && !DONE_ANSWERED.iter().any(|n| n.eq_ignore_ascii_case(name))
    {
        return Err(ApiError::param(format!(
            "Invalid value for parameter jsonresponse: a successful CloudStack answer for {name} \
             cannot be replayed, because the simulator cannot build that command's answer data \
             from it; use \"result\":false, or Strato's answer JSON ({{\"Ok\":{{\"kind\":...}}}})"
        )));
    }
    Ok(())
}

/// The mock as CloudStack's `MockResponse`: internal numeric ids, under the object
/// name `null` (see `strato_api::commands::simulator`).
async fn mock_obj(c: &mut Conn<'_>, r: &MockRecord) -> Result<Obj, ApiError> {
    let mut o = Obj::new("null").int("id", i64::try_from(r.id).unwrap_or(i64::MAX));
    if let Some(z) = &r.scope.zone_id
        && let Some(zone) = c.zone_by_uuid(z).await?
    {
        o = o.int("zoneid", zone.id);
    }
    if let Some(p) = &r.scope.pod_id
        && let Some(pod) = c.pod_by_uuid(p).await?
    {
        o = o.int("podid", pod.id);
    }
    if let Some(cl) = &r.scope.cluster_id
        && let Some(cluster) = c.cluster_by_uuid(cl).await?
    {
        o = o.int("clusterid", cluster.id);
    }
    if let Some(g) = &r.scope.host_guid
        && let Some(host) = c.host_by_guid(g).await?
    {
        o = o.int("hostid", host.id);
    }
    o = o.str("name", &r.name);
    if let Some(n) = r.count {
        o = o.int("count", i64::from(n));
    }
    Ok(o)
}

/// The scope of a mock: the simulator matches hosts by zone, pod and cluster UUIDs
/// (their placement) and by host guid.
async fn scope(c: &mut Conn<'_>, args: &Args) -> Result<MockScope, ApiError> {
    let mut scope = MockScope::default();
    if let Some(id) = args.uuid("zoneid") {
        let zone = c
            .zone_by_uuid(id)
            .await?
            .ok_or_else(|| ApiError::not_found("zoneid", id, "zone"))?;
        scope.zone_id = Some(zone.uuid);
    }
    if let Some(id) = args.uuid("podid") {
        let pod = c
            .pod_by_uuid(id)
            .await?
            .ok_or_else(|| ApiError::not_found("podid", id, "pod"))?;
        scope.pod_id = Some(pod.uuid);
    }
    if let Some(id) = args.uuid("clusterid") {
        let cluster = c
            .cluster_by_uuid(id)
            .await?
            .ok_or_else(|| ApiError::not_found("clusterid", id, "cluster"))?;
        scope.cluster_id = Some(cluster.uuid);
    }
    if let Some(id) = args.uuid("hostid") {
        let host = c
            .host_by_uuid(id)
            .await?
            .ok_or_else(|| ApiError::not_found("hostid", id, "host"))?;
        scope.host_guid = Some(host.guid);
    }
    Ok(scope)
}

fn mock_id(args: &Args) -> Result<(u64, i64), ApiError> {
    let id = args
        .int("id")
        .ok_or_else(|| ApiError::missing_param("simulatormock", "id"))?;
    let mock = u64::try_from(id)
        .map_err(|_| ApiError::not_found("id", &id.to_string(), "simulator mock"))?;
    Ok((mock, id))
}

pub async fn configure_simulator(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let name = args.required_str("name")?.trim().to_string();
    let value = args.required_str("value")?.to_string();
    let count = match args.int("count") {
        Some(n) => Some(u32::try_from(n).map_err(|_| {
            ApiError::param(format!(
                "Invalid value {n} for parameter count: must be 0 or more"
            ))
        })?),
        None => None,
    };
    let json_response = args
        .str("jsonresponse")
        .filter(|j| !j.trim().is_empty())
        .map(str::to_string);
    if let Some(j) = &json_response {
        check_json_response(&name, j)?;
    }
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let rule = MockRule {
        name,
        value,
        scope: scope(&mut c, &args).await?,
        count,
        json_response,
    };
    let record = ctx
        .engine
        .agents
        .simulator
        .configure_mock(rule)
        .map_err(mock_error)?;
    Ok(Reply::Object(mock_obj(&mut c, &record).await?))
}

pub async fn query_simulator_mock(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let (mock, id) = mock_id(&args)?;
    let record = ctx
        .engine
        .agents
        .simulator
        .query_mock(mock)
        .ok_or_else(|| ApiError::not_found("id", &id.to_string(), "simulator mock"))?;
    let mut db = ctx.engine.store.acquire().await?;
    Ok(Reply::Object(mock_obj(&mut db.c(), &record).await?))
}

pub async fn cleanup_simulator_mock(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let (mock, id) = mock_id(&args)?;
    if !ctx.engine.agents.simulator.cleanup_mock(mock) {
        return Err(ApiError::not_found("id", &id.to_string(), "simulator mock"));
    }
    Ok(Reply::success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudstack_success_answers_only_for_done_commands() {
        let ok = r#"{"com.cloud.agent.api.Answer":{"result":true,"details":"fine"}}"#;
        let fail = r#"{"com.cloud.agent.api.StartAnswer":{"result":false,"details":"no"}}"#;
        assert!(check_json_response("MaintainCommand", ok).is_ok());
        assert!(check_json_response("stopvm", ok).is_ok());
        let e = check_json_response("StartCommand", ok).err();
        assert!(e.is_some_and(|e| e.text.contains("jsonresponse")));
        assert!(check_json_response("StartCommand", fail).is_ok());
        let ours = r#"{"Ok":{"kind":"Done"}}"#;
        assert!(check_json_response("StartCommand", ours).is_ok());
    }

    #[test]
    fn mock_errors_name_the_parameter() {
        assert!(mock_error(MockError::NoName).text.contains("name"));
        let bad = MockError::BadValue {
            item: "x".into(),
            reason: "expected key:value",
        };
        assert!(mock_error(bad).text.contains("parameter value"));
        let json = MockError::BadJsonResponse("eof".into());
        assert!(mock_error(json).text.contains("jsonresponse"));
    }
}
