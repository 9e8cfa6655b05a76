//! Guest networks, the guest VLAN/VNI numbers they hold (`guest_vnet`) and the public
//! addresses they take as source NAT (rows of `public_ip`).

use chrono::{DateTime, Utc};

use crate::sql::{Bind, Page, Sql};
use crate::vlan::IP_FREE;
use crate::{Conn, Result, on_conn};

/// State of a public address held by an account.
pub const IP_ALLOCATED: &str = "Allocated";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct NetworkRow {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub display_text: String,
    pub zone_id: i64,
    pub zone_uuid: String,
    pub zone_name: String,
    pub zone_dns1: String,
    pub zone_dns2: Option<String>,
    pub physical_network_id: Option<i64>,
    pub physical_network_uuid: Option<String>,
    pub network_offering_id: i64,
    pub offering_uuid: String,
    pub offering_name: String,
    pub offering_display_text: String,
    pub offering_availability: String,
    pub offering_conserve_mode: bool,
    pub offering_specify_vlan: bool,
    pub offering_specify_ip_ranges: bool,
    pub offering_is_persistent: bool,
    pub offering_egress_default_policy: bool,
    pub offering_redundant_router: bool,
    pub offering_system_only: bool,
    pub guest_type: String,
    pub traffic_type: String,
    pub acl_type: String,
    pub account_id: i64,
    pub account_name: String,
    pub domain_id: i64,
    pub domain_uuid: String,
    pub domain_name: String,
    pub domain_path: String,
    pub subdomain_access: Option<bool>,
    pub cidr: Option<String>,
    pub gateway: Option<String>,
    pub netmask: Option<String>,
    pub start_ip: Option<String>,
    pub end_ip: Option<String>,
    pub broadcast_domain_type: String,
    pub broadcast_uri: Option<String>,
    pub network_domain: Option<String>,
    pub dns1: Option<String>,
    pub dns2: Option<String>,
    pub state: String,
    pub display_network: bool,
    pub created: DateTime<Utc>,
    pub update_count: i64,
}

const SELECT: &str = "SELECT n.id, n.uuid, n.name, n.display_text, n.zone_id, \
     z.uuid AS zone_uuid, z.name AS zone_name, z.dns1 AS zone_dns1, z.dns2 AS zone_dns2, \
     n.physical_network_id, pn.uuid AS physical_network_uuid, n.network_offering_id, \
     nof.uuid AS offering_uuid, nof.name AS offering_name, \
     nof.display_text AS offering_display_text, nof.availability AS offering_availability, \
     nof.conserve_mode AS offering_conserve_mode, nof.specify_vlan AS offering_specify_vlan, \
     nof.specify_ip_ranges AS offering_specify_ip_ranges, \
     nof.is_persistent AS offering_is_persistent, \
     nof.egress_default_policy AS offering_egress_default_policy, \
     nof.redundant_router AS offering_redundant_router, \
     nof.system_only AS offering_system_only, n.guest_type, n.traffic_type, n.acl_type, \
     n.account_id, a.name AS account_name, n.domain_id, d.uuid AS domain_uuid, \
     d.name AS domain_name, d.path AS domain_path, n.subdomain_access, n.cidr, n.gateway, \
     n.netmask, n.start_ip, n.end_ip, n.broadcast_domain_type, n.broadcast_uri, \
     n.network_domain, n.dns1, n.dns2, n.state, n.display_network, n.created, n.update_count";

const FROM: &str = " FROM network n JOIN zone z ON z.id = n.zone_id \
     JOIN network_offering nof ON nof.id = n.network_offering_id \
     JOIN account a ON a.id = n.account_id JOIN domain d ON d.id = n.domain_id \
     LEFT JOIN physical_network pn ON pn.id = n.physical_network_id \
     WHERE n.removed IS NULL";

/// Whose networks a list shows. Account networks are matched by their owner; Domain
/// (shared) networks by their domain, and optionally by being usable from a domain.
#[derive(Clone, Debug, Default)]
pub struct NetworkOwners {
    /// Account networks of this account only.
    pub account_id: Option<i64>,
    /// Networks of this domain (not its sub-domains).
    pub domain_id: Option<i64>,
    /// Networks whose domain path starts with this.
    pub subtree: Option<String>,
    /// Leave out root admins' account networks, except this account's.
    pub hide_root_admins_except: Option<i64>,
    /// Also Domain networks usable from this domain path: its own domain's, and those
    /// of domains above it that grant sub-domain access.
    pub usable_from: Option<String>,
}

impl NetworkOwners {
    fn apply(&self, sql: &mut Sql) {
        sql.push(" AND ((n.acl_type = 'Account'");
        if let Some(id) = self.account_id {
            sql.and("n.account_id = ?", Bind::I64(id));
        }
        self.domain_conditions(sql);
        if let Some(own) = self.hide_root_admins_except {
            sql.push(" AND (");
            sql.push_bind("a.account_type <> 1 OR a.id = ?", [Bind::I64(own)]);
            sql.push(")");
        }
        sql.push(") OR (n.acl_type = 'Domain' AND (");
        if self.account_id.is_some() {
            // One account's view: only the shared networks it may use.
            sql.push("1 = 0");
        } else {
            sql.push("1 = 1");
            self.domain_conditions(sql);
        }
        if let Some(p) = &self.usable_from {
            sql.push_bind(
                " OR d.path = ? OR (n.subdomain_access = TRUE \
                 AND substr(?, 1, length(d.path)) = d.path)",
                [Bind::Str(p.clone()), Bind::Str(p.clone())],
            );
        }
        sql.push(")))");
    }

    fn domain_conditions(&self, sql: &mut Sql) {
        if let Some(id) = self.domain_id {
            sql.and("n.domain_id = ?", Bind::I64(id));
        }
        if let Some(p) = &self.subtree {
            sql.and_prefix("d.path", p);
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct NetworkFilter {
    pub owners: Option<NetworkOwners>,
    pub uuid: Option<String>,
    pub zone_id: Option<i64>,
    pub physical_network_id: Option<i64>,
    pub offering_id: Option<i64>,
    pub guest_type: Option<String>,
    pub traffic_type: Option<String>,
    pub acl_type: Option<String>,
    pub name: Option<String>,
    pub keyword: Option<String>,
    pub display_network: Option<bool>,
    pub system_only: Option<bool>,
    pub specify_ip_ranges: Option<bool>,
    /// Broadcast URIs to match (e.g. `vlan://100` and `vxlan://100`).
    pub broadcast_uris: Vec<String>,
    /// Only networks in one of these states (empty: any).
    pub states: Vec<String>,
    /// Only networks in none of these states.
    pub not_states: Vec<String>,
    /// Only networks whose offering has every one of these services.
    pub services: Vec<String>,
    /// Matches nothing (a filter no network can satisfy, e.g. `forvpc=true`).
    pub none: bool,
}

impl NetworkFilter {
    fn apply(&self, sql: &mut Sql) {
        if self.none {
            sql.push(" AND 1 = 0");
        }
        if let Some(o) = &self.owners {
            o.apply(sql);
        }
        if let Some(u) = &self.uuid {
            sql.and("n.uuid = ?", Bind::Str(u.clone()));
        }
        for (column, v) in [
            ("n.zone_id", self.zone_id),
            ("n.physical_network_id", self.physical_network_id),
            ("n.network_offering_id", self.offering_id),
        ] {
            if let Some(v) = v {
                sql.and(&format!("{column} = ?"), Bind::I64(v));
            }
        }
        for (column, v) in [
            ("n.guest_type", &self.guest_type),
            ("n.traffic_type", &self.traffic_type),
            ("n.acl_type", &self.acl_type),
        ] {
            if let Some(v) = v {
                sql.and(&format!("lower({column}) = ?"), Bind::Str(v.to_lowercase()));
            }
        }
        if let Some(n) = &self.name {
            sql.and("n.name = ?", Bind::Str(n.clone()));
        }
        if let Some(k) = &self.keyword {
            let pattern = crate::domain::like(k);
            sql.push(" AND ");
            sql.push_bind(
                "(lower(n.name) LIKE ? OR lower(n.display_text) LIKE ?)",
                [Bind::Str(pattern.clone()), Bind::Str(pattern)],
            );
        }
        for (column, v) in [
            ("n.display_network", self.display_network),
            ("nof.system_only", self.system_only),
            ("nof.specify_ip_ranges", self.specify_ip_ranges),
        ] {
            if let Some(v) = v {
                sql.and(&format!("{column} = ?"), Bind::Bool(v));
            }
        }
        if !self.broadcast_uris.is_empty() {
            sql.and_in(
                "n.broadcast_uri",
                self.broadcast_uris.iter().cloned().map(Bind::Str).collect(),
            );
        }
        if !self.states.is_empty() {
            sql.and_in(
                "n.state",
                self.states.iter().cloned().map(Bind::Str).collect(),
            );
        }
        for s in &self.not_states {
            sql.and("n.state <> ?", Bind::Str(s.clone()));
        }
        for s in &self.services {
            sql.push(" AND EXISTS");
            sql.push_bind(
                " (SELECT 1 FROM network_offering_service s \
                 WHERE s.network_offering_id = n.network_offering_id AND lower(s.service) = ?)",
                [Bind::Str(s.to_lowercase())],
            );
        }
    }
}

pub struct NewNetwork<'a> {
    pub uuid: &'a str,
    pub name: &'a str,
    pub display_text: &'a str,
    pub zone_id: i64,
    pub physical_network_id: Option<i64>,
    pub network_offering_id: i64,
    pub guest_type: &'a str,
    pub traffic_type: &'a str,
    pub acl_type: &'a str,
    pub account_id: i64,
    pub domain_id: i64,
    pub subdomain_access: Option<bool>,
    pub cidr: Option<&'a str>,
    pub gateway: Option<&'a str>,
    pub netmask: Option<&'a str>,
    pub start_ip: Option<&'a str>,
    pub end_ip: Option<&'a str>,
    pub broadcast_domain_type: &'a str,
    pub broadcast_uri: Option<&'a str>,
    pub network_domain: Option<&'a str>,
    pub dns1: Option<&'a str>,
    pub dns2: Option<&'a str>,
    pub state: &'a str,
    pub display_network: bool,
}

/// A public address held by a network.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct HeldIpRow {
    pub id: i64,
    pub uuid: String,
    pub address: String,
}

impl Conn<'_> {
    pub async fn insert_network(&mut self, n: &NewNetwork<'_>, now: DateTime<Utc>) -> Result<i64> {
        const SQL: &str = "INSERT INTO network (uuid, name, display_text, zone_id, \
             physical_network_id, network_offering_id, guest_type, traffic_type, acl_type, \
             account_id, domain_id, subdomain_access, cidr, gateway, netmask, start_ip, end_ip, \
             broadcast_domain_type, broadcast_uri, network_domain, dns1, dns2, state, \
             display_network, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
             $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25) RETURNING id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(n.uuid)
            .bind(n.name)
            .bind(n.display_text)
            .bind(n.zone_id)
            .bind(n.physical_network_id)
            .bind(n.network_offering_id)
            .bind(n.guest_type)
            .bind(n.traffic_type)
            .bind(n.acl_type)
            .bind(n.account_id)
            .bind(n.domain_id)
            .bind(n.subdomain_access)
            .bind(n.cidr)
            .bind(n.gateway)
            .bind(n.netmask)
            .bind(n.start_ip)
            .bind(n.end_ip)
            .bind(n.broadcast_domain_type)
            .bind(n.broadcast_uri)
            .bind(n.network_domain)
            .bind(n.dns1)
            .bind(n.dns2)
            .bind(n.state)
            .bind(n.display_network)
            .bind(now)
            .fetch_one(&mut **c)
            .await?))
    }

    pub async fn network_by_id(&mut self, id: i64) -> Result<Option<NetworkRow>> {
        let mut sql = Sql::new(&format!("{SELECT}{FROM}"));
        sql.and("n.id = ?", Bind::I64(id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn network_by_uuid(&mut self, uuid: &str) -> Result<Option<NetworkRow>> {
        let mut sql = Sql::new(&format!("{SELECT}{FROM}"));
        sql.and("n.uuid = ?", Bind::Str(uuid.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    /// Networks matching the filter, oldest first.
    pub async fn list_networks(
        &mut self,
        f: &NetworkFilter,
        page: Page,
    ) -> Result<(i64, Vec<NetworkRow>)> {
        let mut count = Sql::new(&format!("SELECT COUNT(*){FROM}"));
        f.apply(&mut count);
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(&format!("{SELECT}{FROM}"));
        f.apply(&mut sql);
        sql.push(" ORDER BY n.id");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    /// Saves name, texts, domain and display flag unless another writer changed the row.
    pub async fn update_network(&mut self, n: &NetworkRow) -> Result<bool> {
        const SQL: &str = "UPDATE network SET name = $1, display_text = $2, network_domain = $3, \
             display_network = $4, update_count = update_count + 1 \
             WHERE id = $5 AND update_count = $6 AND removed IS NULL";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(&n.name)
            .bind(&n.display_text)
            .bind(&n.network_domain)
            .bind(n.display_network)
            .bind(n.id)
            .bind(n.update_count)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    /// Gives a network without addressing (a Shared network of a Basic zone, before its
    /// first direct range) its subnet; false when it already has one.
    pub async fn set_network_subnet(
        &mut self,
        id: i64,
        cidr: &str,
        gateway: &str,
        netmask: &str,
    ) -> Result<bool> {
        const SQL: &str = "UPDATE network SET cidr = $1, gateway = $2, netmask = $3, \
             update_count = update_count + 1 WHERE id = $4 AND gateway IS NULL AND removed IS NULL";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(cidr)
            .bind(gateway)
            .bind(netmask)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    /// Takes the network's row lock for the rest of the transaction (a no-op write), so
    /// two transactions changing one network's state queue up.
    pub async fn lock_network(&mut self, id: i64) -> Result<bool> {
        const SQL: &str = "UPDATE network SET state = state WHERE id = $1 AND removed IS NULL";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    /// Moves a network from state `from` to `to` and sets its broadcast URI.
    pub async fn set_network_state(
        &mut self,
        id: i64,
        from: &str,
        to: &str,
        broadcast_uri: Option<&str>,
    ) -> Result<bool> {
        const SQL: &str = "UPDATE network SET state = $1, broadcast_uri = $2, \
             update_count = update_count + 1 WHERE id = $3 AND state = $4 AND removed IS NULL";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(to)
            .bind(broadcast_uri)
            .bind(id)
            .bind(from)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    /// Marks a network destroyed and removed.
    pub async fn remove_network(&mut self, id: i64, now: DateTime<Utc>) -> Result<bool> {
        const SQL: &str = "UPDATE network SET state = 'Destroy', removed = $1, \
             update_count = update_count + 1 WHERE id = $2 AND removed IS NULL";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(now)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    // -----------------------------------------------------------------------------------
    // Guest VLAN/VNI numbers.

    /// Numbers taken on a physical network.
    pub async fn taken_vnets(&mut self, physical_network_id: i64) -> Result<Vec<i64>> {
        const SQL: &str = "SELECT vnet FROM guest_vnet WHERE physical_network_id = $1";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(physical_network_id)
            .fetch_all(&mut **c)
            .await?))
    }

    /// The number a network holds, if any.
    pub async fn vnet_of_network(&mut self, network_id: i64) -> Result<Option<i64>> {
        const SQL: &str = "SELECT vnet FROM guest_vnet WHERE network_id = $1";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(network_id)
            .fetch_optional(&mut **c)
            .await?))
    }

    /// Takes `vnet` for a network; false when the number (or a number for this network)
    /// is already taken. Never fails on the conflict, so a transaction stays usable.
    pub async fn take_vnet(
        &mut self,
        physical_network_id: i64,
        vnet: i64,
        network_id: i64,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        const SQL: &str = "INSERT INTO guest_vnet (physical_network_id, vnet, network_id, taken) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING vnet";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(physical_network_id)
            .bind(vnet)
            .bind(network_id)
            .bind(now)
            .fetch_optional(&mut **c)
            .await?)
        .is_some())
    }

    pub async fn release_vnet(&mut self, network_id: i64) -> Result<u64> {
        Ok(on_conn!(self, |c| sqlx::query(
            "DELETE FROM guest_vnet WHERE network_id = $1"
        )
        .bind(network_id)
        .execute(&mut **c)
        .await?
        .rows_affected()))
    }

    // -----------------------------------------------------------------------------------
    // Public addresses held by networks.

    /// Up to `limit` free public addresses of a zone this account may take: its own
    /// dedicated ranges first, then its domain's, then undedicated ones.
    pub async fn free_public_ips(
        &mut self,
        zone_id: i64,
        account_id: i64,
        domain_id: i64,
        limit: i64,
    ) -> Result<Vec<HeldIpRow>> {
        let mut sql = Sql::new(
            "SELECT i.id, i.uuid, i.address FROM public_ip i JOIN vlan v ON v.id = i.vlan_id \
             WHERE v.removed IS NULL AND v.for_virtual_network = TRUE \
             AND v.for_system_vms = FALSE",
        );
        sql.and("i.zone_id = ?", Bind::I64(zone_id));
        sql.and("i.state = ?", Bind::Str(IP_FREE.into()));
        sql.push(" AND (");
        sql.push_bind(
            "v.account_id = ? OR (v.account_id IS NULL AND (v.domain_id IS NULL OR v.domain_id = ?))",
            [Bind::I64(account_id), Bind::I64(domain_id)],
        );
        sql.push(
            ") ORDER BY CASE WHEN v.account_id IS NOT NULL THEN 0 \
                  WHEN v.domain_id IS NOT NULL THEN 1 ELSE 2 END, i.id",
        );
        sql.push_bind(" LIMIT ?", [Bind::I64(limit)]);
        self.fetch_all(&sql).await
    }

    /// Takes a free public address as a network's source NAT address; false when someone
    /// else took it first.
    pub async fn take_source_nat_ip(
        &mut self,
        ip_id: i64,
        account_id: i64,
        domain_id: i64,
        network_id: i64,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        const SQL: &str = "UPDATE public_ip SET state = $1, account_id = $2, domain_id = $3, \
             network_id = $4, source_nat = TRUE, allocated = $5, update_count = update_count + 1 \
             WHERE id = $6 AND state = $7";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(IP_ALLOCATED)
            .bind(account_id)
            .bind(domain_id)
            .bind(network_id)
            .bind(now)
            .bind(ip_id)
            .bind(IP_FREE)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    /// The source NAT address of a network, if it holds one.
    pub async fn source_nat_ip(&mut self, network_id: i64) -> Result<Option<HeldIpRow>> {
        let mut sql =
            Sql::new("SELECT i.id, i.uuid, i.address FROM public_ip i WHERE i.source_nat = TRUE");
        sql.and("i.network_id = ?", Bind::I64(network_id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    /// Frees every public address a network holds.
    pub async fn release_network_ips(&mut self, network_id: i64) -> Result<u64> {
        const SQL: &str = "UPDATE public_ip SET state = $1, account_id = NULL, domain_id = NULL, \
             network_id = NULL, source_nat = FALSE, allocated = NULL, \
             update_count = update_count + 1 WHERE network_id = $2";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(IP_FREE)
            .bind(network_id)
            .execute(&mut **c)
            .await?
            .rows_affected()))
    }
}
