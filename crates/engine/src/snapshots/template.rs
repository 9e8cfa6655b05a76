//! createTemplate from a backed-up snapshot or from a volume no running VM uses. The
//! template is recorded with one ready copy per image store of the zone; only
//! simulated stores (Simulator zones) are supported, where the copy needs no bytes.

use strato_api::params::Args;
use strato_api::response::Reply;
use strato_common::ApiError;
use strato_schema::guest_os::GuestOsFilter;
use strato_schema::sql::Page;
use strato_schema::store_copy::CopyOf;
use strato_schema::template::{NewTemplate, NewTemplateRef, state};

use super::snapshot_by_param;
use crate::handlers::template_view::{Kind, template_entries};
use crate::handlers::templates::zone_stores;
use crate::limits::{self, ResourceType};
use crate::volumes::volume_by_param;
use crate::{Ctx, images};

/// What the template is made from.
struct Source {
    zone_id: i64,
    size: i64,
    hypervisor: String,
    template_id: Option<i64>,
}

pub async fn create_template(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let caller = &ctx.caller;
    let name = args.required_str("name")?.trim().to_string();
    crate::handlers::check_name("name", &name)?;
    let featured = args.flag("isfeatured");
    if featured && !caller.is_root_admin() {
        return Err(ApiError::permission(
            "Parameter isfeatured can only be specified by a Root Admin, permission denied",
        ));
    }
    let is_public = args.flag("ispublic");
    if is_public
        && caller.role_type == crate::RoleType::User
        && !ctx.engine.settings.bool("allow.public.user.templates")
    {
        return Err(ApiError::permission(
            "Only private templates can be created (allow.public.user.templates is false)",
        ));
    }
    let bits = match args.int("bits") {
        None | Some(64) => 64,
        Some(32) => 32,
        Some(b) => {
            return Err(ApiError::param(format!(
                "Invalid parameter bits value={b}: use 32 or 64"
            )));
        }
    };
    let mut tx = ctx.engine.store.begin().await?;
    let mut c = tx.c();
    let os = args.required_str("ostypeid")?;
    let filter = GuestOsFilter {
        uuid: Some(os.to_string()),
        ..Default::default()
    };
    let guest_os_id = c
        .list_guest_os(&filter, Page::ALL)
        .await?
        .1
        .first()
        .map(|o| o.id)
        .ok_or_else(|| ApiError::not_found("ostypeid", os, "guest OS type"))?;
    let source = match (args.uuid("snapshotid"), args.uuid("volumeid")) {
        (Some(s), None) => {
            let s = snapshot_by_param(&mut c, caller, s, "snapshotid").await?;
            if s.state != "BackedUp" {
                return Err(ApiError::param(format!(
                    "Snapshot {} is {}; a template is made from a backed-up snapshot",
                    s.uuid, s.state
                )));
            }
            let template_id = c
                .volume_by_id(s.volume_id)
                .await?
                .and_then(|v| v.template_id);
            Source {
                zone_id: s.zone_id,
                size: s.size,
                hypervisor: s.hypervisor,
                template_id,
            }
        }
        (None, Some(v)) => {
            let v = volume_by_param(&mut c, caller, v, "volumeid").await?;
            if v.state != "Ready" {
                return Err(crate::volumes::bad_state(&v, "create a template from"));
            }
            if v.vm_state.as_deref().is_some_and(|s| s != "Stopped") {
                return Err(ApiError::param(format!(
                    "Volume {}'s VM is {}; stop it before creating a template from the volume",
                    v.uuid,
                    v.vm_state.as_deref().unwrap_or_default()
                )));
            }
            let simulated = images::zone_is_simulated(&mut c, v.zone_id).await?;
            Source {
                zone_id: v.zone_id,
                size: v.size,
                hypervisor: v
                    .vm_hypervisor
                    .clone()
                    .unwrap_or_else(|| if simulated { "Simulator" } else { "KVM" }.to_string()),
                template_id: v.template_id,
            }
        }
        _ => {
            return Err(ApiError::param(
                "Exactly one of snapshotid and volumeid must be given",
            ));
        }
    };
    if !images::zone_is_simulated(&mut c, source.zone_id).await? {
        return Err(ApiError::param(
            "Templates are created from volumes and snapshots in Simulator zones only",
        ));
    }
    let stores = zone_stores(&mut c, source.zone_id).await?;
    if stores.is_empty() {
        return Err(ApiError::param(
            "The zone has no image store; add one with addImageStore first",
        ));
    }
    let copies = i64::try_from(stores.len()).unwrap_or(1);
    limits::reserve(
        &mut c,
        caller.account_id,
        &[
            (ResourceType::Template, 1),
            (
                ResourceType::SecondaryStorage,
                source.size.saturating_mul(copies),
            ),
        ],
    )
    .await?;
    let uuid = uuid::Uuid::new_v4().to_string();
    let now = strato_schema::now();
    let display_text = args.str("displaytext").unwrap_or(&name).to_string();
    let id = c
        .insert_template(
            &NewTemplate {
                uuid: &uuid,
                name: &name,
                display_text: &display_text,
                template_type: "USER",
                format: "QCOW2",
                hypervisor: &source.hypervisor,
                guest_os_id,
                account_id: caller.account_id,
                domain_id: caller.domain_id,
                url: None,
                checksum: None,
                is_public,
                featured,
                extractable: false,
                password_enabled: args.flag("passwordenabled"),
                sshkey_enabled: false,
                bootable: true,
                requires_hvm: true,
                dynamically_scalable: args.flag("isdynamicallyscalable"),
                cross_zones: false,
                bits,
                arch: "x86_64",
                template_tag: None,
                source_template_id: source.template_id,
            },
            now,
        )
        .await?;
    for store in &stores {
        let r = c
            .insert_template_ref(
                &NewTemplateRef {
                    template_id: id,
                    store_id: store.id,
                    zone_id: source.zone_id,
                    simulated: true,
                    // Finished below, in this transaction: never claimed by the service.
                    download_state: state::DOWNLOAD_IN_PROGRESS,
                    source_url: None,
                    source_ref_id: None,
                },
                now,
            )
            .await?;
        let path = format!("template/tmpl/{}/{id}", caller.account_id);
        c.finish_copy(CopyOf::Template, r, &path, source.size, source.size, now)
            .await?;
    }
    let entries = template_entries(&mut c, Kind::Template, &[id], None).await?;
    tx.commit().await?;
    entries
        .into_iter()
        .next()
        .map(Reply::Object)
        .ok_or_else(|| ApiError::internal("the new template is not listed"))
}
