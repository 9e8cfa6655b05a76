//! listConfigurations, updateConfiguration, resetConfiguration, listCapabilities.

use strato_api::params::Args;
use strato_api::render::CLOUDSTACK_VERSION;
use strato_api::response::{Obj, Reply};
use strato_common::ApiError;

use crate::settings::{SettingDef, catalog, validate};
use crate::{Ctx, paging};

fn obj(ctx: &Ctx, d: &SettingDef) -> Obj {
    Obj::new("configuration")
        .str("name", d.name)
        .str("value", ctx.engine.settings.get(d.name))
        .str("defaultvalue", d.default)
        .str("category", d.category)
        .str("component", d.component)
        .str("description", d.description)
        .str("scope", "global")
        .str("type", d.ty.name())
        .bool("isdynamic", d.dynamic)
        .opt_str("options", d.options)
}

/// Per-zone, per-account and other scoped values are not supported yet: say so
/// instead of silently changing the global value.
fn refuse_scopes(args: &Args) -> Result<(), ApiError> {
    for p in [
        "zoneid",
        "clusterid",
        "storageid",
        "accountid",
        "domainid",
        "imagestoreuuid",
        "imagestoreid",
    ] {
        if args.has(p) {
            return Err(ApiError::param(format!(
                "Parameter {p}: scoped setting values are not supported yet; only global values"
            )));
        }
    }
    Ok(())
}

fn find(name: &str) -> Result<&'static SettingDef, ApiError> {
    catalog::find(name)
        .ok_or_else(|| ApiError::param(format!("Configuration name {name} not found")))
}

pub async fn list_configurations(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    refuse_scopes(&args)?;
    let page = paging::page(&args, &ctx.engine.settings)?;
    let keyword = args.str("keyword").map(str::to_lowercase);
    let matching: Vec<&SettingDef> = catalog::SETTINGS
        .iter()
        .filter(|d| {
            args.str("name")
                .is_none_or(|n| d.name.eq_ignore_ascii_case(n))
        })
        .filter(|d| {
            args.str("category")
                .is_none_or(|c| d.category.eq_ignore_ascii_case(c))
        })
        .filter(|d| {
            keyword
                .as_deref()
                .is_none_or(|k| d.name.to_lowercase().contains(k))
        })
        .collect();
    let start = usize::try_from(page.offset).unwrap_or(usize::MAX);
    let len = page
        .limit
        .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
    let items = matching
        .iter()
        .skip(start)
        .take(len)
        .map(|d| obj(&ctx, d))
        .collect();
    Ok(Reply::list(matching.len(), items))
}

pub async fn update_configuration(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    refuse_scopes(&args)?;
    let def = find(args.required_str("name")?)?;
    let value = args.str("value").unwrap_or("").trim();
    validate(def, value)?;
    ctx.engine
        .store
        .acquire()
        .await?
        .c()
        .set_config(def.name, value, strato_schema::now())
        .await?;
    ctx.engine.settings.remember(def.name, Some(value));
    Ok(Reply::Object(obj(&ctx, def)))
}

pub async fn reset_configuration(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    refuse_scopes(&args)?;
    let def = find(args.required_str("name")?)?;
    ctx.engine
        .store
        .acquire()
        .await?
        .c()
        .reset_config(def.name)
        .await?;
    ctx.engine.settings.remember(def.name, None);
    Ok(Reply::Object(obj(&ctx, def)))
}

pub async fn list_capabilities(ctx: Ctx, _args: Args) -> Result<Reply, ApiError> {
    let s = &ctx.engine.settings;
    let flag = |k: &str| s.bool(k);
    Ok(Reply::Object(
        Obj::new("capability")
            .str("cloudstackversion", CLOUDSTACK_VERSION)
            .bool("securitygroupsenabled", false)
            .bool(
                "userpublictemplateenabled",
                flag("allow.public.user.templates"),
            )
            .bool(
                "allowusercreateprojects",
                flag("allow.user.create.projects"),
            )
            .bool(
                "allowuserviewdestroyedvm",
                flag("allow.user.view.destroyed.vm"),
            )
            .bool(
                "allowuserexpungerecovervm",
                flag("allow.user.expunge.recover.vm"),
            )
            .bool(
                "allowuserexpungerecovervolume",
                flag("allow.user.expunge.recover.volume"),
            )
            .bool(
                "allowuserviewalldomainaccounts",
                flag("allow.user.view.all.domain.accounts"),
            )
            .bool("allowuserforcestopvm", flag("allow.user.force.stop.vm"))
            .bool("dynamicrolesenabled", true)
            .int("apilimitinterval", s.i64("api.throttling.interval"))
            .int("apilimitmax", s.i64("api.throttling.max"))
            .int("defaultuipagesize", s.default_page_size().min(20))
            .bool("kvmsnapshotenabled", flag("kvm.snapshot.enabled"))
            .bool("projectinviterequired", flag("project.invite.required"))
            .bool("regionsecondaryenabled", false)
            .bool("kubernetesserviceenabled", false)
            .int(
                "customdiskofferingminsize",
                s.i64("custom.diskoffering.size.min"),
            )
            .int(
                "customdiskofferingmaxsize",
                s.i64("custom.diskoffering.size.max"),
            ),
    ))
}
