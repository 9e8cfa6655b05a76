//! Limits and counts of pages of accounts and domains, for their responses: a fixed
//! number of queries per page, whatever its size.

use std::collections::HashMap;

use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::account::AccountRow;
use strato_schema::domain::DomainRow;
use strato_schema::resource_limit::{ACCOUNT, DOMAIN, UsageRow};

use super::{Defaults, DomainLimits, ResourceType};

/// The limit and the count of every resource type of one owner, in counting units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usage {
    pub limit: [i64; 12],
    pub count: [i64; 12],
}

impl Usage {
    pub fn limit(&self, t: ResourceType) -> i64 {
        self.limit[t.index()]
    }

    pub fn count(&self, t: ResourceType) -> i64 {
        self.count[t.index()]
    }
}

/// Own limits and counts per owner, from [`Conn::resource_usage`].
fn by_owner(rows: Vec<UsageRow>) -> HashMap<i64, (HashMap<ResourceType, i64>, [i64; 12])> {
    let mut out: HashMap<i64, (HashMap<ResourceType, i64>, [i64; 12])> = HashMap::new();
    for r in rows {
        let Some(t) = ResourceType::from_name(&r.resource_type) else {
            continue;
        };
        let entry = out.entry(r.owner_id).or_default();
        if let Some(max) = r.max_value {
            entry.0.insert(t, max);
        }
        if let Some(n) = r.count {
            entry.1[t.index()] = n;
        }
    }
    out
}

/// Usage of each account, by account id (one query).
pub async fn account_usage(
    c: &mut Conn<'_>,
    defaults: &Defaults,
    accounts: &[AccountRow],
) -> Result<HashMap<i64, Usage>, ApiError> {
    let ids: Vec<i64> = accounts.iter().map(|a| a.id).collect();
    let mut own = by_owner(c.resource_usage(ACCOUNT, &ids).await?);
    Ok(accounts
        .iter()
        .map(|a| {
            let (set, count) = own.remove(&a.id).unwrap_or_default();
            let limit = ResourceType::ALL
                .map(|t| defaults.account_limit(a.account_type, set.get(&t).copied(), t));
            (a.id, Usage { limit, count })
        })
        .collect())
}

/// Usage of each domain, by domain id (two queries: the domains' counts, and the limits
/// set on them or above them).
pub async fn domain_usage(
    c: &mut Conn<'_>,
    defaults: &Defaults,
    domains: &[DomainRow],
) -> Result<HashMap<i64, Usage>, ApiError> {
    let ids: Vec<i64> = domains.iter().map(|d| d.id).collect();
    let counts = c.resource_counts(DOMAIN, &ids).await?;
    let limits = DomainLimits::new(c.domain_limits_above(&ids).await?);
    let mut out: HashMap<i64, Usage> = domains
        .iter()
        .map(|d| {
            let limit = ResourceType::ALL.map(|t| limits.limit(defaults, &d.path, t));
            (
                d.id,
                Usage {
                    limit,
                    count: [0; 12],
                },
            )
        })
        .collect();
    for (id, name, n) in counts {
        if let (Some(u), Some(t)) = (out.get_mut(&id), ResourceType::from_name(&name)) {
            u.count[t.index()] = n;
        }
    }
    Ok(out)
}
