//! The VM console (CloudStack's console proxy, without a system VM).
//!
//! `createConsoleEndpoint` hands out `<base>/console/?token=…`: the token names the VM
//! and an expiry and is signed with the server's URL secret, so any management server
//! sharing the database accepts it and nobody can forge one. The server's proxy
//! (strato-server `console`) turns a websocket on that URL into a VNC session with the
//! VM's host: it asks the host where the console listens (`GetVncPort`), logs in with
//! the VM's VNC password and relays RFB. Browsers never learn the VNC password, and VNC
//! itself only accepts that password.
//!
//! Every VM's VNC password is derived from the server secret and the VM's uuid
//! ([`vnc_password`]): nothing is stored, and it is the same on every server.

use strato_agent_proto::{AnswerData, Command};
use strato_api::params::Args;
use strato_api::response::{Node, Obj, Reply};
use strato_common::ApiError;

use crate::signing::{base, sign};
use crate::{Ctx, Engine, agents, secrets, vms};

/// Path of the console proxy on the API listener.
pub const PATH: &str = "/console/";
/// A console URL must be opened within this many seconds (the session may then last).
const TOKEN_TTL_SECS: i64 = 120;
/// How long the host may take to say where a console listens.
const HOST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// VNC's password limit.
const VNC_PASSWORD_LEN: usize = 8;
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// The VNC password of VM `uuid`, sent to its host in every `StartVm`.
pub fn vnc_password(engine: &Engine, uuid: &str) -> Result<String, ApiError> {
    let mac = sign(engine, &format!("vnc.{uuid}"))?;
    Ok(mac
        .as_bytes()
        .chunks(2)
        .take(VNC_PASSWORD_LEN)
        .map(|pair| {
            let b = std::str::from_utf8(pair)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .unwrap_or(0);
            char::from(ALPHABET[usize::from(b) % ALPHABET.len()])
        })
        .collect())
}

fn payload(vm_id: i64, expires: i64, extra: &str) -> String {
    format!("console.{vm_id}.{expires}.{extra}")
}

pub async fn create_console_endpoint(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let extra = args.str("token").unwrap_or("");
    if extra.contains(|c: char| !c.is_ascii_alphanumeric() && c != '-') || extra.len() > 64 {
        return Err(ApiError::param(
            "token: up to 64 letters, digits and '-' expected",
        ));
    }
    let vm = {
        let mut db = ctx.engine.store.acquire().await?;
        vms::vm_by_named(&mut db.c(), &ctx.caller, &args, "virtualmachineid").await?
    };
    let refused = |details: String| {
        Ok(Reply::Object(
            Obj::new("consoleendpoint")
                .bool("success", false)
                .str("details", details),
        ))
    };
    if vm.state != "Running" || vm.host_id.is_none() {
        return refused(format!(
            "Instance {} is {}: only a running instance has a console",
            vm.uuid, vm.state
        ));
    }
    if vm.hypervisor == "Simulator" {
        return refused(format!(
            "Instance {} runs on the Simulator hypervisor, which has no screen to show",
            vm.uuid
        ));
    }
    let expires = strato_schema::now().timestamp() + TOKEN_TTL_SECS;
    let sig = sign(&ctx.engine, &payload(vm.id, expires, extra))?;
    let token = format!("{}.{expires}.{sig}", vm.id);
    let base = base(&ctx.engine)?;
    let parsed = url::Url::parse(&base).map_err(|e| ApiError::internal(format!("{base}: {e}")))?;
    let host = parsed.host_str().unwrap_or_default();
    let port = parsed.port_or_known_default().unwrap_or(80).to_string();
    let websocket = Obj::new("websocket")
        .str("token", &token)
        .str("host", host)
        .str("port", port)
        .str("path", PATH)
        .opt_str("extra", (!extra.is_empty()).then_some(extra));
    Ok(Reply::Object(
        Obj::new("consoleendpoint")
            .bool("success", true)
            .str("url", format!("{base}{PATH}?token={token}"))
            .node("websocket", Node::Obj(websocket)),
    ))
}

/// Where the proxy connects for a console token.
#[derive(Debug)]
pub struct VncTarget {
    pub address: String,
    pub port: u16,
    pub password: String,
    /// The instance name, for logs.
    pub vm: String,
}

/// Checks a console token (and the extra token it was made with, if any) and finds the
/// VM's console on its host. Errors are safe to show to the browser.
pub async fn target(engine: &Engine, token: &str, extra: &str) -> Result<VncTarget, ApiError> {
    let invalid = || ApiError::permission("this console URL is invalid or has expired");
    let mut parts = token.splitn(3, '.');
    let (Some(id), Some(expires), Some(sig)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid());
    };
    let vm_id: i64 = id.parse().map_err(|_| invalid())?;
    let expires: i64 = expires.parse().map_err(|_| invalid())?;
    let expected = sign(engine, &payload(vm_id, expires, extra))?;
    if !secrets::constant_eq(&expected, sig) || expires < strato_schema::now().timestamp() {
        return Err(invalid());
    }
    let mut db = engine.store.acquire().await?;
    let vm = db
        .c()
        .vm_by_id(vm_id)
        .await?
        .filter(|v| v.state == "Running")
        .ok_or_else(|| ApiError::param("the instance is no longer running"))?;
    let host = match vm.host_id {
        Some(h) => db.c().host_by_id(h).await?,
        None => None,
    }
    .ok_or_else(|| ApiError::param("the instance has no host"))?;
    drop(db);
    let address = host
        .private_ip
        .clone()
        .ok_or_else(|| ApiError::internal(format!("host {} has no address", host.name)))?;
    let ask = Command::GetVncPort {
        name: vm.instance_name.clone(),
    };
    let answer = agents::call(engine, &host.guid, ask, HOST_TIMEOUT)
        .await?
        .map_err(|e| ApiError::param(format!("the host cannot show the console: {e}")))?;
    let port = match answer {
        AnswerData::Vm(info) => info.vnc_port,
        _ => None,
    }
    .ok_or_else(|| ApiError::param("the instance has no console on its host"))?;
    Ok(VncTarget {
        address,
        port,
        password: vnc_password(engine, &vm.uuid)?,
        vm: vm.instance_name,
    })
}
