//! NICs as users see them: the `nic` list of a `virtualmachine` object (loaded for a
//! whole page of VMs in one query) and listNics.

use std::collections::HashMap;

use strato_api::params::Args;
use strato_api::response::{Node, Obj, Reply};
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::nic::NicRow;

use crate::{Ctx, guestnet, paging};

/// The `nic` objects of these VMs, by VM id.
pub async fn objs_of_vms(
    c: &mut Conn<'_>,
    vm_ids: &[i64],
) -> Result<HashMap<i64, Vec<Obj>>, ApiError> {
    let mut out: HashMap<i64, Vec<Obj>> = HashMap::new();
    if vm_ids.is_empty() {
        return Ok(out);
    }
    for n in guestnet::nics_of(c, vm_ids).await? {
        out.entry(n.instance_id)
            .or_default()
            .push(guestnet::nic_obj(&n));
    }
    Ok(out)
}

/// The VM object with its NICs.
pub fn with_nics(vm: Obj, of_vm: Option<Vec<Obj>>) -> Obj {
    vm.set("nic", Node::Objs(of_vm.unwrap_or_default()))
}

/// listNics: the NICs of a VM the caller may see, optionally one NIC, the one on a
/// network, or those whose network name or address contains `keyword`.
pub async fn list_nics(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let vm = super::vm_by_named(&mut c, &ctx.caller, &args, "virtualmachineid").await?;
    let nic_id = args.uuid("nicid");
    let network_id = args.uuid("networkid");
    let shown = args.bool("fordisplay").unwrap_or(true);
    let keyword = args.str("keyword").map(str::to_lowercase);
    let matches = |n: &NicRow| {
        keyword.as_deref().is_none_or(|k| {
            n.network_name.to_lowercase().contains(k)
                || n.ip4_address.as_deref().is_some_and(|a| a.contains(k))
        })
    };
    let nics: Vec<Obj> = guestnet::nics_of(&mut c, &[vm.id])
        .await?
        .iter()
        .filter(|n| shown && nic_id.is_none_or(|i| n.uuid == i))
        .filter(|n| network_id.is_none_or(|i| n.network_uuid == i) && matches(n))
        .map(|n| guestnet::nic_obj(n).str("virtualmachineid", &vm.uuid))
        .collect();
    let total = nics.len();
    let start = usize::try_from(page.offset).unwrap_or(0);
    let take = page
        .limit
        .and_then(|l| usize::try_from(l).ok())
        .unwrap_or(usize::MAX);
    Ok(Reply::list(
        total,
        nics.into_iter().skip(start).take(take).collect(),
    ))
}
