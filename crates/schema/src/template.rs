//! Templates and ISOs (`vm_template`), their copies on image stores
//! (`template_store_ref`) and launch permissions.

use chrono::{DateTime, Utc};

use crate::sql::{Bind, Page, Sql};
use crate::{Conn, Result, on_conn};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TemplateRow {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub display_text: String,
    pub template_type: String,
    pub format: String,
    pub hypervisor: String,
    pub guest_os_id: i64,
    pub guest_os_uuid: String,
    pub guest_os_name: String,
    pub account_id: i64,
    pub account_uuid: String,
    pub account_name: String,
    pub account_type: i64,
    pub domain_id: i64,
    pub domain_uuid: String,
    pub domain_name: String,
    pub domain_path: String,
    pub url: Option<String>,
    pub checksum: Option<String>,
    pub is_public: bool,
    pub featured: bool,
    pub extractable: bool,
    pub password_enabled: bool,
    pub sshkey_enabled: bool,
    pub bootable: bool,
    pub requires_hvm: bool,
    pub dynamically_scalable: bool,
    pub cross_zones: bool,
    pub bits: i32,
    pub arch: String,
    pub template_tag: Option<String>,
    pub sort_key: i32,
    pub source_template_uuid: Option<String>,
    pub created: DateTime<Utc>,
    pub update_count: i64,
}

impl TemplateRow {
    pub fn is_iso(&self) -> bool {
        self.format == "ISO"
    }
}

const COLUMNS: &str = "SELECT t.id, t.uuid, t.name, t.display_text, t.template_type, t.format, \
     t.hypervisor, t.guest_os_id, g.uuid AS guest_os_uuid, g.display_name AS guest_os_name, \
     t.account_id, a.uuid AS account_uuid, a.name AS account_name, a.account_type, t.domain_id, \
     d.uuid AS domain_uuid, d.name AS domain_name, d.path AS domain_path, t.url, t.checksum, \
     t.is_public, t.featured, t.extractable, t.password_enabled, t.sshkey_enabled, t.bootable, \
     t.requires_hvm, t.dynamically_scalable, t.cross_zones, t.bits, t.arch, t.template_tag, \
     t.sort_key, s.uuid AS source_template_uuid, t.created, t.update_count";

const FROM: &str = " FROM vm_template t JOIN guest_os g ON g.id = t.guest_os_id \
     JOIN account a ON a.id = t.account_id JOIN domain d ON d.id = t.domain_id \
     LEFT JOIN vm_template s ON s.id = t.source_template_id WHERE t.removed IS NULL";

/// A template's copy on one image store: download state, progress and sizes.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TemplateRefRow {
    pub id: i64,
    pub template_id: i64,
    pub store_id: i64,
    pub store_uuid: String,
    pub store_name: String,
    pub store_url: String,
    pub zone_id: i64,
    pub zone_uuid: String,
    pub zone_name: String,
    pub simulated: bool,
    pub download_state: String,
    pub download_pct: i32,
    pub error_str: Option<String>,
    pub source_url: Option<String>,
    pub source_ref_id: Option<i64>,
    pub install_path: Option<String>,
    pub size: Option<i64>,
    pub physical_size: Option<i64>,
    pub owner_msid: Option<String>,
    pub attempts: i32,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

impl TemplateRefRow {
    pub fn is_ready(&self) -> bool {
        self.download_state == state::DOWNLOADED
    }
}

/// `template_store_ref.download_state` values (CloudStack's download states).
pub mod state {
    pub const NOT_DOWNLOADED: &str = "NOT_DOWNLOADED";
    pub const DOWNLOAD_IN_PROGRESS: &str = "DOWNLOAD_IN_PROGRESS";
    pub const DOWNLOADED: &str = "DOWNLOADED";
    pub const DOWNLOAD_ERROR: &str = "DOWNLOAD_ERROR";
    pub const NOT_UPLOADED: &str = "NOT_UPLOADED";
    pub const UPLOAD_IN_PROGRESS: &str = "UPLOAD_IN_PROGRESS";
    pub const UPLOAD_ERROR: &str = "UPLOAD_ERROR";
    pub const ABANDONED: &str = "ABANDONED";
}

const REF_COLUMNS: &str = "SELECT r.id, r.template_id, r.store_id, i.uuid AS store_uuid, \
     i.name AS store_name, i.url AS store_url, r.zone_id, z.uuid AS zone_uuid, \
     z.name AS zone_name, r.simulated, r.download_state, r.download_pct, r.error_str, \
     r.source_url, r.source_ref_id, r.install_path, r.size, r.physical_size, r.owner_msid, \
     r.attempts, r.created, r.updated \
     FROM template_store_ref r JOIN image_store i ON i.id = r.store_id \
     JOIN zone z ON z.id = r.zone_id WHERE 1 = 1";

pub struct NewTemplate<'a> {
    pub uuid: &'a str,
    pub name: &'a str,
    pub display_text: &'a str,
    pub template_type: &'a str,
    pub format: &'a str,
    pub hypervisor: &'a str,
    pub guest_os_id: i64,
    pub account_id: i64,
    pub domain_id: i64,
    pub url: Option<&'a str>,
    pub checksum: Option<&'a str>,
    pub is_public: bool,
    pub featured: bool,
    pub extractable: bool,
    pub password_enabled: bool,
    pub sshkey_enabled: bool,
    pub bootable: bool,
    pub requires_hvm: bool,
    pub dynamically_scalable: bool,
    pub cross_zones: bool,
    pub bits: i32,
    pub arch: &'a str,
    pub template_tag: Option<&'a str>,
    pub source_template_id: Option<i64>,
}

pub struct NewTemplateRef<'a> {
    pub template_id: i64,
    pub store_id: i64,
    pub zone_id: i64,
    pub simulated: bool,
    pub download_state: &'a str,
    pub source_url: Option<&'a str>,
    pub source_ref_id: Option<i64>,
}

/// Who may see a template: the alternatives are OR-ed.
#[derive(Clone, Debug)]
pub enum Visible {
    Everything,
    Featured,
    Public,
    Account(i64),
    Domain(i64),
    /// Owned by an account of this domain path or below.
    Subtree(String),
    /// Shared with this account by a launch permission.
    SharedWith(i64),
}

#[derive(Clone, Debug, Default)]
pub struct TemplateFilter {
    pub iso: bool,
    pub visible: Vec<Visible>,
    /// Community lists leave out the caller's own templates.
    pub not_account: Option<i64>,
    /// Leave out featured templates (community).
    pub not_featured: bool,
    pub include_system: bool,
    pub uuids: Vec<String>,
    pub name: Option<String>,
    pub keyword: Option<String>,
    pub hypervisor: Option<String>,
    pub template_type: Option<String>,
    pub zone_id: Option<i64>,
    pub store_id: Option<i64>,
    pub ready: Option<bool>,
    pub bootable: Option<bool>,
    pub is_public: Option<bool>,
    pub os_category_id: Option<i64>,
    pub arch: Option<String>,
}

impl TemplateFilter {
    fn apply(&self, sql: &mut Sql) {
        self.apply_template(sql);
        if let Some(z) = self.zone_id {
            sql.and("r.zone_id = ?", Bind::I64(z));
        }
        if let Some(s) = self.store_id {
            sql.and("r.store_id = ?", Bind::I64(s));
        }
        match self.ready {
            Some(true) => {
                sql.push(" AND r.download_state = 'DOWNLOADED'");
            }
            Some(false) => {
                sql.push(" AND r.download_state <> 'DOWNLOADED'");
            }
            None => {}
        }
    }

    /// Conditions on the template alone (no store copy joined).
    fn apply_template(&self, sql: &mut Sql) {
        if self.iso {
            sql.push(" AND t.format = 'ISO'");
        } else {
            sql.push(" AND t.format <> 'ISO'");
        }
        if !self.include_system {
            sql.push(" AND t.template_type <> 'SYSTEM'");
        }
        self.apply_visible(sql);
        if let Some(a) = self.not_account {
            sql.and("t.account_id <> ?", Bind::I64(a));
        }
        if self.not_featured {
            sql.push(" AND NOT t.featured");
        }
        if !self.uuids.is_empty() {
            sql.and_in(
                "t.uuid",
                self.uuids.iter().map(|u| Bind::Str(u.clone())).collect(),
            );
        }
        if let Some(n) = &self.name {
            sql.and("t.name = ?", Bind::Str(n.clone()));
        }
        if let Some(k) = &self.keyword {
            sql.and("lower(t.name) LIKE ?", Bind::Str(crate::domain::like(k)));
        }
        if let Some(h) = &self.hypervisor {
            sql.and("lower(t.hypervisor) = ?", Bind::Str(h.to_lowercase()));
        }
        if let Some(t) = &self.template_type {
            sql.and("t.template_type = ?", Bind::Str(t.clone()));
        }
        if let Some(b) = self.bootable {
            sql.and("t.bootable = ?", Bind::Bool(b));
        }
        if let Some(p) = self.is_public {
            sql.and("t.is_public = ?", Bind::Bool(p));
        }
        if let Some(c) = self.os_category_id {
            sql.and("g.category_id = ?", Bind::I64(c));
        }
        if let Some(a) = &self.arch {
            sql.and("t.arch = ?", Bind::Str(a.clone()));
        }
    }

    fn apply_visible(&self, sql: &mut Sql) {
        if self
            .visible
            .iter()
            .any(|v| matches!(v, Visible::Everything))
        {
            return;
        }
        if self.visible.is_empty() {
            sql.push(" AND 1 = 0");
            return;
        }
        sql.push(" AND (");
        for (i, v) in self.visible.iter().enumerate() {
            if i > 0 {
                sql.push(" OR ");
            }
            match v {
                Visible::Everything => {}
                Visible::Featured => {
                    sql.push("t.featured");
                }
                Visible::Public => {
                    sql.push("t.is_public");
                }
                Visible::Account(a) => {
                    sql.push_bind("t.account_id = ?", [Bind::I64(*a)]);
                }
                Visible::Domain(d) => {
                    sql.push_bind("t.domain_id = ?", [Bind::I64(*d)]);
                }
                Visible::Subtree(p) => {
                    sql.push_bind(
                        "substr(d.path, 1, length(?)) = ?",
                        [Bind::Str(p.clone()), Bind::Str(p.clone())],
                    );
                }
                Visible::SharedWith(a) => {
                    sql.push_bind(
                        "t.id IN (SELECT template_id FROM launch_permission WHERE account_id = ?)",
                        [Bind::I64(*a)],
                    );
                }
            }
        }
        sql.push(")");
    }
}

/// One entry of listTemplates: a template in a zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct TemplateInZone {
    pub template_id: i64,
    pub zone_id: i64,
}

const PAIRS: &str = " FROM vm_template t JOIN guest_os g ON g.id = t.guest_os_id \
     JOIN domain d ON d.id = t.domain_id \
     JOIN template_store_ref r ON r.template_id = t.id WHERE t.removed IS NULL";

impl Conn<'_> {
    pub async fn insert_template(
        &mut self,
        t: &NewTemplate<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        const SQL: &str = "INSERT INTO vm_template (uuid, name, display_text, template_type, \
             format, hypervisor, guest_os_id, account_id, domain_id, url, checksum, is_public, \
             featured, extractable, password_enabled, sshkey_enabled, bootable, requires_hvm, \
             dynamically_scalable, cross_zones, bits, arch, template_tag, sort_key, \
             source_template_id, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
             $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, 0, $24, $25) RETURNING id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(t.uuid)
            .bind(t.name)
            .bind(t.display_text)
            .bind(t.template_type)
            .bind(t.format)
            .bind(t.hypervisor)
            .bind(t.guest_os_id)
            .bind(t.account_id)
            .bind(t.domain_id)
            .bind(t.url)
            .bind(t.checksum)
            .bind(t.is_public)
            .bind(t.featured)
            .bind(t.extractable)
            .bind(t.password_enabled)
            .bind(t.sshkey_enabled)
            .bind(t.bootable)
            .bind(t.requires_hvm)
            .bind(t.dynamically_scalable)
            .bind(t.cross_zones)
            .bind(t.bits)
            .bind(t.arch)
            .bind(t.template_tag)
            .bind(t.source_template_id)
            .bind(now)
            .fetch_one(&mut **c)
            .await?))
    }

    pub async fn template_by_id(&mut self, id: i64) -> Result<Option<TemplateRow>> {
        let mut sql = Sql::new(&format!("{COLUMNS}{FROM}"));
        sql.and("t.id = ?", Bind::I64(id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn template_by_uuid(&mut self, uuid: &str) -> Result<Option<TemplateRow>> {
        let mut sql = Sql::new(&format!("{COLUMNS}{FROM}"));
        sql.and("t.uuid = ?", Bind::Str(uuid.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn templates_by_ids(&mut self, ids: &[i64]) -> Result<Vec<TemplateRow>> {
        let mut sql = Sql::new(&format!("{COLUMNS}{FROM}"));
        sql.and_in("t.id", ids.iter().map(|i| Bind::I64(*i)).collect());
        self.fetch_all(&sql).await
    }

    /// The page of (template, zone) entries a list shows, and their total.
    pub async fn list_templates_in_zones(
        &mut self,
        f: &TemplateFilter,
        unique: bool,
        page: Page,
    ) -> Result<(i64, Vec<TemplateInZone>)> {
        // One entry per template (showunique) keeps the zone of its oldest copy.
        let select = if unique {
            "SELECT t.id AS template_id, MIN(r.zone_id) AS zone_id"
        } else {
            "SELECT t.id AS template_id, r.zone_id AS zone_id"
        };
        let group = if unique {
            " GROUP BY t.id"
        } else {
            " GROUP BY t.id, r.zone_id"
        };
        let mut inner = Sql::new(&format!("{select}{PAIRS}"));
        f.apply(&mut inner);
        inner.push(group);
        let count = inner.nested("SELECT COUNT(*) FROM (", ") pairs");
        let mut sql = inner.nested("SELECT template_id, zone_id FROM (", ") pairs");
        let total = self.fetch_count(&count).await?;
        sql.push(" ORDER BY template_id, zone_id");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    pub async fn update_template(&mut self, t: &TemplateRow) -> Result<bool> {
        const SQL: &str = "UPDATE vm_template SET name = $1, display_text = $2, guest_os_id = $3, \
             format = $4, password_enabled = $5, sshkey_enabled = $6, bootable = $7, \
             requires_hvm = $8, dynamically_scalable = $9, is_public = $10, featured = $11, \
             extractable = $12, sort_key = $13, template_type = $14, template_tag = $15, \
             arch = $16, update_count = update_count + 1 \
             WHERE id = $17 AND update_count = $18 AND removed IS NULL";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(&t.name)
            .bind(&t.display_text)
            .bind(t.guest_os_id)
            .bind(&t.format)
            .bind(t.password_enabled)
            .bind(t.sshkey_enabled)
            .bind(t.bootable)
            .bind(t.requires_hvm)
            .bind(t.dynamically_scalable)
            .bind(t.is_public)
            .bind(t.featured)
            .bind(t.extractable)
            .bind(t.sort_key)
            .bind(&t.template_type)
            .bind(&t.template_tag)
            .bind(&t.arch)
            .bind(t.id)
            .bind(t.update_count)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    pub async fn remove_template(&mut self, id: i64, now: DateTime<Utc>) -> Result<()> {
        const SQL: &str = "UPDATE vm_template SET removed = $1 WHERE id = $2 AND removed IS NULL";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(now)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        const PERMS: &str = "DELETE FROM launch_permission WHERE template_id = $1";
        on_conn!(self, |c| sqlx::query(PERMS)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Live templates matching a filter, whether or not they are in any store.
    pub async fn count_templates(&mut self, f: &TemplateFilter) -> Result<i64> {
        let mut sql = Sql::new(
            "SELECT COUNT(*) FROM vm_template t JOIN guest_os g ON g.id = t.guest_os_id \
             JOIN domain d ON d.id = t.domain_id WHERE t.removed IS NULL",
        );
        f.apply_template(&mut sql);
        self.fetch_count(&sql).await
    }

    pub async fn insert_template_ref(
        &mut self,
        r: &NewTemplateRef<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        const SQL: &str = "INSERT INTO template_store_ref (template_id, store_id, zone_id, \
             simulated, download_state, download_pct, source_url, source_ref_id, attempts, \
             created, updated) VALUES ($1, $2, $3, $4, $5, 0, $6, $7, 0, $8, $8) RETURNING id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(r.template_id)
            .bind(r.store_id)
            .bind(r.zone_id)
            .bind(r.simulated)
            .bind(r.download_state)
            .bind(r.source_url)
            .bind(r.source_ref_id)
            .bind(now)
            .fetch_one(&mut **c)
            .await?))
    }

    pub async fn template_ref_by_id(&mut self, id: i64) -> Result<Option<TemplateRefRow>> {
        let mut sql = Sql::new(REF_COLUMNS);
        sql.and("r.id = ?", Bind::I64(id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    /// Copies of these templates, in store order.
    pub async fn template_refs(&mut self, template_ids: &[i64]) -> Result<Vec<TemplateRefRow>> {
        let mut sql = Sql::new(REF_COLUMNS);
        sql.and_in(
            "r.template_id",
            template_ids.iter().map(|i| Bind::I64(*i)).collect(),
        );
        sql.push(" ORDER BY r.template_id, r.zone_id, r.store_id");
        self.fetch_all(&sql).await
    }

    /// Copies that still need work (download, copy), oldest first.
    pub async fn pending_template_refs(&mut self, limit: i64) -> Result<Vec<TemplateRefRow>> {
        let mut sql = Sql::new(REF_COLUMNS);
        sql.push(" AND r.download_state IN ('NOT_DOWNLOADED', 'DOWNLOAD_IN_PROGRESS')");
        sql.push(" ORDER BY r.id");
        sql.push_bind(" LIMIT ?", [Bind::I64(limit)]);
        self.fetch_all(&sql).await
    }

    pub async fn delete_template_ref(&mut self, id: i64) -> Result<()> {
        const SQL: &str = "DELETE FROM template_store_ref WHERE id = $1";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Drops the simulated copies of a store being deleted.
    pub async fn delete_simulated_store_refs(&mut self, store_id: i64) -> Result<()> {
        const SQL: &str = "DELETE FROM template_store_ref WHERE store_id = $1 AND simulated";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(store_id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Template and ISO copies an image store holds.
    pub async fn count_store_template_refs(&mut self, store_id: i64) -> Result<i64> {
        let mut sql = Sql::new("SELECT COUNT(*) FROM template_store_ref r WHERE 1 = 1");
        sql.and("r.store_id = ?", Bind::I64(store_id));
        self.fetch_count(&sql).await
    }

    /// Image stores that lack a copy of a live cross-zone template, for the image service
    /// to fill (a store added after the template was registered).
    pub async fn missing_cross_zone_refs(&mut self) -> Result<Vec<(i64, i64, i64)>> {
        const SQL: &str = "SELECT t.id, i.id, i.zone_id FROM vm_template t \
             CROSS JOIN image_store i WHERE t.removed IS NULL AND t.cross_zones \
             AND i.removed IS NULL AND i.zone_id IS NOT NULL AND NOT i.readonly \
             AND NOT EXISTS (SELECT 1 FROM template_store_ref r \
                 WHERE r.template_id = t.id AND r.zone_id = i.zone_id)";
        Ok(on_conn!(self, |c| sqlx::query_as::<_, (i64, i64, i64)>(
            SQL
        )
        .fetch_all(&mut **c)
        .await?))
    }

    /// Accounts a template is shared with, by uuid.
    pub async fn launch_permissions(&mut self, template_id: i64) -> Result<Vec<String>> {
        const SQL: &str = "SELECT a.name FROM launch_permission p JOIN account a \
             ON a.id = p.account_id WHERE p.template_id = $1 ORDER BY a.name";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, String>(SQL)
            .bind(template_id)
            .fetch_all(&mut **c)
            .await?))
    }

    pub async fn add_launch_permission(&mut self, template_id: i64, account_id: i64) -> Result<()> {
        const SQL: &str = "INSERT INTO launch_permission (template_id, account_id) \
             VALUES ($1, $2) ON CONFLICT DO NOTHING";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(template_id)
            .bind(account_id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    pub async fn remove_launch_permission(
        &mut self,
        template_id: i64,
        account_id: i64,
    ) -> Result<()> {
        const SQL: &str =
            "DELETE FROM launch_permission WHERE template_id = $1 AND account_id = $2";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(template_id)
            .bind(account_id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    pub async fn reset_launch_permissions(&mut self, template_id: i64) -> Result<()> {
        const SQL: &str = "DELETE FROM launch_permission WHERE template_id = $1";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(template_id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }
}
