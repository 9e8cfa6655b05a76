//! Affinity groups (`affinity_group`) and their VM members (`affinity_group_vm_map`).

use chrono::{DateTime, Utc};

use crate::owner_scope::OwnerScope;
use crate::sql::{Bind, Page, Sql};
use crate::{Conn, Result, on_conn};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AffinityGroupRow {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub description: Option<String>,
    pub group_type: String,
    pub account_id: i64,
    pub account_name: String,
    pub domain_id: i64,
    pub domain_uuid: String,
    pub domain_name: String,
    pub domain_path: String,
    pub created: DateTime<Utc>,
}

const SELECT: &str = "SELECT g.id, g.uuid, g.name, g.description, g.group_type, g.account_id, \
     a.name AS account_name, a.domain_id, d.uuid AS domain_uuid, d.name AS domain_name, \
     d.path AS domain_path, g.created";

const FROM: &str = " FROM affinity_group g JOIN account a ON a.id = g.account_id \
     JOIN domain d ON d.id = a.domain_id WHERE a.removed IS NULL";

/// [`FROM`] joined with the membership map `m`.
const FROM_MEMBERS: &str = " FROM affinity_group_vm_map m JOIN affinity_group g ON g.id = m.group_id \
     JOIN account a ON a.id = g.account_id JOIN domain d ON d.id = a.domain_id \
     WHERE a.removed IS NULL";

pub struct NewAffinityGroup<'a> {
    pub uuid: &'a str,
    pub account_id: i64,
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub group_type: &'a str,
}

#[derive(Clone, Debug, Default)]
pub struct AffinityGroupFilter {
    pub scope: OwnerScope,
    pub uuid: Option<String>,
    pub name: Option<String>,
    pub group_type: Option<String>,
    pub keyword: Option<String>,
}

impl AffinityGroupFilter {
    fn apply(&self, sql: &mut Sql) {
        self.scope.apply(sql, "a", "d");
        if let Some(u) = &self.uuid {
            sql.and("g.uuid = ?", Bind::Str(u.clone()));
        }
        if let Some(n) = &self.name {
            sql.and("g.name = ?", Bind::Str(n.clone()));
        }
        if let Some(t) = &self.group_type {
            sql.and("g.group_type = ?", Bind::Str(t.clone()));
        }
        if let Some(k) = &self.keyword {
            sql.and("lower(g.name) LIKE ?", Bind::Str(crate::domain::like(k)));
        }
    }
}

impl Conn<'_> {
    pub async fn insert_affinity_group(
        &mut self,
        g: &NewAffinityGroup<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        const SQL: &str = "INSERT INTO affinity_group (uuid, account_id, name, description, \
             group_type, created) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(g.uuid)
            .bind(g.account_id)
            .bind(g.name)
            .bind(g.description)
            .bind(g.group_type)
            .bind(now)
            .fetch_one(&mut **c)
            .await?))
    }

    pub async fn list_affinity_groups(
        &mut self,
        f: &AffinityGroupFilter,
        page: Page,
    ) -> Result<(i64, Vec<AffinityGroupRow>)> {
        let mut count = Sql::new(&format!("SELECT COUNT(*){FROM}"));
        f.apply(&mut count);
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(&format!("{SELECT}{FROM}"));
        f.apply(&mut sql);
        sql.push(" ORDER BY g.id");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    pub async fn affinity_groups_by_uuids(
        &mut self,
        uuids: &[String],
    ) -> Result<Vec<AffinityGroupRow>> {
        let mut sql = Sql::new(&format!("{SELECT}{FROM}"));
        sql.and_in("g.uuid", uuids.iter().cloned().map(Bind::Str).collect());
        sql.push(" ORDER BY g.id");
        self.fetch_all(&sql).await
    }

    pub async fn affinity_groups_by_ids(&mut self, ids: &[i64]) -> Result<Vec<AffinityGroupRow>> {
        let mut sql = Sql::new(&format!("{SELECT}{FROM}"));
        sql.and_in("g.id", ids.iter().copied().map(Bind::I64).collect());
        sql.push(" ORDER BY g.id");
        self.fetch_all(&sql).await
    }

    /// The groups a VM is in.
    pub async fn affinity_groups_of_vm(
        &mut self,
        instance_id: i64,
    ) -> Result<Vec<AffinityGroupRow>> {
        let mut sql = Sql::new(&format!("{SELECT}{FROM}"));
        sql.and(
            "g.id IN (SELECT group_id FROM affinity_group_vm_map WHERE instance_id = ?)",
            Bind::I64(instance_id),
        );
        sql.push(" ORDER BY g.id");
        self.fetch_all(&sql).await
    }

    /// The groups of each of these VMs, as (instance id, group), by group id.
    pub async fn affinity_groups_of_vms(
        &mut self,
        instance_ids: &[i64],
    ) -> Result<Vec<(i64, AffinityGroupRow)>> {
        #[derive(sqlx::FromRow)]
        struct Member {
            instance_id: i64,
            #[sqlx(flatten)]
            group: AffinityGroupRow,
        }
        let mut sql = Sql::new(&format!("{SELECT}, m.instance_id{FROM_MEMBERS}"));
        sql.and_in(
            "m.instance_id",
            instance_ids.iter().copied().map(Bind::I64).collect(),
        );
        sql.push(" ORDER BY m.instance_id, g.id");
        let rows: Vec<Member> = self.fetch_all(&sql).await?;
        Ok(rows.into_iter().map(|m| (m.instance_id, m.group)).collect())
    }

    pub async fn delete_affinity_group(&mut self, id: i64) -> Result<bool> {
        Ok(on_conn!(self, |c| sqlx::query(
            "DELETE FROM affinity_group WHERE id = $1"
        )
        .bind(id)
        .execute(&mut **c)
        .await?
        .rows_affected())
            == 1)
    }

    /// Adds the VM to the groups; membership it already has is kept as is.
    pub async fn add_affinity_members(&mut self, instance_id: i64, groups: &[i64]) -> Result<()> {
        const SQL: &str = "INSERT INTO affinity_group_vm_map (group_id, instance_id) \
             VALUES ($1, $2) ON CONFLICT DO NOTHING";
        for g in groups {
            on_conn!(self, |c| sqlx::query(SQL)
                .bind(*g)
                .bind(instance_id)
                .execute(&mut **c)
                .await?
                .rows_affected());
        }
        Ok(())
    }

    pub async fn remove_affinity_members(
        &mut self,
        instance_id: i64,
        groups: &[i64],
    ) -> Result<u64> {
        let mut sql = Sql::new("DELETE FROM affinity_group_vm_map WHERE 1 = 1");
        sql.and("instance_id = ?", Bind::I64(instance_id));
        sql.and_in("group_id", groups.iter().copied().map(Bind::I64).collect());
        self.execute(&sql).await
    }

    /// Locks the groups' rows until the transaction ends, so two placements in one
    /// group run one after the other (PostgreSQL row locks; SQLite's write lock is
    /// taken by any write). Ids are locked in order so two callers cannot deadlock.
    pub async fn lock_affinity_groups(&mut self, ids: &[i64]) -> Result<()> {
        let mut sorted = ids.to_vec();
        sorted.sort_unstable();
        for id in sorted {
            on_conn!(self, |c| sqlx::query(
                "UPDATE affinity_group SET group_type = group_type WHERE id = $1"
            )
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        }
        Ok(())
    }

    /// Hosts on which the group's members other than `except` hold capacity (a VM
    /// holds none while stopped; two hosts while it migrates).
    pub async fn affinity_member_hosts(&mut self, group_id: i64, except: i64) -> Result<Vec<i64>> {
        const SQL: &str = "SELECT DISTINCT r.host_id FROM affinity_group_vm_map m \
             JOIN host_reservation r ON r.instance_id = m.instance_id \
             WHERE m.group_id = $1 AND m.instance_id <> $2 ORDER BY r.host_id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(group_id)
            .bind(except)
            .fetch_all(&mut **c)
            .await?))
    }

    /// Instance ids of the group's members.
    pub async fn affinity_members(&mut self, group_id: i64) -> Result<Vec<i64>> {
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(
            "SELECT instance_id FROM affinity_group_vm_map WHERE group_id = $1 \
             ORDER BY instance_id"
        )
        .bind(group_id)
        .fetch_all(&mut **c)
        .await?))
    }
}
