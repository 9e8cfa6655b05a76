//! Disk offerings, including the hidden compute-only ones that hold the root-disk
//! properties of compute offerings.

use chrono::{DateTime, Utc};

use crate::offering::{OfferingKind, ScopeFilter};
use crate::sql::{Bind, Page, Sql};
use crate::{Conn, Result, on_conn};

/// Hypervisor-side I/O throttling of a disk; `None` is unlimited.
#[derive(Clone, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct IoLimits {
    pub bytes_read_rate: Option<i64>,
    pub bytes_read_rate_max: Option<i64>,
    pub bytes_read_rate_max_length: Option<i64>,
    pub bytes_write_rate: Option<i64>,
    pub bytes_write_rate_max: Option<i64>,
    pub bytes_write_rate_max_length: Option<i64>,
    pub iops_read_rate: Option<i64>,
    pub iops_read_rate_max: Option<i64>,
    pub iops_read_rate_max_length: Option<i64>,
    pub iops_write_rate: Option<i64>,
    pub iops_write_rate_max: Option<i64>,
    pub iops_write_rate_max_length: Option<i64>,
}

/// What a disk offering and a compute offering's root disk both have.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DiskProps {
    /// Storage tags, comma-separated.
    pub tags: Option<String>,
    pub provisioning_type: String,
    pub use_local_storage: bool,
    pub customized_iops: Option<bool>,
    pub min_iops: Option<i64>,
    pub max_iops: Option<i64>,
    pub cache_mode: String,
    pub hypervisor_snapshot_reserve: Option<i64>,
    #[sqlx(flatten)]
    pub limits: IoLimits,
    pub encrypt: bool,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DiskOfferingRow {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub display_text: String,
    pub disk_size_gb: i64,
    pub customized: bool,
    pub display_offering: bool,
    pub disk_size_strictness: bool,
    pub compute_only: bool,
    pub state: String,
    pub sort_key: i64,
    pub created: DateTime<Utc>,
    pub update_count: i64,
    #[sqlx(flatten)]
    pub props: DiskProps,
}

/// The columns of [`DiskProps`], in its field order (shared with compute offerings).
pub const PROPS_COLUMNS: &str = "dk.tags, dk.provisioning_type, dk.use_local_storage, \
     dk.customized_iops, dk.min_iops, dk.max_iops, dk.cache_mode, dk.hypervisor_snapshot_reserve, \
     dk.bytes_read_rate, dk.bytes_read_rate_max, dk.bytes_read_rate_max_length, \
     dk.bytes_write_rate, dk.bytes_write_rate_max, dk.bytes_write_rate_max_length, \
     dk.iops_read_rate, dk.iops_read_rate_max, dk.iops_read_rate_max_length, \
     dk.iops_write_rate, dk.iops_write_rate_max, dk.iops_write_rate_max_length, dk.encrypt";

fn select() -> String {
    format!(
        "SELECT dk.id, dk.uuid, dk.name, dk.display_text, dk.disk_size_gb, dk.customized, \
         dk.display_offering, dk.disk_size_strictness, dk.compute_only, dk.state, dk.sort_key, \
         dk.created, dk.update_count, {PROPS_COLUMNS} FROM disk_offering dk WHERE dk.removed IS NULL"
    )
}

pub struct NewDiskOffering<'a> {
    pub uuid: &'a str,
    pub name: &'a str,
    pub display_text: &'a str,
    pub unique_name: Option<&'a str>,
    pub disk_size_gb: i64,
    pub customized: bool,
    pub display_offering: bool,
    pub disk_size_strictness: bool,
    pub compute_only: bool,
    pub props: &'a DiskProps,
}

#[derive(Clone, Debug, Default)]
pub struct DiskOfferingFilter {
    pub uuid: Option<String>,
    pub name: Option<String>,
    pub keyword: Option<String>,
    /// `None`: every state.
    pub state: Option<String>,
    /// Only offerings shown to end users (`displayoffering`).
    pub displayed_only: bool,
    pub local_storage: Option<bool>,
    pub encrypt: Option<bool>,
    pub scope: ScopeFilter,
}

impl DiskOfferingFilter {
    fn apply(&self, sql: &mut Sql) {
        sql.push(" AND dk.compute_only = FALSE");
        if let Some(u) = &self.uuid {
            sql.and("dk.uuid = ?", Bind::Str(u.clone()));
        }
        if let Some(n) = &self.name {
            sql.and("dk.name = ?", Bind::Str(n.clone()));
        }
        if let Some(k) = &self.keyword {
            let pattern = crate::domain::like(k);
            sql.push(" AND ");
            sql.push_bind(
                "(lower(dk.name) LIKE ? OR lower(dk.display_text) LIKE ?)",
                [Bind::Str(pattern.clone()), Bind::Str(pattern)],
            );
        }
        if let Some(s) = &self.state {
            sql.and("dk.state = ?", Bind::Str(s.clone()));
        }
        if self.displayed_only {
            sql.push(" AND dk.display_offering = TRUE");
        }
        if let Some(l) = self.local_storage {
            sql.and("dk.use_local_storage = ?", Bind::Bool(l));
        }
        if let Some(e) = self.encrypt {
            sql.and("dk.encrypt = ?", Bind::Bool(e));
        }
        self.scope.apply(sql, OfferingKind::Disk, "dk");
    }
}

impl Conn<'_> {
    pub async fn insert_disk_offering(
        &mut self,
        o: &NewDiskOffering<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        const SQL: &str = "INSERT INTO disk_offering (uuid, name, display_text, unique_name, \
             disk_size_gb, customized, display_offering, disk_size_strictness, compute_only, \
             state, tags, provisioning_type, use_local_storage, customized_iops, min_iops, \
             max_iops, cache_mode, hypervisor_snapshot_reserve, bytes_read_rate, \
             bytes_read_rate_max, bytes_read_rate_max_length, bytes_write_rate, \
             bytes_write_rate_max, bytes_write_rate_max_length, iops_read_rate, \
             iops_read_rate_max, iops_read_rate_max_length, iops_write_rate, iops_write_rate_max, \
             iops_write_rate_max_length, encrypt, created) VALUES ($1, $2, $3, $4, $5, $6, $7, \
             $8, $9, 'Active', $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, \
             $23, $24, $25, $26, $27, $28, $29, $30, $31) RETURNING id";
        let p = o.props;
        let l = &p.limits;
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(o.uuid)
            .bind(o.name)
            .bind(o.display_text)
            .bind(o.unique_name)
            .bind(o.disk_size_gb)
            .bind(o.customized)
            .bind(o.display_offering)
            .bind(o.disk_size_strictness)
            .bind(o.compute_only)
            .bind(&p.tags)
            .bind(&p.provisioning_type)
            .bind(p.use_local_storage)
            .bind(p.customized_iops)
            .bind(p.min_iops)
            .bind(p.max_iops)
            .bind(&p.cache_mode)
            .bind(p.hypervisor_snapshot_reserve)
            .bind(l.bytes_read_rate)
            .bind(l.bytes_read_rate_max)
            .bind(l.bytes_read_rate_max_length)
            .bind(l.bytes_write_rate)
            .bind(l.bytes_write_rate_max)
            .bind(l.bytes_write_rate_max_length)
            .bind(l.iops_read_rate)
            .bind(l.iops_read_rate_max)
            .bind(l.iops_read_rate_max_length)
            .bind(l.iops_write_rate)
            .bind(l.iops_write_rate_max)
            .bind(l.iops_write_rate_max_length)
            .bind(p.encrypt)
            .bind(now)
            .fetch_one(&mut **c)
            .await?))
    }

    /// Any live disk offering, compute-only ones included.
    pub async fn disk_offering_by_id(&mut self, id: i64) -> Result<Option<DiskOfferingRow>> {
        let mut sql = Sql::new(&select());
        sql.and("dk.id = ?", Bind::I64(id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    /// A live disk offering the API can name (not a compute-only one).
    pub async fn disk_offering_by_uuid(&mut self, uuid: &str) -> Result<Option<DiskOfferingRow>> {
        let mut sql = Sql::new(&select());
        sql.and("dk.uuid = ?", Bind::Str(uuid.into()));
        sql.push(" AND dk.compute_only = FALSE");
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    /// True when a disk offering with this unique name was ever created (even if removed).
    pub async fn disk_offering_seeded(&mut self, unique_name: &str) -> Result<bool> {
        let mut sql = Sql::new("SELECT COUNT(*) FROM disk_offering WHERE 1 = 1");
        sql.and("unique_name = ?", Bind::Str(unique_name.into()));
        Ok(self.fetch_count(&sql).await? > 0)
    }

    pub async fn list_disk_offerings(
        &mut self,
        f: &DiskOfferingFilter,
        page: Page,
    ) -> Result<(i64, Vec<DiskOfferingRow>)> {
        let mut count = Sql::new("SELECT COUNT(*) FROM disk_offering dk WHERE dk.removed IS NULL");
        f.apply(&mut count);
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(&select());
        f.apply(&mut sql);
        sql.push(" ORDER BY dk.sort_key, dk.id");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    /// Saves the changeable columns unless another writer changed the row first.
    pub async fn update_disk_offering(&mut self, o: &DiskOfferingRow) -> Result<bool> {
        const SQL: &str = "UPDATE disk_offering SET name = $1, display_text = $2, \
             display_offering = $3, state = $4, sort_key = $5, tags = $6, cache_mode = $7, \
             bytes_read_rate = $8, bytes_read_rate_max = $9, bytes_read_rate_max_length = $10, \
             bytes_write_rate = $11, bytes_write_rate_max = $12, bytes_write_rate_max_length = $13, \
             iops_read_rate = $14, iops_read_rate_max = $15, iops_read_rate_max_length = $16, \
             iops_write_rate = $17, iops_write_rate_max = $18, iops_write_rate_max_length = $19, \
             update_count = update_count + 1 \
             WHERE id = $20 AND update_count = $21 AND removed IS NULL";
        let l = &o.props.limits;
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(&o.name)
            .bind(&o.display_text)
            .bind(o.display_offering)
            .bind(&o.state)
            .bind(o.sort_key)
            .bind(&o.props.tags)
            .bind(&o.props.cache_mode)
            .bind(l.bytes_read_rate)
            .bind(l.bytes_read_rate_max)
            .bind(l.bytes_read_rate_max_length)
            .bind(l.bytes_write_rate)
            .bind(l.bytes_write_rate_max)
            .bind(l.bytes_write_rate_max_length)
            .bind(l.iops_read_rate)
            .bind(l.iops_read_rate_max)
            .bind(l.iops_read_rate_max_length)
            .bind(l.iops_write_rate)
            .bind(l.iops_write_rate_max)
            .bind(l.iops_write_rate_max_length)
            .bind(o.id)
            .bind(o.update_count)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    /// Soft-deletes a disk offering (it stays readable for what already uses it).
    pub async fn remove_disk_offering(&mut self, id: i64, now: DateTime<Utc>) -> Result<bool> {
        const SQL: &str = "UPDATE disk_offering SET removed = $1, state = 'Inactive', \
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
