//! Physical networks of a zone, their traffic types, their network service providers and
//! the virtual router elements behind some of those providers.

use chrono::{DateTime, Utc};

use crate::sql::{Bind, Page, Sql};
use crate::{Conn, Result, on_conn};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PhysicalNetworkRow {
    pub id: i64,
    pub uuid: String,
    pub zone_id: i64,
    pub zone_uuid: String,
    pub zone_name: String,
    pub zone_network_type: String,
    pub name: String,
    /// Comma-separated (CloudStack keeps at most one).
    pub isolation_methods: String,
    /// Guest VLAN (vnet) ranges in canonical form, `100-200,300-310`.
    pub vlan: Option<String>,
    pub speed: Option<String>,
    pub broadcast_domain_range: String,
    /// Comma-separated (CloudStack keeps at most one).
    pub tags: Option<String>,
    pub domain_id: Option<i64>,
    pub domain_uuid: Option<String>,
    pub state: String,
    pub created: DateTime<Utc>,
}

const SELECT: &str = "SELECT n.id, n.uuid, n.zone_id, z.uuid AS zone_uuid, z.name AS zone_name, \
     z.network_type AS zone_network_type, n.name, n.isolation_methods, n.vlan, n.speed, \
     n.broadcast_domain_range, n.tags, n.domain_id, d.uuid AS domain_uuid, n.state, n.created \
     FROM physical_network n JOIN zone z ON z.id = n.zone_id \
     LEFT JOIN domain d ON d.id = n.domain_id WHERE n.removed IS NULL";

#[derive(Clone, Debug, Default)]
pub struct PhysicalNetworkFilter {
    pub uuid: Option<String>,
    pub zone_id: Option<i64>,
    /// Substring of the name (CloudStack matches `name` with LIKE).
    pub name: Option<String>,
    pub keyword: Option<String>,
    /// Only networks carrying this traffic type.
    pub traffic_type: Option<String>,
}

impl PhysicalNetworkFilter {
    fn apply(&self, sql: &mut Sql) {
        if let Some(u) = &self.uuid {
            sql.and("n.uuid = ?", Bind::Str(u.clone()));
        }
        if let Some(z) = self.zone_id {
            sql.and("n.zone_id = ?", Bind::I64(z));
        }
        for text in [&self.name, &self.keyword].into_iter().flatten() {
            sql.and("lower(n.name) LIKE ?", Bind::Str(crate::domain::like(text)));
        }
        if let Some(t) = &self.traffic_type {
            sql.and(
                "n.id IN (SELECT physical_network_id FROM physical_network_traffic_type \
                 WHERE traffic_type = ?)",
                Bind::Str(t.clone()),
            );
        }
    }
}

pub struct NewPhysicalNetwork<'a> {
    pub uuid: &'a str,
    pub zone_id: i64,
    pub name: &'a str,
    pub isolation_methods: &'a str,
    pub vlan: Option<&'a str>,
    pub speed: Option<&'a str>,
    pub broadcast_domain_range: &'a str,
    pub tags: Option<&'a str>,
    pub domain_id: Option<i64>,
    pub state: &'a str,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TrafficTypeRow {
    pub id: i64,
    pub uuid: String,
    pub physical_network_id: i64,
    pub physical_network_uuid: String,
    pub traffic_type: String,
    pub kvm_label: Option<String>,
    pub xen_label: Option<String>,
    pub vmware_label: Option<String>,
    pub hyperv_label: Option<String>,
    pub ovm3_label: Option<String>,
    pub vlan: Option<String>,
    pub isolation_method: Option<String>,
}

const SELECT_TRAFFIC: &str = "SELECT t.id, t.uuid, t.physical_network_id, \
     n.uuid AS physical_network_uuid, t.traffic_type, t.kvm_label, t.xen_label, t.vmware_label, \
     t.hyperv_label, t.ovm3_label, t.vlan, t.isolation_method \
     FROM physical_network_traffic_type t JOIN physical_network n ON n.id = t.physical_network_id \
     WHERE n.removed IS NULL";

pub struct NewTrafficType<'a> {
    pub uuid: &'a str,
    pub physical_network_id: i64,
    pub traffic_type: &'a str,
    pub kvm_label: Option<&'a str>,
    pub xen_label: Option<&'a str>,
    pub vmware_label: Option<&'a str>,
    pub hyperv_label: Option<&'a str>,
    pub ovm3_label: Option<&'a str>,
    pub vlan: Option<&'a str>,
    pub isolation_method: Option<&'a str>,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ProviderRow {
    pub id: i64,
    pub uuid: String,
    pub physical_network_id: i64,
    pub physical_network_uuid: String,
    pub provider_name: String,
    pub state: String,
    pub dest_physical_network_id: Option<i64>,
    pub dest_physical_network_uuid: Option<String>,
    /// Enabled services, comma-separated in CloudStack's order.
    pub services: String,
}

const SELECT_PROVIDER: &str = "SELECT p.id, p.uuid, p.physical_network_id, \
     n.uuid AS physical_network_uuid, p.provider_name, p.state, p.dest_physical_network_id, \
     dn.uuid AS dest_physical_network_uuid, p.services \
     FROM physical_network_service_provider p JOIN physical_network n ON n.id = p.physical_network_id \
     LEFT JOIN physical_network dn ON dn.id = p.dest_physical_network_id \
     WHERE n.removed IS NULL";

#[derive(Clone, Debug, Default)]
pub struct ProviderFilter {
    pub uuid: Option<String>,
    pub physical_network_id: Option<i64>,
    pub name: Option<String>,
    pub state: Option<String>,
}

impl ProviderFilter {
    fn apply(&self, sql: &mut Sql) {
        if let Some(u) = &self.uuid {
            sql.and("p.uuid = ?", Bind::Str(u.clone()));
        }
        if let Some(id) = self.physical_network_id {
            sql.and("p.physical_network_id = ?", Bind::I64(id));
        }
        if let Some(n) = &self.name {
            sql.and("lower(p.provider_name) = ?", Bind::Str(n.to_lowercase()));
        }
        if let Some(s) = &self.state {
            sql.and("lower(p.state) = ?", Bind::Str(s.to_lowercase()));
        }
    }
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ElementRow {
    pub id: i64,
    pub uuid: String,
    pub nsp_id: i64,
    pub nsp_uuid: String,
    pub element_type: String,
    pub enabled: bool,
}

const SELECT_ELEMENT: &str = "SELECT e.id, e.uuid, e.nsp_id, p.uuid AS nsp_uuid, e.element_type, \
     e.enabled FROM virtual_router_element e \
     JOIN physical_network_service_provider p ON p.id = e.nsp_id WHERE 1 = 1";

#[derive(Clone, Debug, Default)]
pub struct ElementFilter {
    pub uuid: Option<String>,
    pub nsp_id: Option<i64>,
    pub enabled: Option<bool>,
    /// Element types to include (`VirtualRouter`, `VPCVirtualRouter`, `InternalLbVm`).
    pub types: Vec<&'static str>,
}

impl ElementFilter {
    fn apply(&self, sql: &mut Sql) {
        if let Some(u) = &self.uuid {
            sql.and("e.uuid = ?", Bind::Str(u.clone()));
        }
        if let Some(id) = self.nsp_id {
            sql.and("e.nsp_id = ?", Bind::I64(id));
        }
        if let Some(b) = self.enabled {
            sql.and("e.enabled = ?", Bind::Bool(b));
        }
        sql.and_in(
            "e.element_type",
            self.types
                .iter()
                .map(|t| Bind::Str(t.to_string()))
                .collect(),
        );
    }
}

impl Conn<'_> {
    pub async fn insert_physical_network(
        &mut self,
        n: &NewPhysicalNetwork<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        const SQL: &str = "INSERT INTO physical_network (uuid, zone_id, name, isolation_methods, \
             vlan, speed, broadcast_domain_range, tags, domain_id, state, created) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(n.uuid)
            .bind(n.zone_id)
            .bind(n.name)
            .bind(n.isolation_methods)
            .bind(n.vlan)
            .bind(n.speed)
            .bind(n.broadcast_domain_range)
            .bind(n.tags)
            .bind(n.domain_id)
            .bind(n.state)
            .bind(now)
            .fetch_one(&mut **c)
            .await?))
    }

    pub async fn physical_network_by_id(&mut self, id: i64) -> Result<Option<PhysicalNetworkRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and("n.id = ?", Bind::I64(id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn physical_network_by_uuid(
        &mut self,
        uuid: &str,
    ) -> Result<Option<PhysicalNetworkRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and("n.uuid = ?", Bind::Str(uuid.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn list_physical_networks(
        &mut self,
        f: &PhysicalNetworkFilter,
        page: Page,
    ) -> Result<(i64, Vec<PhysicalNetworkRow>)> {
        let mut count = Sql::new("SELECT COUNT(*) FROM physical_network n WHERE n.removed IS NULL");
        f.apply(&mut count);
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(SELECT);
        f.apply(&mut sql);
        sql.push(" ORDER BY n.id");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    /// Saves state, guest VLAN ranges, speed and tags of a physical network.
    pub async fn update_physical_network(&mut self, n: &PhysicalNetworkRow) -> Result<bool> {
        const SQL: &str = "UPDATE physical_network SET state = $1, vlan = $2, speed = $3, tags = $4 \
             WHERE id = $5 AND removed IS NULL";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(&n.state)
            .bind(&n.vlan)
            .bind(&n.speed)
            .bind(&n.tags)
            .bind(n.id)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    pub async fn insert_traffic_type(&mut self, t: &NewTrafficType<'_>) -> Result<i64> {
        const SQL: &str = "INSERT INTO physical_network_traffic_type (uuid, physical_network_id, \
             traffic_type, kvm_label, xen_label, vmware_label, hyperv_label, ovm3_label, vlan, \
             isolation_method) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(t.uuid)
            .bind(t.physical_network_id)
            .bind(t.traffic_type)
            .bind(t.kvm_label)
            .bind(t.xen_label)
            .bind(t.vmware_label)
            .bind(t.hyperv_label)
            .bind(t.ovm3_label)
            .bind(t.vlan)
            .bind(t.isolation_method)
            .fetch_one(&mut **c)
            .await?))
    }

    pub async fn traffic_type_by_id(&mut self, id: i64) -> Result<Option<TrafficTypeRow>> {
        let mut sql = Sql::new(SELECT_TRAFFIC);
        sql.and("t.id = ?", Bind::I64(id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn traffic_type_by_uuid(&mut self, uuid: &str) -> Result<Option<TrafficTypeRow>> {
        let mut sql = Sql::new(SELECT_TRAFFIC);
        sql.and("t.uuid = ?", Bind::Str(uuid.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    /// Traffic types of one physical network, oldest first.
    pub async fn list_traffic_types(
        &mut self,
        physical_network_id: i64,
        page: Page,
    ) -> Result<(i64, Vec<TrafficTypeRow>)> {
        let mut count =
            Sql::new("SELECT COUNT(*) FROM physical_network_traffic_type t WHERE 1 = 1");
        count.and("t.physical_network_id = ?", Bind::I64(physical_network_id));
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(SELECT_TRAFFIC);
        sql.and("t.physical_network_id = ?", Bind::I64(physical_network_id));
        sql.push(" ORDER BY t.id");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    /// Saves the hypervisor labels of a traffic type.
    pub async fn update_traffic_type_labels(&mut self, t: &TrafficTypeRow) -> Result<bool> {
        const SQL: &str = "UPDATE physical_network_traffic_type SET kvm_label = $1, xen_label = $2, \
             vmware_label = $3, hyperv_label = $4, ovm3_label = $5 WHERE id = $6";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(&t.kvm_label)
            .bind(&t.xen_label)
            .bind(&t.vmware_label)
            .bind(&t.hyperv_label)
            .bind(&t.ovm3_label)
            .bind(t.id)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    pub async fn delete_traffic_type(&mut self, id: i64) -> Result<bool> {
        Ok(on_conn!(self, |c| sqlx::query(
            "DELETE FROM physical_network_traffic_type WHERE id = $1"
        )
        .bind(id)
        .execute(&mut **c)
        .await?
        .rows_affected())
            == 1)
    }

    pub async fn insert_provider(
        &mut self,
        uuid: &str,
        physical_network_id: i64,
        provider_name: &str,
        state: &str,
        dest_physical_network_id: Option<i64>,
        services: &str,
    ) -> Result<i64> {
        const SQL: &str = "INSERT INTO physical_network_service_provider (uuid, physical_network_id, \
             provider_name, state, dest_physical_network_id, services) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(uuid)
            .bind(physical_network_id)
            .bind(provider_name)
            .bind(state)
            .bind(dest_physical_network_id)
            .bind(services)
            .fetch_one(&mut **c)
            .await?))
    }

    pub async fn provider_by_id(&mut self, id: i64) -> Result<Option<ProviderRow>> {
        let mut sql = Sql::new(SELECT_PROVIDER);
        sql.and("p.id = ?", Bind::I64(id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    /// Providers matching the filter, newest first (CloudStack's order).
    pub async fn list_providers(
        &mut self,
        f: &ProviderFilter,
        page: Page,
    ) -> Result<(i64, Vec<ProviderRow>)> {
        let mut count = Sql::new(
            "SELECT COUNT(*) FROM physical_network_service_provider p \
             JOIN physical_network n ON n.id = p.physical_network_id WHERE n.removed IS NULL",
        );
        f.apply(&mut count);
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(SELECT_PROVIDER);
        f.apply(&mut sql);
        sql.push(" ORDER BY p.id DESC");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    pub async fn update_provider(&mut self, p: &ProviderRow) -> Result<bool> {
        const SQL: &str =
            "UPDATE physical_network_service_provider SET state = $1, services = $2 WHERE id = $3";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(&p.state)
            .bind(&p.services)
            .bind(p.id)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    /// Deletes a provider together with its virtual router elements.
    pub async fn delete_provider(&mut self, id: i64) -> Result<bool> {
        on_conn!(self, |c| sqlx::query(
            "DELETE FROM virtual_router_element WHERE nsp_id = $1"
        )
        .bind(id)
        .execute(&mut **c)
        .await?
        .rows_affected());
        Ok(on_conn!(self, |c| sqlx::query(
            "DELETE FROM physical_network_service_provider WHERE id = $1"
        )
        .bind(id)
        .execute(&mut **c)
        .await?
        .rows_affected())
            == 1)
    }

    /// Deletes every provider, element and traffic type of a physical network.
    pub async fn delete_network_children(&mut self, physical_network_id: i64) -> Result<()> {
        for sql in [
            "DELETE FROM virtual_router_element WHERE nsp_id IN \
             (SELECT id FROM physical_network_service_provider WHERE physical_network_id = $1)",
            "DELETE FROM physical_network_service_provider WHERE physical_network_id = $1",
            "DELETE FROM physical_network_traffic_type WHERE physical_network_id = $1",
        ] {
            on_conn!(self, |c| sqlx::query(sql)
                .bind(physical_network_id)
                .execute(&mut **c)
                .await?
                .rows_affected());
        }
        Ok(())
    }

    pub async fn insert_element(
        &mut self,
        uuid: &str,
        nsp_id: i64,
        element_type: &str,
        enabled: bool,
    ) -> Result<i64> {
        const SQL: &str = "INSERT INTO virtual_router_element (uuid, nsp_id, element_type, enabled) \
             VALUES ($1, $2, $3, $4) RETURNING id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(uuid)
            .bind(nsp_id)
            .bind(element_type)
            .bind(enabled)
            .fetch_one(&mut **c)
            .await?))
    }

    pub async fn element_by_id(&mut self, id: i64) -> Result<Option<ElementRow>> {
        let mut sql = Sql::new(SELECT_ELEMENT);
        sql.and("e.id = ?", Bind::I64(id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn element_by_uuid(&mut self, uuid: &str) -> Result<Option<ElementRow>> {
        let mut sql = Sql::new(SELECT_ELEMENT);
        sql.and("e.uuid = ?", Bind::Str(uuid.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    /// The element of `element_type` behind a provider, if it has one.
    pub async fn element_of_provider(
        &mut self,
        nsp_id: i64,
        element_type: &'static str,
    ) -> Result<Option<ElementRow>> {
        let f = ElementFilter {
            nsp_id: Some(nsp_id),
            types: vec![element_type],
            ..ElementFilter::default()
        };
        Ok(self
            .list_elements(&f, Page::ALL)
            .await?
            .1
            .into_iter()
            .next())
    }

    pub async fn list_elements(
        &mut self,
        f: &ElementFilter,
        page: Page,
    ) -> Result<(i64, Vec<ElementRow>)> {
        let mut count = Sql::new("SELECT COUNT(*) FROM virtual_router_element e WHERE 1 = 1");
        f.apply(&mut count);
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(SELECT_ELEMENT);
        f.apply(&mut sql);
        sql.push(" ORDER BY e.id");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    pub async fn set_element_enabled(&mut self, id: i64, enabled: bool) -> Result<bool> {
        Ok(on_conn!(self, |c| sqlx::query(
            "UPDATE virtual_router_element SET enabled = $1 WHERE id = $2"
        )
        .bind(enabled)
        .bind(id)
        .execute(&mut **c)
        .await?
        .rows_affected())
            == 1)
    }
}
