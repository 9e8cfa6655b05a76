//! Dynamic statements (list filters) with bound values, run on either backend.

use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, FromRow};

use crate::{Conn, Result, on_conn};

/// A value bound to a `$N` placeholder.
#[derive(Clone, Debug)]
pub enum Bind {
    I64(i64),
    Str(String),
    /// A text value or NULL.
    OptStr(Option<String>),
    /// A number or NULL.
    OptI64(Option<i64>),
    Bool(bool),
    Time(DateTime<Utc>),
}

/// SQL text plus its bound values. Conditions use `?` which becomes the next `$N`.
#[derive(Clone, Debug, Default)]
pub struct Sql {
    text: String,
    binds: Vec<Bind>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Sql {
            text: text.to_string(),
            binds: Vec::new(),
        }
    }

    /// Appends raw text (never user input).
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends `text` with each `?` replaced by a placeholder for the next value.
    pub fn push_bind(&mut self, text: &str, values: impl IntoIterator<Item = Bind>) -> &mut Self {
        let mut values = values.into_iter();
        for (i, part) in text.split('?').enumerate() {
            if i > 0 {
                if let Some(v) = values.next() {
                    self.binds.push(v);
                }
                self.text.push_str(&format!("${}", self.binds.len()));
            }
            self.text.push_str(part);
        }
        self
    }

    /// Appends ` AND <cond>` with one bound value.
    pub fn and(&mut self, cond: &str, value: Bind) -> &mut Self {
        self.push(" AND ");
        self.push_bind(cond, [value])
    }

    /// Appends ` AND <column> starts with <prefix>` (no LIKE, so `_`/`%` are literal).
    pub fn and_prefix(&mut self, column: &str, prefix: &str) -> &mut Self {
        self.push(" AND ");
        self.push_bind(
            &format!("substr({column}, 1, length(?)) = ?"),
            [Bind::Str(prefix.into()), Bind::Str(prefix.into())],
        )
    }

    /// Appends ` AND <column> IN (…)`; an empty set matches nothing.
    pub fn and_in(&mut self, column: &str, values: Vec<Bind>) -> &mut Self {
        if values.is_empty() {
            return self.push(" AND 1 = 0");
        }
        let marks = vec!["?"; values.len()].join(", ");
        self.push(" AND ");
        self.push_bind(&format!("{column} IN ({marks})"), values)
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// This statement as a sub-query: `before` + it + `after`, keeping its bound values
    /// (so more conditions may follow).
    pub fn nested(&self, before: &str, after: &str) -> Sql {
        Sql {
            text: format!("{before}{}{after}", self.text),
            binds: self.binds.clone(),
        }
    }
}

macro_rules! bound {
    ($q:expr, $binds:expr) => {{
        let mut q = $q;
        for b in $binds {
            q = match b {
                Bind::I64(v) => q.bind(*v),
                Bind::Str(v) => q.bind(v.clone()),
                Bind::OptStr(v) => q.bind(v.clone()),
                Bind::OptI64(v) => q.bind(*v),
                Bind::Bool(v) => q.bind(*v),
                Bind::Time(v) => q.bind(*v),
            };
        }
        q
    }};
}

impl Conn<'_> {
    pub async fn fetch_all<T>(&mut self, sql: &Sql) -> Result<Vec<T>>
    where
        T: for<'r> FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        let text = sql.text.clone();
        Ok(on_conn!(self, |c| bound!(
            sqlx::query_as::<_, T>(AssertSqlSafe(text)),
            &sql.binds
        )
        .fetch_all(&mut **c)
        .await?))
    }

    pub async fn fetch_count(&mut self, sql: &Sql) -> Result<i64> {
        let text = sql.text.clone();
        Ok(on_conn!(self, |c| bound!(
            sqlx::query_scalar::<_, i64>(AssertSqlSafe(text)),
            &sql.binds
        )
        .fetch_one(&mut **c)
        .await?))
    }

    pub async fn execute(&mut self, sql: &Sql) -> Result<u64> {
        let text = sql.text.clone();
        Ok(on_conn!(self, |c| bound!(
            sqlx::query(AssertSqlSafe(text)),
            &sql.binds
        )
        .execute(&mut **c)
        .await?
        .rows_affected()))
    }
}

/// Paging window: `LIMIT`/`OFFSET` appended to a list query.
#[derive(Clone, Copy, Debug)]
pub struct Page {
    pub limit: Option<i64>,
    pub offset: i64,
}

impl Page {
    pub const ALL: Page = Page {
        limit: None,
        offset: 0,
    };

    pub fn apply(&self, sql: &mut Sql) {
        if let Some(limit) = self.limit {
            sql.push_bind(
                " LIMIT ? OFFSET ?",
                [Bind::I64(limit), Bind::I64(self.offset)],
            );
        }
    }
}
