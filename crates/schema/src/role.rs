//! Roles and their ordered permission rules.

use chrono::{DateTime, Utc};

use crate::sql::{Bind, Page, Sql};
use crate::{Conn, Result, on_conn};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RoleRow {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub role_type: String,
    pub description: Option<String>,
    pub is_default: bool,
    pub is_public: bool,
    pub state: String,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PermissionRow {
    pub id: i64,
    pub uuid: String,
    pub role_id: i64,
    pub role_uuid: String,
    pub role_name: String,
    pub rule: String,
    pub permission: String,
    pub description: Option<String>,
    pub sort_order: i64,
}

const SELECT: &str = "SELECT id, uuid, name, role_type, description, is_default, is_public, \
     state FROM role WHERE removed IS NULL";

const SELECT_PERMISSION: &str = "SELECT p.id, p.uuid, p.role_id, r.uuid AS role_uuid, \
     r.name AS role_name, p.rule, p.permission, p.description, p.sort_order \
     FROM role_permission p JOIN role r ON r.id = p.role_id WHERE 1 = 1";

#[derive(Default)]
pub struct RoleFilter<'a> {
    pub uuid: Option<&'a str>,
    pub name: Option<&'a str>,
    pub role_type: Option<&'a str>,
    pub state: Option<&'a str>,
    pub keyword: Option<&'a str>,
    /// Only public roles and roles of these types (for domain admins).
    pub visible_types: Option<Vec<String>>,
}

pub struct NewRole<'a> {
    pub uuid: &'a str,
    pub name: &'a str,
    pub role_type: &'a str,
    pub description: Option<&'a str>,
    pub is_default: bool,
    pub is_public: bool,
}

impl Conn<'_> {
    pub async fn insert_role(&mut self, r: &NewRole<'_>, now: DateTime<Utc>) -> Result<i64> {
        const SQL: &str = "INSERT INTO role (uuid, name, role_type, description, is_default, \
             is_public, state, created) VALUES ($1, $2, $3, $4, $5, $6, 'Enabled', $7) RETURNING id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(r.uuid)
            .bind(r.name)
            .bind(r.role_type)
            .bind(r.description)
            .bind(r.is_default)
            .bind(r.is_public)
            .bind(now)
            .fetch_one(&mut **c)
            .await?))
    }

    pub async fn role_by_id(&mut self, id: i64) -> Result<Option<RoleRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and("id = ?", Bind::I64(id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn role_by_uuid(&mut self, uuid: &str) -> Result<Option<RoleRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and("uuid = ?", Bind::Str(uuid.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn list_roles(
        &mut self,
        f: &RoleFilter<'_>,
        page: Page,
    ) -> Result<(i64, Vec<RoleRow>)> {
        let build = |head: &str| {
            let mut sql = Sql::new(head);
            if let Some(u) = f.uuid {
                sql.and("uuid = ?", Bind::Str(u.into()));
            }
            if let Some(n) = f.name {
                sql.and("name = ?", Bind::Str(n.into()));
            }
            if let Some(t) = f.role_type {
                sql.and("lower(role_type) = ?", Bind::Str(t.to_lowercase()));
            }
            if let Some(s) = f.state {
                sql.and("lower(state) = ?", Bind::Str(s.to_lowercase()));
            }
            if let Some(k) = f.keyword {
                sql.and("lower(name) LIKE ?", Bind::Str(crate::domain::like(k)));
            }
            if let Some(types) = &f.visible_types {
                sql.push(" AND is_public = TRUE");
                sql.and_in("role_type", types.iter().cloned().map(Bind::Str).collect());
            }
            sql
        };
        let total = self
            .fetch_count(&build("SELECT COUNT(*) FROM role WHERE removed IS NULL"))
            .await?;
        let mut sql = build(SELECT);
        sql.push(" ORDER BY id");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    pub async fn update_role(&mut self, r: &RoleRow) -> Result<()> {
        const SQL: &str = "UPDATE role SET name = $1, role_type = $2, description = $3, \
             is_public = $4, state = $5 WHERE id = $6 AND removed IS NULL";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(&r.name)
            .bind(&r.role_type)
            .bind(&r.description)
            .bind(r.is_public)
            .bind(&r.state)
            .bind(r.id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    pub async fn remove_role(&mut self, id: i64, now: DateTime<Utc>) -> Result<()> {
        on_conn!(self, |c| sqlx::query(
            "DELETE FROM role_permission WHERE role_id = $1"
        )
        .bind(id)
        .execute(&mut **c)
        .await?
        .rows_affected());
        on_conn!(self, |c| sqlx::query(
            "UPDATE role SET removed = $1 WHERE id = $2"
        )
        .bind(now)
        .bind(id)
        .execute(&mut **c)
        .await?
        .rows_affected());
        Ok(())
    }

    pub async fn accounts_with_role(&mut self, role_id: i64) -> Result<i64> {
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM account WHERE role_id = $1 AND removed IS NULL"
        )
        .bind(role_id)
        .fetch_one(&mut **c)
        .await?))
    }

    /// Appends a rule after the role's last one.
    pub async fn insert_permission(
        &mut self,
        uuid: &str,
        role_id: i64,
        rule: &str,
        permission: &str,
        description: Option<&str>,
    ) -> Result<i64> {
        const SQL: &str = "INSERT INTO role_permission (uuid, role_id, rule, permission, \
             description, sort_order) VALUES ($1, $2, $3, $4, $5, \
             (SELECT COALESCE(MAX(sort_order), -1) + 1 FROM role_permission WHERE role_id = $2)) \
             RETURNING id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(uuid)
            .bind(role_id)
            .bind(rule)
            .bind(permission)
            .bind(description)
            .fetch_one(&mut **c)
            .await?))
    }

    /// The rules of a role (or of all roles) in evaluation order.
    pub async fn permissions(&mut self, role_id: Option<i64>) -> Result<Vec<PermissionRow>> {
        let mut sql = Sql::new(SELECT_PERMISSION);
        if let Some(id) = role_id {
            sql.and("p.role_id = ?", Bind::I64(id));
        }
        sql.push(" ORDER BY p.role_id, p.sort_order");
        self.fetch_all(&sql).await
    }

    pub async fn permission_by_uuid(&mut self, uuid: &str) -> Result<Option<PermissionRow>> {
        let mut sql = Sql::new(SELECT_PERMISSION);
        sql.and("p.uuid = ?", Bind::Str(uuid.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn set_permission(&mut self, id: i64, permission: &str) -> Result<()> {
        on_conn!(self, |c| sqlx::query(
            "UPDATE role_permission SET permission = $1 WHERE id = $2"
        )
        .bind(permission)
        .bind(id)
        .execute(&mut **c)
        .await?
        .rows_affected());
        Ok(())
    }

    pub async fn set_permission_order(&mut self, id: i64, order: i64) -> Result<()> {
        on_conn!(self, |c| sqlx::query(
            "UPDATE role_permission SET sort_order = $1 WHERE id = $2"
        )
        .bind(order)
        .bind(id)
        .execute(&mut **c)
        .await?
        .rows_affected());
        Ok(())
    }

    pub async fn delete_permission(&mut self, id: i64) -> Result<()> {
        on_conn!(self, |c| sqlx::query(
            "DELETE FROM role_permission WHERE id = $1"
        )
        .bind(id)
        .execute(&mut **c)
        .await?
        .rows_affected());
        Ok(())
    }
}
