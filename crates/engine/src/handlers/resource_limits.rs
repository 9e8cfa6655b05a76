//! listResourceLimits, updateResourceLimit, updateResourceCount. The limits themselves
//! and their enforcement live in [`crate::limits`].

use strato_api::params::Args;
use strato_api::response::{Obj, Reply};
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::account::AccountRow;
use strato_schema::domain::{DomainRow, display_path};
use strato_schema::resource_limit::{ACCOUNT, DOMAIN};

use crate::caller::{Caller, RoleType};
use crate::limits::{self, Defaults, DomainLimits, GIB, ResourceType, UNLIMITED, Usage};
use crate::{Ctx, access, paging};

/// Internal id of the `system` account.
const SYSTEM_ACCOUNT: i64 = 1;

/// Whose limits or counts a command is about.
enum Owner {
    Account(AccountRow),
    Domain(DomainRow),
}

impl Owner {
    fn kind(&self) -> &'static str {
        match self {
            Owner::Account(_) => ACCOUNT,
            Owner::Domain(_) => DOMAIN,
        }
    }

    fn id(&self) -> i64 {
        match self {
            Owner::Account(a) => a.id,
            Owner::Domain(d) => d.id,
        }
    }

    /// A response object naming the owner, with the type's fields.
    fn obj(&self, name: &str, t: ResourceType) -> Obj {
        let o = Obj::new(name);
        let o = match self {
            Owner::Account(a) => o
                .str("account", &a.name)
                .str("domainid", &a.domain_uuid)
                .str("domain", &a.domain_name)
                .str("domainpath", display_path(&a.domain_path)),
            Owner::Domain(d) => o
                .str("domainid", &d.uuid)
                .str("domain", &d.name)
                .str("domainpath", d.display_path()),
        };
        o.str("resourcetype", t.number().to_string())
            .str("resourcetypename", t.name())
    }

    /// The limits that apply to the owner, and its counts.
    async fn usage(&self, c: &mut Conn<'_>, defaults: &Defaults) -> Result<Usage, ApiError> {
        let usage = match self {
            Owner::Account(a) => {
                limits::account_usage(c, defaults, std::slice::from_ref(a)).await?
            }
            Owner::Domain(d) => limits::domain_usage(c, defaults, std::slice::from_ref(d)).await?,
        };
        usage
            .get(&self.id())
            .copied()
            .ok_or_else(|| ApiError::internal("the owner's limits are missing"))
    }
}

/// A limit as the API shows it: storage in GiB (rounded up).
fn shown_max(t: ResourceType, max: i64) -> i64 {
    if t.is_storage() && max > 0 {
        max / GIB + i64::from(max % GIB != 0)
    } else {
        max
    }
}

fn limit_obj(owner: &Owner, t: ResourceType, max: i64) -> Obj {
    owner.obj("resourcelimit", t).int("max", shown_max(t, max))
}

/// `resourcetype` and/or `resourcetypename`, which must then name the same type.
fn resource_type(args: &Args) -> Result<Option<ResourceType>, ApiError> {
    let by_number = match args.int("resourcetype") {
        Some(n) => Some(ResourceType::from_number(n).ok_or_else(|| {
            ApiError::param(format!(
                "Invalid parameter resourcetype value={n}: use a number from 0 to 11"
            ))
        })?),
        None => None,
    };
    let by_name = match args.str("resourcetypename") {
        Some(s) => Some(ResourceType::from_name(s).ok_or_else(|| {
            ApiError::param(format!(
                "Invalid parameter resourcetypename value={s}: use a name such as user_vm, \
                 template or secondary_storage"
            ))
        })?),
        None => None,
    };
    match (by_number, by_name) {
        (Some(a), Some(b)) if a != b => Err(ApiError::param(
            "Parameters resourcetype and resourcetypename name different resource types",
        )),
        (a, b) => Ok(a.or(b)),
    }
}

/// The account named by `account` + `domainid`, or the domain `domainid`; None when
/// neither is given. Access is checked.
async fn named_owner(
    c: &mut Conn<'_>,
    caller: &Caller,
    args: &Args,
) -> Result<Option<Owner>, ApiError> {
    let domain = match args.uuid("domainid") {
        Some(id) => Some(
            c.domain_by_uuid(id)
                .await?
                .ok_or_else(|| ApiError::not_found("domainid", id, "domain"))?,
        ),
        None => None,
    };
    match (args.str("account"), domain) {
        (Some(name), Some(d)) => {
            let a = c.account_by_name(d.id, name).await?.ok_or_else(|| {
                ApiError::param(format!(
                    "Unable to find account {name} in domain {}",
                    d.uuid
                ))
            })?;
            access::check_account(caller, &a)?;
            Ok(Some(Owner::Account(a)))
        }
        (Some(_), None) => Err(ApiError::param(
            "Parameter account must be given together with domainid",
        )),
        (None, Some(d)) => {
            access::check_domain(caller, &d)?;
            Ok(Some(Owner::Domain(d)))
        }
        (None, None) => Ok(None),
    }
}

async fn own_account(c: &mut Conn<'_>, caller: &Caller) -> Result<Owner, ApiError> {
    c.account_by_id(caller.account_id)
        .await?
        .map(Owner::Account)
        .ok_or_else(|| ApiError::internal("the caller's account is gone"))
}

pub async fn list_resource_limits(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let only = resource_type(&args)?;
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    // Users always get their own account's limits, as in CloudStack.
    let named = if ctx.caller.role_type == RoleType::User {
        None
    } else {
        named_owner(&mut c, &ctx.caller, &args).await?
    };
    let owner = match named {
        Some(o) => o,
        None => own_account(&mut c, &ctx.caller).await?,
    };
    let defaults = Defaults::from_settings(&ctx.engine.settings);
    let usage = owner.usage(&mut c, &defaults).await?;
    let keyword = args.str("keyword").map(str::to_lowercase);
    let items: Vec<Obj> = ResourceType::ALL
        .into_iter()
        .filter(|t| only.is_none_or(|o| o == *t))
        .filter(|t| {
            keyword
                .as_ref()
                .is_none_or(|k| t.name().contains(k.as_str()))
        })
        .map(|t| limit_obj(&owner, t, usage.limit(t)))
        .collect();
    let total = items.len();
    let skip = usize::try_from(page.offset).unwrap_or(usize::MAX);
    let take = page
        .limit
        .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
    Ok(Reply::list(
        total,
        items.into_iter().skip(skip).take(take).collect(),
    ))
}

pub async fn update_resource_limit(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let t = resource_type(&args)?
        .ok_or_else(|| ApiError::missing_param("updateResourceLimit", "resourcetype"))?;
    let max = args.int("max").unwrap_or(UNLIMITED);
    if max < UNLIMITED {
        return Err(ApiError::param(format!(
            "Invalid parameter max value={max}: use -1 for no limit, or a limit of at least 0"
        )));
    }
    let max = if t.is_storage() && max > 0 {
        max.checked_mul(GIB).ok_or_else(|| {
            ApiError::param(format!("Invalid parameter max value={max}: too large"))
        })?
    } else {
        max
    };
    let caller = &ctx.caller;
    let mut tx = ctx.engine.store.begin().await?;
    let mut c = tx.c();
    let owner = named_owner(&mut c, caller, &args).await?.ok_or_else(|| {
        ApiError::param("Specify the domain (domainid), or the account (account and domainid)")
    })?;
    match &owner {
        Owner::Account(a) => check_account_limit(caller, a, max)?,
        Owner::Domain(d) => check_domain_limit(&mut c, &ctx, d, t, max).await?,
    }
    c.set_resource_limit(owner.kind(), owner.id(), t.name(), max)
        .await?;
    tx.commit().await?;
    Ok(Reply::Object(limit_obj(&owner, t, max)))
}

fn check_account_limit(caller: &Caller, a: &AccountRow, max: i64) -> Result<(), ApiError> {
    if a.id == SYSTEM_ACCOUNT {
        return Err(ApiError::param(
            "The system account's limits cannot be changed",
        ));
    }
    if a.account_type == 1 && max != UNLIMITED {
        return Err(ApiError::param(format!(
            "Account {} is a root admin account: its limits can only be -1 (unlimited)",
            a.name
        )));
    }
    if caller.is_domain_admin() && a.id == caller.account_id {
        return Err(ApiError::permission(
            "A domain admin cannot change the limits of its own account",
        ));
    }
    Ok(())
}

/// Who may limit a domain, and how far: never ROOT, never one's own domain, and never
/// above the limit of the domain above.
async fn check_domain_limit(
    c: &mut Conn<'_>,
    ctx: &Ctx,
    d: &DomainRow,
    t: ResourceType,
    max: i64,
) -> Result<(), ApiError> {
    if d.parent_id.is_none() {
        return Err(ApiError::permission(
            "The ROOT domain has no limits; they cannot be changed",
        ));
    }
    if ctx.caller.is_domain_admin() && d.id == ctx.caller.domain_id {
        return Err(ApiError::permission(
            "A domain admin cannot change the limits of its own domain",
        ));
    }
    let Some(parent) = limits::parent_path(&d.path) else {
        return Ok(());
    };
    let defaults = Defaults::from_settings(&ctx.engine.settings);
    let set = DomainLimits::new(c.domain_limits_above(&[d.id]).await?);
    let above = set.limit(&defaults, parent, t);
    if above != UNLIMITED && max > above {
        return Err(ApiError::param(format!(
            "Invalid parameter max: the domain above {} allows at most {} of resource type \
             '{}'",
            d.display_path(),
            shown_max(t, above),
            t.name()
        )));
    }
    Ok(())
}

pub async fn update_resource_count(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let types = match resource_type(&args)? {
        Some(t) => vec![t],
        None => ResourceType::ALL.to_vec(),
    };
    let mut tx = ctx.engine.store.begin().await?;
    let mut c = tx.c();
    let owner = named_owner(&mut c, &ctx.caller, &args)
        .await?
        .ok_or_else(|| ApiError::missing_param("updateResourceCount", "domainid"))?;
    match &owner {
        Owner::Account(a) => limits::recount_account(&mut c, a.id, &types).await?,
        Owner::Domain(d) => limits::recount_domain(&mut c, &d.path, &types).await?,
    }
    let counts = c.resource_counts(owner.kind(), &[owner.id()]).await?;
    tx.commit().await?;
    let items: Vec<Obj> = types
        .into_iter()
        .map(|t| {
            let n = counts
                .iter()
                .find(|(_, name, _)| name == t.name())
                .map_or(0, |(_, _, n)| *n);
            owner.obj("resourcecount", t).int("resourcecount", n)
        })
        .collect();
    Ok(Reply::list(items.len(), items))
}
