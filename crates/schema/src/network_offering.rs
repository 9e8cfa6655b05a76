//! Network offerings and their (service, provider) pairs.

use chrono::{DateTime, Utc};

use crate::offering::{OfferingKind, ScopeFilter};
use crate::sql::{Bind, Page, Sql};
use crate::{Conn, Result, on_conn};

/// The capabilities CloudStack keeps as columns of a network offering.
#[derive(Clone, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct NetworkCapabilities {
    pub dedicated_lb: bool,
    pub elastic_lb: bool,
    pub inline_lb: bool,
    pub public_lb: bool,
    pub internal_lb: bool,
    pub shared_source_nat: bool,
    pub redundant_router: bool,
    pub elastic_ip: bool,
    pub associate_public_ip: bool,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct NetworkOfferingRow {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub display_text: String,
    pub traffic_type: String,
    pub guest_type: Option<String>,
    pub availability: String,
    pub state: String,
    pub is_default: bool,
    pub system_only: bool,
    pub specify_vlan: bool,
    pub specify_ip_ranges: bool,
    pub conserve_mode: bool,
    pub egress_default_policy: bool,
    pub is_persistent: bool,
    pub for_vpc: bool,
    pub network_rate: Option<i64>,
    pub tags: Option<String>,
    pub service_offering_uuid: Option<String>,
    pub max_connections: Option<i64>,
    pub keep_alive: bool,
    pub sort_key: i64,
    pub created: DateTime<Utc>,
    pub update_count: i64,
    #[sqlx(flatten)]
    pub caps: NetworkCapabilities,
}

const SELECT: &str = "SELECT nof.id, nof.uuid, nof.name, nof.display_text, nof.traffic_type, \
     nof.guest_type, nof.availability, nof.state, nof.is_default, nof.system_only, nof.specify_vlan, \
     nof.specify_ip_ranges, nof.conserve_mode, nof.egress_default_policy, nof.is_persistent, \
     nof.for_vpc, nof.network_rate, nof.tags, so.uuid AS service_offering_uuid, nof.max_connections, \
     nof.keep_alive, nof.sort_key, nof.created, nof.update_count, nof.dedicated_lb, nof.elastic_lb, \
     nof.inline_lb, nof.public_lb, nof.internal_lb, nof.shared_source_nat, nof.redundant_router, \
     nof.elastic_ip, nof.associate_public_ip \
     FROM network_offering nof LEFT JOIN service_offering so ON so.id = nof.service_offering_id \
     WHERE nof.removed IS NULL";

pub struct NewNetworkOffering<'a> {
    pub uuid: &'a str,
    pub name: &'a str,
    pub display_text: &'a str,
    pub unique_name: Option<&'a str>,
    pub traffic_type: &'a str,
    pub guest_type: Option<&'a str>,
    pub availability: &'a str,
    pub state: &'a str,
    pub is_default: bool,
    pub system_only: bool,
    pub specify_vlan: bool,
    pub specify_ip_ranges: bool,
    pub conserve_mode: bool,
    pub egress_default_policy: bool,
    pub is_persistent: bool,
    pub for_vpc: bool,
    pub network_rate: Option<i64>,
    pub tags: Option<&'a str>,
    pub service_offering_id: Option<i64>,
    pub max_connections: Option<i64>,
    pub keep_alive: bool,
    pub caps: &'a NetworkCapabilities,
}

/// One (service, provider) pair; `provider` is `None` when none was chosen.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct OfferingServiceRow {
    pub offering_id: i64,
    pub service: String,
    pub provider: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct NetworkOfferingFilter {
    pub uuid: Option<String>,
    pub name: Option<String>,
    pub keyword: Option<String>,
    pub display_text: Option<String>,
    pub guest_type: Option<String>,
    pub traffic_type: Option<String>,
    pub availability: Option<String>,
    pub state: Option<String>,
    pub is_default: Option<bool>,
    pub specify_vlan: Option<bool>,
    pub specify_ip_ranges: Option<bool>,
    pub for_vpc: Option<bool>,
    pub tags: Option<String>,
    pub is_tagged: Option<bool>,
    /// Only offerings that have every one of these services.
    pub services: Vec<String>,
    pub source_nat: Option<bool>,
    /// Only offerings whose providers are all enabled on a physical network of this zone.
    pub providers_enabled_in_zone: Option<i64>,
    pub scope: ScopeFilter,
}

fn has_service(sql: &mut Sql, service: &str, present: bool) {
    sql.push(if present {
        " AND EXISTS"
    } else {
        " AND NOT EXISTS"
    });
    sql.push_bind(
        " (SELECT 1 FROM network_offering_service s WHERE s.network_offering_id = nof.id \
         AND s.service = ?)",
        [Bind::Str(service.to_string())],
    );
}

impl NetworkOfferingFilter {
    fn apply(&self, sql: &mut Sql) {
        // System offerings back system networks; they are never listed.
        sql.push(" AND nof.system_only = FALSE");
        let eq = |sql: &mut Sql, column: &str, v: &Option<String>| {
            if let Some(v) = v {
                sql.and(&format!("lower({column}) = ?"), Bind::Str(v.to_lowercase()));
            }
        };
        eq(sql, "nof.uuid", &self.uuid);
        eq(sql, "nof.guest_type", &self.guest_type);
        eq(sql, "nof.traffic_type", &self.traffic_type);
        eq(sql, "nof.availability", &self.availability);
        eq(sql, "nof.state", &self.state);
        if let Some(n) = &self.name {
            sql.and("nof.name = ?", Bind::Str(n.clone()));
        }
        if let Some(k) = &self.keyword {
            let pattern = crate::domain::like(k);
            sql.push(" AND ");
            sql.push_bind(
                "(lower(nof.name) LIKE ? OR lower(nof.display_text) LIKE ?)",
                [Bind::Str(pattern.clone()), Bind::Str(pattern)],
            );
        }
        if let Some(t) = &self.display_text {
            sql.and(
                "lower(nof.display_text) LIKE ?",
                Bind::Str(crate::domain::like(t)),
            );
        }
        for (column, v) in [
            ("nof.is_default", self.is_default),
            ("nof.specify_vlan", self.specify_vlan),
            ("nof.specify_ip_ranges", self.specify_ip_ranges),
            ("nof.for_vpc", self.for_vpc),
        ] {
            if let Some(v) = v {
                sql.and(&format!("{column} = ?"), Bind::Bool(v));
            }
        }
        if let Some(t) = &self.tags {
            sql.and("nof.tags = ?", Bind::Str(t.clone()));
        }
        match self.is_tagged {
            Some(true) => {
                sql.push(" AND nof.tags IS NOT NULL");
            }
            Some(false) => {
                sql.push(" AND nof.tags IS NULL");
            }
            None => {}
        }
        for s in &self.services {
            has_service(sql, s, true);
        }
        if let Some(p) = self.source_nat {
            has_service(sql, "SourceNat", p);
        }
        if let Some(zone) = self.providers_enabled_in_zone {
            sql.push(
                " AND NOT EXISTS (SELECT 1 FROM network_offering_service s \
                 WHERE s.network_offering_id = nof.id AND s.provider IS NOT NULL \
                 AND NOT EXISTS (SELECT 1 FROM physical_network_service_provider p \
                 JOIN physical_network pn ON pn.id = p.physical_network_id \
                 WHERE p.provider_name = s.provider AND p.state = 'Enabled' \
                 AND pn.removed IS NULL",
            );
            sql.push_bind(" AND pn.zone_id = ?))", [Bind::I64(zone)]);
        }
        self.scope.apply(sql, OfferingKind::Network, "nof");
    }
}

impl Conn<'_> {
    pub async fn insert_network_offering(
        &mut self,
        o: &NewNetworkOffering<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        const SQL: &str = "INSERT INTO network_offering (uuid, name, display_text, unique_name, \
             traffic_type, guest_type, availability, state, is_default, system_only, specify_vlan, \
             specify_ip_ranges, conserve_mode, egress_default_policy, is_persistent, for_vpc, \
             network_rate, tags, service_offering_id, max_connections, keep_alive, dedicated_lb, \
             elastic_lb, inline_lb, public_lb, internal_lb, shared_source_nat, redundant_router, \
             elastic_ip, associate_public_ip, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
             $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, \
             $26, $27, $28, $29, $30, $31) RETURNING id";
        let c = o.caps;
        Ok(on_conn!(self, |conn| sqlx::query_scalar::<_, i64>(SQL)
            .bind(o.uuid)
            .bind(o.name)
            .bind(o.display_text)
            .bind(o.unique_name)
            .bind(o.traffic_type)
            .bind(o.guest_type)
            .bind(o.availability)
            .bind(o.state)
            .bind(o.is_default)
            .bind(o.system_only)
            .bind(o.specify_vlan)
            .bind(o.specify_ip_ranges)
            .bind(o.conserve_mode)
            .bind(o.egress_default_policy)
            .bind(o.is_persistent)
            .bind(o.for_vpc)
            .bind(o.network_rate)
            .bind(o.tags)
            .bind(o.service_offering_id)
            .bind(o.max_connections)
            .bind(o.keep_alive)
            .bind(c.dedicated_lb)
            .bind(c.elastic_lb)
            .bind(c.inline_lb)
            .bind(c.public_lb)
            .bind(c.internal_lb)
            .bind(c.shared_source_nat)
            .bind(c.redundant_router)
            .bind(c.elastic_ip)
            .bind(c.associate_public_ip)
            .bind(now)
            .fetch_one(&mut **conn)
            .await?))
    }

    pub async fn insert_network_offering_services(
        &mut self,
        offering_id: i64,
        pairs: &[(&str, Option<&str>)],
    ) -> Result<()> {
        const SQL: &str = "INSERT INTO network_offering_service (network_offering_id, service, \
             provider) VALUES ($1, $2, $3)";
        for (service, provider) in pairs {
            on_conn!(self, |c| sqlx::query(SQL)
                .bind(offering_id)
                .bind(service)
                .bind(provider)
                .execute(&mut **c)
                .await?
                .rows_affected());
        }
        Ok(())
    }

    /// The (service, provider) pairs of these offerings.
    pub async fn network_offering_services(
        &mut self,
        offering_ids: &[i64],
    ) -> Result<Vec<OfferingServiceRow>> {
        let mut sql = Sql::new(
            "SELECT s.network_offering_id AS offering_id, s.service, s.provider \
             FROM network_offering_service s WHERE 1 = 1",
        );
        sql.and_in(
            "s.network_offering_id",
            offering_ids.iter().copied().map(Bind::I64).collect(),
        );
        self.fetch_all(&sql).await
    }

    pub async fn network_offering_by_id(&mut self, id: i64) -> Result<Option<NetworkOfferingRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and("nof.id = ?", Bind::I64(id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    /// A live offering by id, system ones included (the caller decides what to show).
    pub async fn network_offering_by_uuid(
        &mut self,
        uuid: &str,
    ) -> Result<Option<NetworkOfferingRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and("nof.uuid = ?", Bind::Str(uuid.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn network_offering_by_name(
        &mut self,
        name: &str,
    ) -> Result<Option<NetworkOfferingRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and("nof.name = ?", Bind::Str(name.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    /// True when an offering with this unique name was ever created (even if removed).
    pub async fn network_offering_seeded(&mut self, unique_name: &str) -> Result<bool> {
        let mut sql = Sql::new("SELECT COUNT(*) FROM network_offering WHERE 1 = 1");
        sql.and("unique_name = ?", Bind::Str(unique_name.into()));
        Ok(self.fetch_count(&sql).await? > 0)
    }

    /// Live offerings whose availability is Required (at most one may be).
    pub async fn required_network_offerings(&mut self) -> Result<Vec<NetworkOfferingRow>> {
        let mut sql = Sql::new(SELECT);
        sql.push(" AND nof.availability = 'Required' AND nof.system_only = FALSE");
        self.fetch_all(&sql).await
    }

    pub async fn list_network_offerings(
        &mut self,
        f: &NetworkOfferingFilter,
        page: Page,
    ) -> Result<(i64, Vec<NetworkOfferingRow>)> {
        let mut count =
            Sql::new("SELECT COUNT(*) FROM network_offering nof WHERE nof.removed IS NULL");
        f.apply(&mut count);
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(SELECT);
        f.apply(&mut sql);
        sql.push(" ORDER BY nof.sort_key, nof.id");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    /// Saves the changeable columns unless another writer changed the row first.
    pub async fn update_network_offering(&mut self, o: &NetworkOfferingRow) -> Result<bool> {
        const SQL: &str = "UPDATE network_offering SET name = $1, display_text = $2, \
             availability = $3, state = $4, tags = $5, sort_key = $6, max_connections = $7, \
             keep_alive = $8, update_count = update_count + 1 \
             WHERE id = $9 AND update_count = $10 AND removed IS NULL";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(&o.name)
            .bind(&o.display_text)
            .bind(&o.availability)
            .bind(&o.state)
            .bind(&o.tags)
            .bind(o.sort_key)
            .bind(o.max_connections)
            .bind(o.keep_alive)
            .bind(o.id)
            .bind(o.update_count)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    pub async fn remove_network_offering(&mut self, id: i64, now: DateTime<Utc>) -> Result<bool> {
        const SQL: &str = "UPDATE network_offering SET removed = $1, state = 'Disabled', \
             update_count = update_count + 1 WHERE id = $2 AND removed IS NULL";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(now)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }
}
