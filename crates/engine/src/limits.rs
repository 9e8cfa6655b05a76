//! Resource limits and counts, as CloudStack's resource limit service keeps them: the
//! resource types, the limit that applies to an account or a domain, and [`reserve`] /
//! [`release`], which the rest of the engine calls inside its own transaction when it
//! creates or removes something that counts.
//!
//! What an account uses is counted on the account and on every domain above it, ROOT
//! included. A reservation must fit the account's limit (its own, else `max.account.*`;
//! root admins are never limited) and every domain's (its own, else the nearest one set
//! on a domain above it, else `max.domain.*`; ROOT is unlimited). Each count moves by one
//! conditional UPDATE, so concurrent reservations can never overshoot a limit on either
//! backend. Projects will own resources through a project account (type 5), whose
//! defaults are `max.project.*`.

mod recount;
mod usage;

use std::collections::HashMap;

use strato_common::{ApiError, ErrorCode};
use strato_schema::Conn;
use strato_schema::domain::display_path;
use strato_schema::resource_limit::{ACCOUNT, DOMAIN, DomainLimitRow};

use crate::settings::{Settings, catalog};

pub use recount::{recount_account, recount_domain};
pub use usage::{Usage, account_usage, domain_usage};

/// The limit value that means "no limit".
pub const UNLIMITED: i64 = -1;
/// Storage is counted in bytes; limits are set and shown in GiB.
pub const GIB: i64 = 1 << 30;
/// Account type of root admins, whom no limit applies to.
const ROOT_ADMIN: i64 = 1;
/// Account type of a project's account.
const PROJECT: i64 = 5;
/// `cserrorcode` of CloudStack's ResourceAllocationException.
const CS_RESOURCE_ALLOCATION: i32 = 4370;

/// CloudStack's resource types, in its numbering (`resourcetype`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceType {
    UserVm,
    PublicIp,
    Volume,
    Snapshot,
    Template,
    Project,
    Network,
    Vpc,
    Cpu,
    Memory,
    PrimaryStorage,
    SecondaryStorage,
}

/// Per type: name (`resourcetypename`), `max.*.<suffix>` setting, response field prefix.
const TYPES: [(ResourceType, &str, &str, &str); 12] = [
    (ResourceType::UserVm, "user_vm", "user.vms", "vm"),
    (ResourceType::PublicIp, "public_ip", "public.ips", "ip"),
    (ResourceType::Volume, "volume", "volumes", "volume"),
    (ResourceType::Snapshot, "snapshot", "snapshots", "snapshot"),
    (ResourceType::Template, "template", "templates", "template"),
    (ResourceType::Project, "project", "projects", "project"),
    (ResourceType::Network, "network", "networks", "network"),
    (ResourceType::Vpc, "vpc", "vpcs", "vpc"),
    (ResourceType::Cpu, "cpu", "cpus", "cpu"),
    (ResourceType::Memory, "memory", "memory", "memory"),
    (
        ResourceType::PrimaryStorage,
        "primary_storage",
        "primary.storage",
        "primarystorage",
    ),
    (
        ResourceType::SecondaryStorage,
        "secondary_storage",
        "secondary.storage",
        "secondarystorage",
    ),
];

impl ResourceType {
    pub const ALL: [ResourceType; 12] = [
        ResourceType::UserVm,
        ResourceType::PublicIp,
        ResourceType::Volume,
        ResourceType::Snapshot,
        ResourceType::Template,
        ResourceType::Project,
        ResourceType::Network,
        ResourceType::Vpc,
        ResourceType::Cpu,
        ResourceType::Memory,
        ResourceType::PrimaryStorage,
        ResourceType::SecondaryStorage,
    ];

    fn index(self) -> usize {
        self as usize
    }

    /// CloudStack's number of the type (0 user_vm … 11 secondary_storage).
    pub fn number(self) -> i64 {
        self as i64
    }

    pub fn from_number(n: i64) -> Option<ResourceType> {
        usize::try_from(n)
            .ok()
            .and_then(|i| Self::ALL.get(i))
            .copied()
    }

    /// CloudStack's name of the type (`user_vm`, `secondary_storage`, …).
    pub fn name(self) -> &'static str {
        TYPES[self.index()].1
    }

    pub fn from_name(name: &str) -> Option<ResourceType> {
        TYPES
            .iter()
            .find(|t| t.1.eq_ignore_ascii_case(name.trim()))
            .map(|t| t.0)
    }

    fn setting(self) -> &'static str {
        TYPES[self.index()].2
    }

    /// Prefix of the account and domain response fields (`vmlimit`, `vmtotal`, …).
    pub fn field_prefix(self) -> &'static str {
        TYPES[self.index()].3
    }

    /// Counted in bytes, set and shown in GiB.
    pub fn is_storage(self) -> bool {
        matches!(
            self,
            ResourceType::PrimaryStorage | ResourceType::SecondaryStorage
        )
    }
}

/// The `max.account.*`, `max.domain.*` and `max.project.*` defaults, in counting units
/// (bytes for storage).
#[derive(Clone, Debug)]
pub struct Defaults {
    account: [i64; 12],
    domain: [i64; 12],
    project: [i64; 12],
}

impl Defaults {
    /// From this server's settings cache (for responses).
    pub fn from_settings(s: &Settings) -> Defaults {
        Self::read(|name| s.get(name))
    }

    /// As stored right now, read through the caller's connection (for enforcement, so
    /// every server applies a changed default at once).
    pub async fn load(c: &mut Conn<'_>) -> Result<Defaults, ApiError> {
        let stored: HashMap<String, String> = c.limit_settings().await?.into_iter().collect();
        Ok(Self::read(|name| {
            stored.get(name).cloned().unwrap_or_else(|| {
                catalog::find(name)
                    .map(|d| d.default.to_string())
                    .unwrap_or_default()
            })
        }))
    }

    fn read(get: impl Fn(&str) -> String) -> Defaults {
        let one = |scope: &str, t: ResourceType| {
            let name = format!("max.{scope}.{}", t.setting());
            let value = get(&name)
                .trim()
                .parse::<i64>()
                .ok()
                .or_else(|| catalog::find(&name).and_then(|d| d.default.trim().parse().ok()));
            match value {
                Some(v) if v >= 0 && t.is_storage() => v.saturating_mul(GIB),
                Some(v) if v >= 0 => v,
                // Unset (max.project.projects does not exist) or negative: no limit.
                _ => UNLIMITED,
            }
        };
        Defaults {
            account: ResourceType::ALL.map(|t| one("account", t)),
            domain: ResourceType::ALL.map(|t| one("domain", t)),
            project: ResourceType::ALL.map(|t| one("project", t)),
        }
    }

    /// The limit of `t` of an account of `account_type` whose own limit is `set`.
    pub fn account_limit(&self, account_type: i64, set: Option<i64>, t: ResourceType) -> i64 {
        if account_type == ROOT_ADMIN {
            return UNLIMITED;
        }
        set.unwrap_or(match account_type {
            PROJECT => self.project[t.index()],
            _ => self.account[t.index()],
        })
    }
}

/// Limits set on domains, by domain path, to find the one that applies to a domain.
#[derive(Clone, Debug, Default)]
pub struct DomainLimits(HashMap<String, HashMap<ResourceType, i64>>);

impl DomainLimits {
    pub fn new(rows: Vec<DomainLimitRow>) -> DomainLimits {
        let mut map: HashMap<String, HashMap<ResourceType, i64>> = HashMap::new();
        for r in rows {
            if let Some(t) = ResourceType::from_name(&r.resource_type) {
                map.entry(r.path).or_default().insert(t, r.max_value);
            }
        }
        DomainLimits(map)
    }

    /// The limit of `t` of the domain at `path`: its own, else the nearest one set on a
    /// domain above it (below ROOT), else the default. ROOT is never limited.
    pub fn limit(&self, defaults: &Defaults, path: &str, t: ResourceType) -> i64 {
        let mut p = path;
        while let Some(parent) = parent_path(p) {
            if let Some(v) = self.0.get(p).and_then(|m| m.get(&t)) {
                return *v;
            }
            p = parent;
        }
        if path == "/" {
            UNLIMITED
        } else {
            defaults.domain[t.index()]
        }
    }
}

/// `/A/B/` → `/A/`; ROOT (`/`) has no parent.
pub fn parent_path(path: &str) -> Option<&str> {
    let inner = path.strip_suffix('/')?;
    let cut = inner.rfind('/')?;
    Some(&path[..=cut])
}

/// Sorted by type (so every writer takes the count rows in the same order), duplicates
/// summed, zeros dropped.
fn merged(wants: &[(ResourceType, i64)]) -> Result<Vec<(ResourceType, i64)>, ApiError> {
    let mut out: Vec<(ResourceType, i64)> = Vec::new();
    for &(t, n) in wants {
        if n < 0 {
            return Err(ApiError::internal(format!(
                "a negative amount of {} was reserved or released",
                t.name()
            )));
        }
        match out.iter_mut().find(|(u, _)| *u == t) {
            Some((_, sum)) => *sum = sum.saturating_add(n),
            None => out.push((t, n)),
        }
    }
    out.retain(|(_, n)| *n > 0);
    out.sort();
    Ok(out)
}

/// One count row a reservation moves.
struct Step<'a> {
    owner_type: &'static str,
    owner_id: i64,
    /// How the error names the owner.
    owner: &'a str,
    t: ResourceType,
    amount: i64,
    limit: i64,
}

/// Counts `wants` against the account and every domain above it, within the caller's
/// transaction. Fails with CloudStack's ResourceAllocationException (535) when any
/// limit would be exceeded, and then has changed nothing.
pub async fn reserve(
    c: &mut Conn<'_>,
    account_id: i64,
    wants: &[(ResourceType, i64)],
) -> Result<(), ApiError> {
    let wants = merged(wants)?;
    if wants.is_empty() {
        return Ok(());
    }
    let account = c
        .account_by_id(account_id)
        .await?
        .ok_or_else(|| ApiError::internal(format!("account {account_id} does not exist")))?;
    let chain = c.account_domain_chain(account_id).await?;
    let limited = account.account_type != ROOT_ADMIN;
    let (defaults, own, domain_limits) = if limited {
        let own: HashMap<String, i64> = c
            .resource_limits(ACCOUNT, &[account_id])
            .await?
            .into_iter()
            .map(|l| (l.resource_type, l.max_value))
            .collect();
        let above = c.domain_limits_above(&[account.domain_id]).await?;
        (
            Some(Defaults::load(c).await?),
            own,
            DomainLimits::new(above),
        )
    } else {
        Default::default()
    };
    let account_label = format!(
        "account {} in domain {}",
        account.name,
        display_path(&account.domain_path)
    );
    let domain_labels: Vec<String> = chain
        .iter()
        .map(|d| format!("domain {}", display_path(&d.path)))
        .collect();
    let mut steps = Vec::new();
    for &(t, amount) in &wants {
        let limit = defaults.as_ref().map_or(UNLIMITED, |d| {
            d.account_limit(account.account_type, own.get(t.name()).copied(), t)
        });
        steps.push(Step {
            owner_type: ACCOUNT,
            owner_id: account_id,
            owner: &account_label,
            t,
            amount,
            limit,
        });
    }
    for (d, label) in chain.iter().zip(&domain_labels) {
        for &(t, amount) in &wants {
            let limit = defaults
                .as_ref()
                .map_or(UNLIMITED, |x| domain_limits.limit(x, &d.path, t));
            steps.push(Step {
                owner_type: DOMAIN,
                owner_id: d.id,
                owner: label,
                t,
                amount,
                limit,
            });
        }
    }
    let rows: Vec<(&str, i64, &str)> = steps
        .iter()
        .map(|s| (s.owner_type, s.owner_id, s.t.name()))
        .collect();
    c.open_resource_counts(&rows).await?;
    let changes: Vec<_> = steps
        .iter()
        .map(|s| (s.owner_type, s.owner_id, s.t.name(), s.amount, s.limit))
        .collect();
    let counted = c.add_resource_counts(&changes).await?;
    let is_counted = |s: &Step<'_>| {
        counted
            .iter()
            .any(|(o, id, t)| o == s.owner_type && *id == s.owner_id && t == s.t.name())
    };
    let Some(over) = steps.iter().find(|s| !is_counted(s)) else {
        return Ok(());
    };
    // Undo what went through: the caller may go on with its transaction (or need not
    // have one).
    let undo: Vec<_> = steps
        .iter()
        .filter(|s| is_counted(s))
        .map(|s| (s.owner_type, s.owner_id, s.t.name(), s.amount))
        .collect();
    c.take_resource_counts(&undo).await?;
    Err(exceeded(c, over).await?)
}

async fn exceeded(c: &mut Conn<'_>, s: &Step<'_>) -> Result<ApiError, ApiError> {
    let used = c
        .resource_counts(s.owner_type, &[s.owner_id])
        .await?
        .into_iter()
        .find(|(_, t, _)| t == s.t.name())
        .map_or(0, |(_, _, n)| n);
    Ok(ApiError::new(
        ErrorCode::ResourceAllocation,
        Some(CS_RESOURCE_ALLOCATION),
        format!(
            "The limit of resource type '{}' of {} would be exceeded: {} in use, {} more \
             requested, at most {} allowed",
            s.t.name(),
            s.owner,
            amount(s.t, used),
            amount(s.t, s.amount),
            amount(s.t, s.limit)
        ),
    ))
}

fn amount(t: ResourceType, n: i64) -> String {
    if t.is_storage() {
        format!("{n} bytes")
    } else {
        n.to_string()
    }
}

/// Gives back what [`reserve`] counted, on the account and every domain above it (never
/// below zero). Works for removed accounts too.
pub async fn release(
    c: &mut Conn<'_>,
    account_id: i64,
    wants: &[(ResourceType, i64)],
) -> Result<(), ApiError> {
    let wants = merged(wants)?;
    if wants.is_empty() {
        return Ok(());
    }
    let chain = c.account_domain_chain(account_id).await?;
    let owners = std::iter::once((ACCOUNT, account_id)).chain(chain.iter().map(|d| (DOMAIN, d.id)));
    let takes: Vec<_> = owners
        .flat_map(|(o, id)| wants.iter().map(move |&(t, n)| (o, id, t.name(), n)))
        .collect();
    c.take_resource_counts(&takes).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_follow_cloudstack_numbering() {
        assert_eq!(ResourceType::ALL.len(), TYPES.len());
        for (i, t) in ResourceType::ALL.iter().enumerate() {
            assert_eq!(TYPES[i].0, *t);
            assert_eq!(t.number(), i as i64);
            assert_eq!(ResourceType::from_number(t.number()), Some(*t));
            assert_eq!(ResourceType::from_name(t.name()), Some(*t));
        }
        assert_eq!(ResourceType::Template.number(), 4);
        assert_eq!(ResourceType::SecondaryStorage.name(), "secondary_storage");
        assert_eq!(ResourceType::from_number(12), None);
        assert_eq!(ResourceType::from_number(-1), None);
        assert_eq!(
            ResourceType::from_name("USER_VM"),
            Some(ResourceType::UserVm)
        );
    }

    #[test]
    fn defaults_come_from_settings_in_counting_units() {
        let d = Defaults::read(|name| match name {
            "max.account.templates" => "3".into(),
            "max.domain.volumes" => "-1".into(),
            "max.account.cpus" => "garbage".into(),
            _ => String::new(),
        });
        assert_eq!(d.account_limit(0, None, ResourceType::Template), 3);
        assert_eq!(d.account_limit(0, Some(7), ResourceType::Template), 7);
        assert_eq!(
            d.account_limit(1, Some(7), ResourceType::Template),
            UNLIMITED
        );
        // Unparsable or unset values fall back to the catalog's defaults.
        assert_eq!(d.account_limit(0, None, ResourceType::Cpu), 40);
        assert_eq!(
            d.account_limit(0, None, ResourceType::SecondaryStorage),
            400 * GIB
        );
        assert_eq!(d.account_limit(5, None, ResourceType::UserVm), 20);
        assert_eq!(d.account_limit(5, None, ResourceType::Project), UNLIMITED);
        assert_eq!(d.domain[ResourceType::Volume.index()], UNLIMITED);
    }

    #[test]
    fn domains_inherit_the_nearest_limit_below_root() {
        let defaults = Defaults::read(|_| String::new());
        let row = |path: &str, max| DomainLimitRow {
            path: path.into(),
            resource_type: "template".into(),
            max_value: max,
        };
        let limits = DomainLimits::new(vec![row("/", 1), row("/A/", 5), row("/A/B/C/", 2)]);
        let t = ResourceType::Template;
        assert_eq!(limits.limit(&defaults, "/", t), UNLIMITED);
        assert_eq!(limits.limit(&defaults, "/A/", t), 5);
        assert_eq!(limits.limit(&defaults, "/A/B/", t), 5);
        assert_eq!(limits.limit(&defaults, "/A/B/C/", t), 2);
        assert_eq!(limits.limit(&defaults, "/X/", t), 40);
        assert_eq!(limits.limit(&defaults, "/X/", ResourceType::Volume), 40);
        assert_eq!(parent_path("/"), None);
        assert_eq!(parent_path("/A/B/"), Some("/A/"));
    }

    #[test]
    fn wants_are_merged_sorted_and_never_negative() {
        let m = merged(&[
            (ResourceType::SecondaryStorage, 5),
            (ResourceType::Template, 1),
            (ResourceType::SecondaryStorage, 2),
            (ResourceType::Volume, 0),
        ])
        .expect("valid");
        assert_eq!(
            m,
            vec![
                (ResourceType::Template, 1),
                (ResourceType::SecondaryStorage, 7)
            ]
        );
        assert!(merged(&[(ResourceType::Cpu, -1)]).is_err());
    }
}
