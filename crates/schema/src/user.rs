//! Users, their password hashes and API key pairs.

use chrono::{DateTime, Utc};

use crate::sql::{Bind, Page, Sql};
use crate::{Conn, Result, on_conn};

/// A user joined with its account and domain: what authentication and access checks need.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub uuid: String,
    pub username: String,
    pub password_hash: String,
    pub firstname: String,
    pub lastname: String,
    pub email: Option<String>,
    pub timezone: Option<String>,
    pub state: String,
    pub api_key: Option<String>,
    pub secret_key: Option<String>,
    pub api_key_access: Option<String>,
    pub is_default: bool,
    pub source: String,
    pub created: DateTime<Utc>,
    pub update_count: i64,
    pub account_id: i64,
    pub account_uuid: String,
    pub account_name: String,
    pub account_type: i64,
    pub account_state: String,
    pub account_api_key_access: Option<String>,
    pub role_id: i64,
    pub role_uuid: String,
    pub role_name: String,
    pub role_type: String,
    pub domain_id: i64,
    pub domain_uuid: String,
    pub domain_name: String,
    pub domain_path: String,
}

pub const SELECT: &str = "SELECT u.id, u.uuid, u.username, u.password_hash, u.firstname, \
     u.lastname, u.email, u.timezone, u.state, u.api_key, u.secret_key, u.api_key_access, \
     u.is_default, u.source, u.created, u.update_count, a.id AS account_id, \
     a.uuid AS account_uuid, a.name AS account_name, a.account_type, a.state AS account_state, \
     a.api_key_access AS account_api_key_access, r.id AS role_id, r.uuid AS role_uuid, \
     r.name AS role_name, r.role_type, d.id AS domain_id, d.uuid AS domain_uuid, \
     d.name AS domain_name, d.path AS domain_path \
     FROM users u JOIN account a ON a.id = u.account_id JOIN role r ON r.id = a.role_id \
     JOIN domain d ON d.id = a.domain_id WHERE u.removed IS NULL AND a.removed IS NULL";

/// [`SELECT`] without the secrets, for lists: the password hash reads as empty and the
/// secret key as absent, so they are neither copied nor at risk of being shown. Rows
/// read this way are for display only: never pass them to [`Conn::update_user`].
fn select_listed() -> String {
    SELECT
        .replace("u.password_hash,", "'' AS password_hash,")
        .replace("u.secret_key,", "NULL AS secret_key,")
}

const COUNT: &str = "SELECT COUNT(*) FROM users u JOIN account a ON a.id = u.account_id \
     JOIN domain d ON d.id = a.domain_id WHERE u.removed IS NULL AND a.removed IS NULL";

pub struct NewUser<'a> {
    pub uuid: &'a str,
    pub account_id: i64,
    pub username: &'a str,
    pub password_hash: &'a str,
    pub firstname: &'a str,
    pub lastname: &'a str,
    pub email: Option<&'a str>,
    pub timezone: Option<&'a str>,
    pub state: &'a str,
    pub is_default: bool,
}

#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    pub subtree: Option<String>,
    pub domain_id: Option<i64>,
    pub account_id: Option<i64>,
    pub account_name: Option<String>,
    pub uuid: Option<String>,
    pub username: Option<String>,
    pub account_type: Option<i64>,
    pub state: Option<String>,
    pub keyword: Option<String>,
    pub hide_system: bool,
    /// Leave out root admins' accounts, except this one (for domain admins).
    pub hide_root_admins_except: Option<i64>,
}

impl UserFilter {
    fn apply(&self, sql: &mut Sql) {
        if let Some(p) = &self.subtree {
            sql.and_prefix("d.path", p);
        }
        if let Some(id) = self.domain_id {
            sql.and("a.domain_id = ?", Bind::I64(id));
        }
        if let Some(id) = self.account_id {
            sql.and("a.id = ?", Bind::I64(id));
        }
        if let Some(n) = &self.account_name {
            sql.and("a.name = ?", Bind::Str(n.clone()));
        }
        if let Some(u) = &self.uuid {
            sql.and("u.uuid = ?", Bind::Str(u.clone()));
        }
        if let Some(n) = &self.username {
            sql.and("u.username = ?", Bind::Str(n.clone()));
        }
        if let Some(t) = self.account_type {
            sql.and("a.account_type = ?", Bind::I64(t));
        }
        if let Some(s) = &self.state {
            sql.and("u.state = ?", Bind::Str(s.to_lowercase()));
        }
        if let Some(k) = &self.keyword {
            sql.push(" AND (");
            sql.push_bind(
                "lower(u.username) LIKE ? OR lower(u.firstname) LIKE ? OR lower(u.lastname) LIKE ?",
                std::iter::repeat_n(Bind::Str(crate::domain::like(k)), 3),
            );
            sql.push(")");
        }
        if let Some(own) = self.hide_root_admins_except {
            sql.push(" AND (");
            sql.push_bind("a.account_type <> 1 OR a.id = ?", [Bind::I64(own)]);
            sql.push(")");
        }
        if self.hide_system {
            sql.push(" AND u.id <> 1");
        }
    }
}

impl Conn<'_> {
    pub async fn insert_user(&mut self, u: &NewUser<'_>, now: DateTime<Utc>) -> Result<i64> {
        const SQL: &str = "INSERT INTO users (uuid, account_id, username, password_hash, \
             firstname, lastname, email, timezone, state, is_default, source, created) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'native', $11) RETURNING id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(u.uuid)
            .bind(u.account_id)
            .bind(u.username)
            .bind(u.password_hash)
            .bind(u.firstname)
            .bind(u.lastname)
            .bind(u.email)
            .bind(u.timezone)
            .bind(u.state)
            .bind(u.is_default)
            .bind(now)
            .fetch_one(&mut **c)
            .await?))
    }

    async fn user_where(&mut self, cond: &str, value: Bind) -> Result<Option<UserRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and(cond, value);
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn user_by_id(&mut self, id: i64) -> Result<Option<UserRow>> {
        self.user_where("u.id = ?", Bind::I64(id)).await
    }

    pub async fn user_by_uuid(&mut self, uuid: &str) -> Result<Option<UserRow>> {
        self.user_where("u.uuid = ?", Bind::Str(uuid.into())).await
    }

    pub async fn user_by_api_key(&mut self, api_key: &str) -> Result<Option<UserRow>> {
        self.user_where("u.api_key = ?", Bind::Str(api_key.into()))
            .await
    }

    /// User names are unique within a domain.
    pub async fn user_by_name(
        &mut self,
        domain_id: i64,
        username: &str,
    ) -> Result<Option<UserRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and("a.domain_id = ?", Bind::I64(domain_id));
        sql.and("u.username = ?", Bind::Str(username.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn list_users(&mut self, f: &UserFilter, page: Page) -> Result<(i64, Vec<UserRow>)> {
        let mut count = Sql::new(COUNT);
        f.apply(&mut count);
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(&select_listed());
        f.apply(&mut sql);
        sql.push(" ORDER BY u.id");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    /// Saves the user's own fields unless another writer changed it first.
    pub async fn update_user(&mut self, u: &UserRow) -> Result<bool> {
        const SQL: &str = "UPDATE users SET username = $1, password_hash = $2, firstname = $3, \
             lastname = $4, email = $5, timezone = $6, state = $7, api_key = $8, secret_key = $9, \
             api_key_access = $10, update_count = update_count + 1 \
             WHERE id = $11 AND update_count = $12 AND removed IS NULL";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(&u.username)
            .bind(&u.password_hash)
            .bind(&u.firstname)
            .bind(&u.lastname)
            .bind(&u.email)
            .bind(&u.timezone)
            .bind(&u.state)
            .bind(&u.api_key)
            .bind(&u.secret_key)
            .bind(&u.api_key_access)
            .bind(u.id)
            .bind(u.update_count)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    pub async fn remove_user(&mut self, id: i64, now: DateTime<Utc>) -> Result<bool> {
        const SQL: &str = "UPDATE users SET removed = $1, state = 'removed', api_key = NULL, \
             secret_key = NULL, update_count = update_count + 1 WHERE id = $2 AND removed IS NULL";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(now)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    pub async fn users_of_account(&mut self, account_id: i64) -> Result<Vec<UserRow>> {
        let mut sql = Sql::new(&select_listed());
        sql.and("a.id = ?", Bind::I64(account_id));
        sql.push(" ORDER BY u.id");
        self.fetch_all(&sql).await
    }

    pub async fn users_of_accounts(&mut self, account_ids: &[i64]) -> Result<Vec<UserRow>> {
        let mut sql = Sql::new(&select_listed());
        sql.and_in("a.id", account_ids.iter().map(|i| Bind::I64(*i)).collect());
        sql.push(" ORDER BY u.id");
        self.fetch_all(&sql).await
    }
}
