//! Accounts and their details.

use chrono::{DateTime, Utc};

use crate::sql::{Bind, Page, Sql};
use crate::{Conn, Result, on_conn};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AccountRow {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub account_type: i64,
    pub role_id: i64,
    pub role_uuid: String,
    pub role_name: String,
    pub role_type: String,
    pub domain_id: i64,
    pub domain_uuid: String,
    pub domain_name: String,
    pub domain_path: String,
    pub state: String,
    pub network_domain: Option<String>,
    pub api_key_access: Option<String>,
    pub is_default: bool,
    pub created: DateTime<Utc>,
    pub update_count: i64,
}

pub const SELECT: &str = "SELECT a.id, a.uuid, a.name, a.account_type, a.role_id, \
     r.uuid AS role_uuid, r.name AS role_name, r.role_type, a.domain_id, d.uuid AS domain_uuid, \
     d.name AS domain_name, d.path AS domain_path, a.state, a.network_domain, a.api_key_access, \
     a.is_default, a.created, a.update_count \
     FROM account a JOIN role r ON r.id = a.role_id JOIN domain d ON d.id = a.domain_id \
     WHERE a.removed IS NULL";

const COUNT: &str = "SELECT COUNT(*) FROM account a JOIN domain d ON d.id = a.domain_id \
     WHERE a.removed IS NULL";

pub struct NewAccount<'a> {
    pub uuid: &'a str,
    pub name: &'a str,
    pub account_type: i64,
    pub role_id: i64,
    pub domain_id: i64,
    pub network_domain: Option<&'a str>,
    pub is_default: bool,
}

/// Who may be listed: every account in a domain subtree, or one account.
#[derive(Clone, Debug, Default)]
pub struct AccountFilter {
    pub subtree: Option<String>,
    pub domain_id: Option<i64>,
    pub account_id: Option<i64>,
    pub uuid: Option<String>,
    pub name: Option<String>,
    pub account_type: Option<i64>,
    pub state: Option<String>,
    pub keyword: Option<String>,
    /// Leave out the internal `system` account.
    pub hide_system: bool,
    /// Leave out root admins' accounts, except this one (for domain admins).
    pub hide_root_admins_except: Option<i64>,
}

impl AccountFilter {
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
        if let Some(u) = &self.uuid {
            sql.and("a.uuid = ?", Bind::Str(u.clone()));
        }
        if let Some(n) = &self.name {
            sql.and("a.name = ?", Bind::Str(n.clone()));
        }
        if let Some(t) = self.account_type {
            sql.and("a.account_type = ?", Bind::I64(t));
        }
        if let Some(s) = &self.state {
            sql.and("a.state = ?", Bind::Str(s.to_lowercase()));
        }
        if let Some(k) = &self.keyword {
            sql.and("lower(a.name) LIKE ?", Bind::Str(crate::domain::like(k)));
        }
        if let Some(own) = self.hide_root_admins_except {
            sql.push(" AND (");
            sql.push_bind("a.account_type <> 1 OR a.id = ?", [Bind::I64(own)]);
            sql.push(")");
        }
        if self.hide_system {
            sql.push(" AND a.id <> 1");
        }
    }
}

impl Conn<'_> {
    pub async fn insert_account(&mut self, a: &NewAccount<'_>, now: DateTime<Utc>) -> Result<i64> {
        const SQL: &str = "INSERT INTO account (uuid, name, account_type, role_id, domain_id, \
             state, network_domain, is_default, created) \
             VALUES ($1, $2, $3, $4, $5, 'enabled', $6, $7, $8) RETURNING id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(a.uuid)
            .bind(a.name)
            .bind(a.account_type)
            .bind(a.role_id)
            .bind(a.domain_id)
            .bind(a.network_domain)
            .bind(a.is_default)
            .bind(now)
            .fetch_one(&mut **c)
            .await?))
    }

    pub async fn account_by_id(&mut self, id: i64) -> Result<Option<AccountRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and("a.id = ?", Bind::I64(id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    /// Takes the account's row lock for the rest of the transaction (a no-op write), so
    /// that transactions creating something once per account queue up.
    pub async fn lock_account(&mut self, id: i64) -> Result<bool> {
        const SQL: &str = "UPDATE account SET state = state WHERE id = $1 AND removed IS NULL";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    pub async fn account_by_uuid(&mut self, uuid: &str) -> Result<Option<AccountRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and("a.uuid = ?", Bind::Str(uuid.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn account_by_name(
        &mut self,
        domain_id: i64,
        name: &str,
    ) -> Result<Option<AccountRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and("a.domain_id = ?", Bind::I64(domain_id));
        sql.and("a.name = ?", Bind::Str(name.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn list_accounts(
        &mut self,
        f: &AccountFilter,
        page: Page,
    ) -> Result<(i64, Vec<AccountRow>)> {
        let mut count = Sql::new(COUNT);
        f.apply(&mut count);
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(SELECT);
        f.apply(&mut sql);
        sql.push(" ORDER BY a.id");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    /// Saves changed fields if nobody changed the row since it was read
    /// (`update_count`); returns false when another writer won.
    pub async fn update_account(&mut self, a: &AccountRow) -> Result<bool> {
        const SQL: &str = "UPDATE account SET name = $1, role_id = $2, state = $3, \
             network_domain = $4, api_key_access = $5, update_count = update_count + 1 \
             WHERE id = $6 AND update_count = $7 AND removed IS NULL";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(&a.name)
            .bind(a.role_id)
            .bind(&a.state)
            .bind(&a.network_domain)
            .bind(&a.api_key_access)
            .bind(a.id)
            .bind(a.update_count)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    pub async fn remove_account(&mut self, id: i64, now: DateTime<Utc>) -> Result<bool> {
        const SQL: &str = "UPDATE account SET removed = $1, state = 'removed', \
             update_count = update_count + 1 WHERE id = $2 AND removed IS NULL";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(now)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    pub async fn account_details(&mut self, account_id: i64) -> Result<Vec<(String, String)>> {
        Ok(on_conn!(self, |c| sqlx::query_as::<_, (String, String)>(
            "SELECT name, value FROM account_detail WHERE account_id = $1 ORDER BY name"
        )
        .bind(account_id)
        .fetch_all(&mut **c)
        .await?))
    }

    /// Details of several accounts in one query: (account id, name, value).
    pub async fn details_of_accounts(&mut self, ids: &[i64]) -> Result<Vec<(i64, String, String)>> {
        let mut sql = Sql::new("SELECT account_id, name, value FROM account_detail WHERE 1 = 1");
        sql.and_in("account_id", ids.iter().map(|i| Bind::I64(*i)).collect());
        sql.push(" ORDER BY account_id, name");
        self.fetch_all::<(i64, String, String)>(&sql).await
    }

    pub async fn set_account_detail(
        &mut self,
        account_id: i64,
        name: &str,
        value: &str,
    ) -> Result<()> {
        const SQL: &str = "INSERT INTO account_detail (account_id, name, value) VALUES ($1, $2, $3) \
             ON CONFLICT (account_id, name) DO UPDATE SET value = excluded.value";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(account_id)
            .bind(name)
            .bind(value)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Live accounts in a domain subtree (for domain clean-up and in-use checks).
    pub async fn accounts_in_subtree(&mut self, path: &str) -> Result<Vec<AccountRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and_prefix("d.path", path);
        sql.push(" ORDER BY a.id");
        self.fetch_all(&sql).await
    }
}
