//! updateResourceCount: counts rebuilt from the rows that really exist.
//!
//! An account's count of a type is recounted from its table when [`COUNTERS`] has a line
//! for the type; other types keep their stored counts until their tables exist. A
//! domain's count is then the sum over the live accounts of its subtree.

use std::future::Future;
use std::pin::Pin;

use strato_common::ApiError;
use strato_schema::resource_limit::{ACCOUNT, DOMAIN};
use strato_schema::{Conn, StoreError};

use super::ResourceType;

type Counted<'a> = Pin<Box<dyn Future<Output = Result<i64, StoreError>> + Send + 'a>>;

/// Counts what an account (by id) owns of one type.
type Counter = for<'a, 'c> fn(&'a mut Conn<'c>, i64) -> Counted<'a>;

/// The types counted from their tables. A new resource plugs in with one line.
const COUNTERS: &[(ResourceType, Counter)] = &[
    // Templates and ISOs alike, as CloudStack counts them.
    (ResourceType::Template, |c, a| {
        Box::pin(c.account_template_count(a))
    }),
    // Template and volume copies in image stores.
    (ResourceType::SecondaryStorage, |c, a| {
        Box::pin(async move {
            Ok(c.account_template_bytes(a).await? + c.account_volume_copy_bytes(a).await?)
        })
    }),
];

async fn recount_own(
    c: &mut Conn<'_>,
    account_id: i64,
    types: &[ResourceType],
) -> Result<(), ApiError> {
    for (t, count) in COUNTERS {
        if types.contains(t) {
            let n = count(c, account_id).await?;
            c.set_resource_count(ACCOUNT, account_id, t.name(), n)
                .await?;
        }
    }
    Ok(())
}

/// Sets a domain's counts to the sums over the live accounts of its subtree.
async fn resum(
    c: &mut Conn<'_>,
    domain_id: i64,
    path: &str,
    types: &[ResourceType],
) -> Result<(), ApiError> {
    let sums = c.subtree_account_counts(path).await?;
    for t in types {
        let n = sums
            .iter()
            .find(|(name, _)| name == t.name())
            .map_or(0, |(_, n)| *n);
        c.set_resource_count(DOMAIN, domain_id, t.name(), n).await?;
    }
    Ok(())
}

/// Recounts an account, then the domains above it. Run it in a transaction.
pub async fn recount_account(
    c: &mut Conn<'_>,
    account_id: i64,
    types: &[ResourceType],
) -> Result<(), ApiError> {
    c.lock_resource_counts().await?;
    recount_own(c, account_id, types).await?;
    for d in c.account_domain_chain(account_id).await? {
        resum(c, d.id, &d.path, types).await?;
    }
    Ok(())
}

/// Recounts every live account of a domain's subtree, then every domain of the subtree
/// and the domains above it. Run it in a transaction.
pub async fn recount_domain(
    c: &mut Conn<'_>,
    path: &str,
    types: &[ResourceType],
) -> Result<(), ApiError> {
    c.lock_resource_counts().await?;
    for a in c.accounts_in_subtree(path).await? {
        recount_own(c, a.id, types).await?;
    }
    for (id, path) in c.domains_around(path).await? {
        resum(c, id, &path, types).await?;
    }
    Ok(())
}
