//! The source NAT address of an Isolated network: a free public address of its zone,
//! taken with a conditional UPDATE (Free → Allocated) so two networks never get the same.

use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::network::{HeldIpRow, NetworkRow};

use super::{MAX_ATTEMPTS, insufficient_address_capacity};

/// Candidates read per round; the conditional UPDATE decides who gets each.
const BATCH: i64 = 16;

/// The network's source NAT address, taking one if it holds none; true when it was
/// taken by this call.
pub async fn take(c: &mut Conn<'_>, n: &NetworkRow) -> Result<(HeldIpRow, bool), ApiError> {
    if let Some(ip) = c.source_nat_ip(n.id).await? {
        return Ok((ip, false));
    }
    for _ in 0..MAX_ATTEMPTS {
        let candidates = c
            .free_public_ips(n.zone_id, n.account_id, n.domain_id, BATCH)
            .await?;
        if candidates.is_empty() {
            return Err(insufficient_address_capacity(format!(
                "Insufficient address capacity: no free public IP address in zone {} for the \
                 source NAT of network {}",
                n.zone_name, n.uuid
            )));
        }
        for ip in candidates {
            let now = strato_schema::now();
            if c.take_source_nat_ip(ip.id, n.account_id, n.domain_id, n.id, now)
                .await?
            {
                return Ok((ip, true));
            }
        }
    }
    Err(crate::handlers::concurrent_change(&format!(
        "The public addresses of zone {}",
        n.zone_name
    )))
}
