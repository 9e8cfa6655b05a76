//! Resource limits and counts of accounts and domains (`resource_limit`,
//! `resource_count`), and the recounts of what accounts really own.
//!
//! Counts only move through [`Conn::add_resource_counts`] (a conditional UPDATE, so two
//! concurrent reservations can never both take the last unit) and
//! [`Conn::take_resource_counts`].

use crate::sql::{Bind, Sql};
use crate::{Conn, Result, on_conn};

/// `owner_type` of an account's rows.
pub const ACCOUNT: &str = "account";
/// `owner_type` of a domain's rows.
pub const DOMAIN: &str = "domain";

/// A limit set for one owner and type.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct LimitRow {
    pub owner_id: i64,
    pub resource_type: String,
    pub max_value: i64,
}

/// An explicit domain limit with the domain's path, to resolve inherited limits.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct DomainLimitRow {
    pub path: String,
    pub resource_type: String,
    pub max_value: i64,
}

/// A limit (`max_value`) or a count (`count`) of one owner: the two tables read at once.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct UsageRow {
    pub owner_id: i64,
    pub resource_type: String,
    pub max_value: Option<i64>,
    pub count: Option<i64>,
}

/// A domain from an account's domain up to ROOT.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ChainDomain {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub path: String,
}

fn ids(values: &[i64]) -> Vec<Bind> {
    values.iter().map(|i| Bind::I64(*i)).collect()
}

impl Conn<'_> {
    /// Limits set for these owners.
    pub async fn resource_limits(
        &mut self,
        owner_type: &str,
        owners: &[i64],
    ) -> Result<Vec<LimitRow>> {
        let mut sql = Sql::new("SELECT owner_id, resource_type, max_value FROM resource_limit");
        sql.push_bind(" WHERE owner_type = ?", [Bind::Str(owner_type.into())]);
        sql.and_in("owner_id", ids(owners));
        self.fetch_all(&sql).await
    }

    /// Limits and counts of these owners in one round trip.
    pub async fn resource_usage(
        &mut self,
        owner_type: &str,
        owners: &[i64],
    ) -> Result<Vec<UsageRow>> {
        let mut sql = Sql::new(
            "SELECT owner_id, resource_type, max_value, CAST(NULL AS BIGINT) AS count \
             FROM resource_limit",
        );
        sql.push_bind(" WHERE owner_type = ?", [Bind::Str(owner_type.into())]);
        sql.and_in("owner_id", ids(owners));
        sql.push(
            " UNION ALL SELECT owner_id, resource_type, CAST(NULL AS BIGINT) AS max_value, count \
             FROM resource_count",
        );
        sql.push_bind(" WHERE owner_type = ?", [Bind::Str(owner_type.into())]);
        sql.and_in("owner_id", ids(owners));
        self.fetch_all(&sql).await
    }

    /// Limits set on these domains or on any live domain above them.
    pub async fn domain_limits_above(&mut self, domains: &[i64]) -> Result<Vec<DomainLimitRow>> {
        let mut sql = Sql::new(
            "SELECT d.path, l.resource_type, l.max_value FROM resource_limit l \
             JOIN domain d ON d.id = l.owner_id WHERE l.owner_type = 'domain' \
             AND d.removed IS NULL AND EXISTS (SELECT 1 FROM domain x WHERE \
             substr(x.path, 1, length(d.path)) = d.path",
        );
        sql.and_in("x.id", ids(domains));
        sql.push(")");
        self.fetch_all(&sql).await
    }

    /// Sets (or replaces) one limit.
    pub async fn set_resource_limit(
        &mut self,
        owner_type: &str,
        owner_id: i64,
        resource_type: &str,
        max_value: i64,
    ) -> Result<()> {
        const SQL: &str = "INSERT INTO resource_limit (owner_type, owner_id, resource_type, \
             max_value) VALUES ($1, $2, $3, $4) ON CONFLICT (owner_type, owner_id, resource_type) \
             DO UPDATE SET max_value = excluded.max_value";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(owner_type)
            .bind(owner_id)
            .bind(resource_type)
            .bind(max_value)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Counts of these owners (owners without a row use nothing).
    pub async fn resource_counts(
        &mut self,
        owner_type: &str,
        owners: &[i64],
    ) -> Result<Vec<(i64, String, i64)>> {
        let mut sql = Sql::new("SELECT owner_id, resource_type, count FROM resource_count");
        sql.push_bind(" WHERE owner_type = ?", [Bind::Str(owner_type.into())]);
        sql.and_in("owner_id", ids(owners));
        self.fetch_all(&sql).await
    }

    /// Creates the missing count rows (at zero) for these (owner type, owner, type).
    pub async fn open_resource_counts(&mut self, rows: &[(&str, i64, &str)]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut sql = Sql::new(
            "INSERT INTO resource_count (owner_type, owner_id, resource_type, count) VALUES ",
        );
        for (i, (kind, id, ty)) in rows.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push_bind(
                "(?, ?, ?, 0)",
                [
                    Bind::Str((*kind).into()),
                    Bind::I64(*id),
                    Bind::Str((*ty).into()),
                ],
            );
        }
        sql.push(" ON CONFLICT DO NOTHING");
        self.execute(&sql).await?;
        Ok(())
    }

    /// Adds to many counts at once: each
    /// `(owner_type, owner_id, resource_type, amount, max_value)` is added unless that
    /// takes its count above `max_value` (-1: no limit; a missing row is not counted, see
    /// [`Conn::open_resource_counts`]). Returns the
    /// `(owner_type, owner_id, resource_type)` of the counts it changed; the caller takes
    /// those back when one is missing.
    pub async fn add_resource_counts(
        &mut self,
        changes: &[(&str, i64, &str, i64, i64)],
    ) -> Result<Vec<(String, i64, String)>> {
        if changes.is_empty() {
            return Ok(Vec::new());
        }
        self.lock_counts(changes.iter().map(|c| (c.0, c.1, c.2)))
            .await?;
        let mut sql = Sql::new(
            "UPDATE resource_count SET count = resource_count.count + w.column4 FROM (VALUES ",
        );
        values(
            &mut sql,
            changes.iter().map(|(o, id, t, n, max)| {
                [
                    Bind::Str((*o).into()),
                    Bind::I64(*id),
                    Bind::Str((*t).into()),
                    Bind::I64(*n),
                    Bind::I64(*max),
                ]
            }),
        );
        sql.push(
            ") AS w WHERE resource_count.owner_type = w.column1 \
             AND resource_count.owner_id = w.column2 AND resource_count.resource_type = w.column3 \
             AND (w.column5 < 0 OR resource_count.count + w.column4 <= w.column5) \
             RETURNING owner_type, owner_id, resource_type",
        );
        self.fetch_all(&sql).await
    }

    /// Takes each `(owner_type, owner_id, resource_type, amount)` off its count, stopping
    /// at zero.
    pub async fn take_resource_counts(&mut self, changes: &[(&str, i64, &str, i64)]) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        self.lock_counts(changes.iter().map(|c| (c.0, c.1, c.2)))
            .await?;
        let mut sql = Sql::new(
            "UPDATE resource_count SET count = CASE WHEN resource_count.count > w.column4 \
             THEN resource_count.count - w.column4 ELSE 0 END FROM (VALUES ",
        );
        values(
            &mut sql,
            changes.iter().map(|(o, id, t, n)| {
                [
                    Bind::Str((*o).into()),
                    Bind::I64(*id),
                    Bind::Str((*t).into()),
                    Bind::I64(*n),
                ]
            }),
        );
        sql.push(
            ") AS w WHERE resource_count.owner_type = w.column1 \
             AND resource_count.owner_id = w.column2 AND resource_count.resource_type = w.column3",
        );
        self.execute(&sql).await?;
        Ok(())
    }

    /// PostgreSQL: locks the count rows in key order before a multi-row UPDATE changes
    /// them, whose own locking order follows the table's physical order: two transactions
    /// moving the same counts would otherwise deadlock. (SQLite's write transactions
    /// exclude each other.)
    async fn lock_counts<'s>(
        &mut self,
        keys: impl Iterator<Item = (&'s str, i64, &'s str)>,
    ) -> Result<()> {
        if let Conn::Postgres(_) = self {
            let mut sql = Sql::new(
                "SELECT 1 FROM resource_count WHERE (owner_type, owner_id, resource_type) IN (VALUES ",
            );
            values(
                &mut sql,
                keys.map(|(o, id, t)| [Bind::Str(o.into()), Bind::I64(id), Bind::Str(t.into())]),
            );
            sql.push(") ORDER BY owner_type, owner_id, resource_type FOR UPDATE");
            self.execute(&sql).await?;
        }
        Ok(())
    }

    /// Overwrites a count (recounts only; see [`Conn::lock_resource_counts`]).
    pub async fn set_resource_count(
        &mut self,
        owner_type: &str,
        owner_id: i64,
        resource_type: &str,
        count: i64,
    ) -> Result<()> {
        const SQL: &str = "INSERT INTO resource_count (owner_type, owner_id, resource_type, \
             count) VALUES ($1, $2, $3, $4) ON CONFLICT (owner_type, owner_id, resource_type) \
             DO UPDATE SET count = excluded.count";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(owner_type)
            .bind(owner_id)
            .bind(resource_type)
            .bind(count.max(0))
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Keeps every other writer away from the counts until the transaction ends, so a
    /// recount cannot lose a reservation made while it reads. SQLite's write
    /// transactions already exclude each other.
    pub async fn lock_resource_counts(&mut self) -> Result<()> {
        if let Conn::Postgres(c) = self {
            sqlx::query("LOCK TABLE resource_count IN EXCLUSIVE MODE")
                .execute(&mut **c)
                .await?;
        }
        Ok(())
    }

    /// The account's domain and every domain above it, nearest first. Works for
    /// removed accounts too, whose resources are still released.
    pub async fn account_domain_chain(&mut self, account_id: i64) -> Result<Vec<ChainDomain>> {
        const SQL: &str = "SELECT d.id, d.uuid, d.name, d.path FROM account a \
             JOIN domain o ON o.id = a.domain_id \
             JOIN domain d ON substr(o.path, 1, length(d.path)) = d.path \
             WHERE a.id = $1 AND d.removed IS NULL ORDER BY d.level DESC";
        Ok(on_conn!(self, |c| sqlx::query_as::<_, ChainDomain>(SQL)
            .bind(account_id)
            .fetch_all(&mut **c)
            .await?))
    }

    /// (id, path) of the live domains of a subtree and of those above it.
    pub async fn domains_around(&mut self, path: &str) -> Result<Vec<(i64, String)>> {
        const SQL: &str = "SELECT id, path FROM domain WHERE removed IS NULL \
             AND (substr(path, 1, length($1)) = $1 OR substr($1, 1, length(path)) = path) \
             ORDER BY level DESC, id";
        Ok(on_conn!(self, |c| sqlx::query_as::<_, (i64, String)>(SQL)
            .bind(path)
            .fetch_all(&mut **c)
            .await?))
    }

    /// Stored values of the `max.*` settings (defaults of unset limits).
    pub async fn limit_settings(&mut self) -> Result<Vec<(String, String)>> {
        const SQL: &str = "SELECT name, value FROM configuration \
             WHERE substr(name, 1, 4) = 'max.'";
        Ok(on_conn!(self, |c| sqlx::query_as::<_, (String, String)>(
            SQL
        )
        .fetch_all(&mut **c)
        .await?))
    }

    /// Per resource type, the sum of the counts of the live accounts in a domain subtree.
    pub async fn subtree_account_counts(&mut self, path: &str) -> Result<Vec<(String, i64)>> {
        let mut sql = Sql::new(
            "SELECT c.resource_type, CAST(SUM(c.count) AS BIGINT) FROM resource_count c \
             JOIN account a ON a.id = c.owner_id JOIN domain d ON d.id = a.domain_id \
             WHERE c.owner_type = 'account' AND a.removed IS NULL",
        );
        sql.and_prefix("d.path", path);
        sql.push(" GROUP BY c.resource_type");
        self.fetch_all(&sql).await
    }

    /// Live templates and ISOs owned by an account.
    pub async fn account_template_count(&mut self, account_id: i64) -> Result<i64> {
        let mut sql = Sql::new("SELECT COUNT(*) FROM vm_template t WHERE t.removed IS NULL");
        sql.and("t.account_id = ?", Bind::I64(account_id));
        self.fetch_count(&sql).await
    }

    /// Bytes of the copies of an account's live templates and ISOs in image stores.
    pub async fn account_template_bytes(&mut self, account_id: i64) -> Result<i64> {
        let mut sql = Sql::new(
            "SELECT CAST(COALESCE(SUM(r.physical_size), 0) AS BIGINT) FROM template_store_ref r \
             JOIN vm_template t ON t.id = r.template_id WHERE t.removed IS NULL \
             AND r.download_state = 'DOWNLOADED'",
        );
        sql.and("t.account_id = ?", Bind::I64(account_id));
        self.fetch_count(&sql).await
    }
}

/// Appends `(?, ?, …), (?, ?, …)` for the rows of a `VALUES` list.
fn values<const N: usize>(sql: &mut Sql, rows: impl Iterator<Item = [Bind; N]>) {
    let one = format!("({})", vec!["?"; N].join(", "));
    for (i, row) in rows.enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push_bind(&one, row);
    }
}
