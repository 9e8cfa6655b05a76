//! SSH key pairs (`ssh_keypair`): public keys only, unique by name and by fingerprint
//! within an account.

use chrono::{DateTime, Utc};

use crate::owner_scope::OwnerScope;
use crate::sql::{Bind, Page, Sql};
use crate::{Conn, Result, on_conn};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct KeyPairRow {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub fingerprint: String,
    pub public_key: String,
    pub account_id: i64,
    pub account_name: String,
    pub domain_id: i64,
    pub domain_uuid: String,
    pub domain_name: String,
    pub domain_path: String,
    pub created: DateTime<Utc>,
}

const SELECT: &str = "SELECT k.id, k.uuid, k.name, k.fingerprint, k.public_key, k.account_id, \
     a.name AS account_name, a.domain_id, d.uuid AS domain_uuid, d.name AS domain_name, \
     d.path AS domain_path, k.created";

const FROM: &str = " FROM ssh_keypair k JOIN account a ON a.id = k.account_id \
     JOIN domain d ON d.id = a.domain_id WHERE a.removed IS NULL";

pub struct NewKeyPair<'a> {
    pub uuid: &'a str,
    pub account_id: i64,
    pub name: &'a str,
    pub fingerprint: &'a str,
    pub public_key: &'a str,
}

#[derive(Clone, Debug, Default)]
pub struct KeyPairFilter {
    pub scope: OwnerScope,
    pub uuid: Option<String>,
    pub name: Option<String>,
    pub fingerprint: Option<String>,
    pub keyword: Option<String>,
}

impl KeyPairFilter {
    fn apply(&self, sql: &mut Sql) {
        self.scope.apply(sql, "a", "d");
        if let Some(u) = &self.uuid {
            sql.and("k.uuid = ?", Bind::Str(u.clone()));
        }
        if let Some(n) = &self.name {
            sql.and("k.name = ?", Bind::Str(n.clone()));
        }
        if let Some(f) = &self.fingerprint {
            sql.and("k.fingerprint = ?", Bind::Str(f.to_lowercase()));
        }
        if let Some(k) = &self.keyword {
            sql.and("lower(k.name) LIKE ?", Bind::Str(crate::domain::like(k)));
        }
    }
}

impl Conn<'_> {
    pub async fn insert_keypair(&mut self, k: &NewKeyPair<'_>, now: DateTime<Utc>) -> Result<i64> {
        const SQL: &str = "INSERT INTO ssh_keypair (uuid, account_id, name, fingerprint, \
             public_key, created) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(k.uuid)
            .bind(k.account_id)
            .bind(k.name)
            .bind(k.fingerprint)
            .bind(k.public_key)
            .bind(now)
            .fetch_one(&mut **c)
            .await?))
    }

    pub async fn list_keypairs(
        &mut self,
        f: &KeyPairFilter,
        page: Page,
    ) -> Result<(i64, Vec<KeyPairRow>)> {
        let mut count = Sql::new(&format!("SELECT COUNT(*){FROM}"));
        f.apply(&mut count);
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(&format!("{SELECT}{FROM}"));
        f.apply(&mut sql);
        sql.push(" ORDER BY k.id");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    /// The account's key pairs with these names (those that exist).
    pub async fn keypairs_by_names(
        &mut self,
        account_id: i64,
        names: &[String],
    ) -> Result<Vec<KeyPairRow>> {
        let mut sql = Sql::new(&format!("{SELECT}{FROM}"));
        sql.and("k.account_id = ?", Bind::I64(account_id));
        sql.and_in("k.name", names.iter().cloned().map(Bind::Str).collect());
        sql.push(" ORDER BY k.id");
        self.fetch_all(&sql).await
    }

    /// The account's key pair with this fingerprint, if any.
    pub async fn keypair_by_fingerprint(
        &mut self,
        account_id: i64,
        fingerprint: &str,
    ) -> Result<Option<KeyPairRow>> {
        let mut sql = Sql::new(&format!("{SELECT}{FROM}"));
        sql.and("k.account_id = ?", Bind::I64(account_id));
        sql.and("k.fingerprint = ?", Bind::Str(fingerprint.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn delete_keypair(&mut self, id: i64) -> Result<bool> {
        Ok(on_conn!(self, |c| sqlx::query(
            "DELETE FROM ssh_keypair WHERE id = $1"
        )
        .bind(id)
        .execute(&mut **c)
        .await?
        .rows_affected())
            == 1)
    }
}
