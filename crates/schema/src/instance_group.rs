//! Instance groups (`instance_group`, soft-deleted) and the VMs in them
//! (`instance_group_vm_map`, at most one group per VM).

use chrono::{DateTime, Utc};

use crate::owner_scope::OwnerScope;
use crate::sql::{Bind, Page, Sql};
use crate::{Conn, Result, on_conn};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct InstanceGroupRow {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub account_id: i64,
    pub account_name: String,
    pub domain_id: i64,
    pub domain_uuid: String,
    pub domain_name: String,
    pub domain_path: String,
    pub created: DateTime<Utc>,
}

const SELECT: &str = "SELECT g.id, g.uuid, g.name, g.account_id, a.name AS account_name, \
     a.domain_id, d.uuid AS domain_uuid, d.name AS domain_name, d.path AS domain_path, g.created";

const FROM: &str = " FROM instance_group g JOIN account a ON a.id = g.account_id \
     JOIN domain d ON d.id = a.domain_id WHERE g.removed IS NULL AND a.removed IS NULL";

const MEMBER_FROM: &str = " FROM instance_group_vm_map m \
     JOIN instance_group g ON g.id = m.group_id JOIN account a ON a.id = g.account_id \
     JOIN domain d ON d.id = a.domain_id WHERE g.removed IS NULL AND a.removed IS NULL";

#[derive(Clone, Debug, Default)]
pub struct InstanceGroupFilter {
    pub scope: OwnerScope,
    pub uuid: Option<String>,
    pub name: Option<String>,
    pub keyword: Option<String>,
}

impl InstanceGroupFilter {
    fn apply(&self, sql: &mut Sql) {
        self.scope.apply(sql, "a", "d");
        if let Some(u) = &self.uuid {
            sql.and("g.uuid = ?", Bind::Str(u.clone()));
        }
        if let Some(n) = &self.name {
            sql.and("g.name = ?", Bind::Str(n.clone()));
        }
        if let Some(k) = &self.keyword {
            sql.and("lower(g.name) LIKE ?", Bind::Str(crate::domain::like(k)));
        }
    }
}

impl Conn<'_> {
    pub async fn insert_instance_group(
        &mut self,
        uuid: &str,
        account_id: i64,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        const SQL: &str = "INSERT INTO instance_group (uuid, account_id, name, created) \
             VALUES ($1, $2, $3, $4) RETURNING id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(uuid)
            .bind(account_id)
            .bind(name)
            .bind(now)
            .fetch_one(&mut **c)
            .await?))
    }

    pub async fn list_instance_groups(
        &mut self,
        f: &InstanceGroupFilter,
        page: Page,
    ) -> Result<(i64, Vec<InstanceGroupRow>)> {
        let mut count = Sql::new(&format!("SELECT COUNT(*){FROM}"));
        f.apply(&mut count);
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(&format!("{SELECT}{FROM}"));
        f.apply(&mut sql);
        sql.push(" ORDER BY g.id");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    pub async fn instance_group_by_uuid(&mut self, uuid: &str) -> Result<Option<InstanceGroupRow>> {
        let mut sql = Sql::new(&format!("{SELECT}{FROM}"));
        sql.and("g.uuid = ?", Bind::Str(uuid.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn instance_group_by_name(
        &mut self,
        account_id: i64,
        name: &str,
    ) -> Result<Option<InstanceGroupRow>> {
        let mut sql = Sql::new(&format!("{SELECT}{FROM}"));
        sql.and("g.account_id = ?", Bind::I64(account_id));
        sql.and("g.name = ?", Bind::Str(name.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn rename_instance_group(&mut self, id: i64, name: &str) -> Result<bool> {
        Ok(on_conn!(self, |c| sqlx::query(
            "UPDATE instance_group SET name = $1 WHERE id = $2 AND removed IS NULL"
        )
        .bind(name)
        .bind(id)
        .execute(&mut **c)
        .await?
        .rows_affected())
            == 1)
    }

    /// Soft-deletes the group; its VMs leave it.
    pub async fn remove_instance_group(&mut self, id: i64, now: DateTime<Utc>) -> Result<bool> {
        on_conn!(self, |c| sqlx::query(
            "DELETE FROM instance_group_vm_map WHERE group_id = $1"
        )
        .bind(id)
        .execute(&mut **c)
        .await?
        .rows_affected());
        Ok(on_conn!(self, |c| sqlx::query(
            "UPDATE instance_group SET removed = $1 WHERE id = $2 AND removed IS NULL"
        )
        .bind(now)
        .bind(id)
        .execute(&mut **c)
        .await?
        .rows_affected())
            == 1)
    }

    /// Puts the VM in `group_id`, or in no group.
    pub async fn set_instance_group_of_vm(
        &mut self,
        instance_id: i64,
        group_id: Option<i64>,
    ) -> Result<()> {
        on_conn!(self, |c| sqlx::query(
            "DELETE FROM instance_group_vm_map WHERE instance_id = $1"
        )
        .bind(instance_id)
        .execute(&mut **c)
        .await?
        .rows_affected());
        if let Some(g) = group_id {
            on_conn!(self, |c| sqlx::query(
                "INSERT INTO instance_group_vm_map (instance_id, group_id) VALUES ($1, $2)"
            )
            .bind(instance_id)
            .bind(g)
            .execute(&mut **c)
            .await?
            .rows_affected());
        }
        Ok(())
    }

    /// The group of each of these VMs that is in one: (instance id, group).
    pub async fn instance_groups_of_vms(
        &mut self,
        instance_ids: &[i64],
    ) -> Result<Vec<(i64, InstanceGroupRow)>> {
        #[derive(sqlx::FromRow)]
        struct Member {
            instance_id: i64,
            #[sqlx(flatten)]
            group: InstanceGroupRow,
        }
        let mut sql = Sql::new(&format!("{SELECT}, m.instance_id{MEMBER_FROM}"));
        sql.and_in(
            "m.instance_id",
            instance_ids.iter().copied().map(Bind::I64).collect(),
        );
        let rows: Vec<Member> = self.fetch_all(&sql).await?;
        Ok(rows.into_iter().map(|m| (m.instance_id, m.group)).collect())
    }
}
