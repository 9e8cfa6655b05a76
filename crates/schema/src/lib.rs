//! The store: SQLite (embedded default) or PostgreSQL behind one type.
//!
//! SQL is written once, in the subset both backends accept (`$N` placeholders,
//! `RETURNING`, partial indexes); the [`on_conn!`] macro instantiates each query for the
//! backend in use. Queries live in one module per resource, as methods on [`Conn`], so
//! the same code runs on a pooled connection or inside an explicit transaction ([`Tx`]).
//! Row types are plain structs, separate from the API's response objects.

pub mod account;
pub mod affinity_group;
pub mod alert;
pub mod capacity;
pub mod cluster;
pub mod config;
pub mod disk_offering;
pub mod domain;
pub mod event;
pub mod guest_os;
pub mod host;
pub mod image_store;
pub mod instance_group;
pub mod job;
pub mod mshost;
pub mod network;
pub mod network_offering;
pub mod nic;
pub mod offering;
pub mod owner_scope;
pub mod physical_network;
pub mod placement;
pub mod pod;
pub mod resource_limit;
pub mod resource_tag;
pub mod role;
pub mod saga;
pub mod service_offering;
pub mod session;
pub mod snapshot;
pub mod snapshot_policy;
pub mod sql;
pub mod ssh_keypair;
pub mod storage_pool;
pub mod store_copy;
pub mod template;
pub mod user;
pub mod vlan;
pub mod vm;
pub mod vm_changes;
pub mod vm_snapshot;
pub mod volume;
pub mod vpc_offering;
pub mod zone;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

pub use sqlx::PgPool;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgConnection, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("bad database URL {url}: {reason}")]
    Url { url: String, reason: String },
}

impl StoreError {
    /// True when an insert or update broke a unique constraint.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Sql(sqlx::Error::Database(e)) => e.is_unique_violation(),
            _ => false,
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection pool to one of the two backends.
#[derive(Clone, Debug)]
pub enum Store {
    /// The pool and the queue its write transactions take turns in.
    Sqlite(SqlitePool, Arc<Semaphore>),
    Postgres(PgPool),
}

/// How long a SQLite writer waits for its turn (the connections' busy timeout).
const SQLITE_WRITE_WAIT: Duration = Duration::from_secs(10);

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Opens `sqlite://PATH` (created if missing) or `postgres://…`.
    pub async fn open(url: &str) -> Result<Store> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url).map_err(|e| StoreError::Url {
                url: redact(url),
                reason: e.to_string(),
            })?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Ok(Store::Postgres(pool))
        } else if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(|e| StoreError::Url {
                    url: url.to_string(),
                    reason: e.to_string(),
                })?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .min_connections(1)
                .connect_with(opts)
                .await?;
            Ok(Store::Sqlite(pool, Arc::new(Semaphore::new(1))))
        } else {
            Err(StoreError::Url {
                url: redact(url),
                reason: "expected sqlite://PATH or postgres://…".into(),
            })
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Store::Sqlite(..) => Backend::Sqlite,
            Store::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies every migration not yet applied (append-only, checksummed by sqlx).
    pub async fn migrate(&self) -> Result<()> {
        match self {
            Store::Sqlite(p, _) => SQLITE_MIGRATIONS.run(p).await?,
            Store::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await?,
        }
        Ok(())
    }

    /// A pooled connection for statements that need no transaction.
    pub async fn acquire(&self) -> Result<Pooled> {
        Ok(match self {
            Store::Sqlite(p, _) => Pooled::Sqlite(p.acquire().await?),
            Store::Postgres(p) => Pooled::Postgres(p.acquire().await?),
        })
    }

    /// A pooled connection for single-statement writes outside a transaction (each
    /// statement commits by itself). On SQLite it holds this server's write turn (see
    /// [`Store::begin`]) until dropped: without it the statement waits for the lock in
    /// SQLite's busy handler, which sleeps up to 100 ms at a time (measured: 8-17 ms per
    /// write under load). Drop it before calling [`Store::begin`], which waits for the
    /// same turn.
    pub async fn write(&self) -> Result<Pooled> {
        Ok(match self {
            Store::Sqlite(p, turn) => {
                let permit = sqlite_turn(turn).await?;
                Pooled::SqliteWrite(p.acquire().await?, permit)
            }
            Store::Postgres(p) => Pooled::Postgres(p.acquire().await?),
        })
    }

    /// Starts a write transaction. SQLite takes its write lock up front (`BEGIN
    /// IMMEDIATE`) so two writers queue instead of failing with SQLITE_BUSY mid-way,
    /// and this server's write transactions take turns in a queue first: a writer
    /// waiting in SQLite's busy handler sleeps up to 100 ms at a time, leaving the lock
    /// idle, while a queued one starts the moment the previous one ends.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Store::Sqlite(p, turn) => {
                let permit = sqlite_turn(turn).await?;
                Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?, permit)
            }
            Store::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    pub async fn close(&self) {
        match self {
            Store::Sqlite(p, _) => p.close().await,
            Store::Postgres(p) => p.close().await,
        }
    }
}

/// This server's turn to write to SQLite, waited for at most the busy timeout.
async fn sqlite_turn(turn: &Arc<Semaphore>) -> Result<OwnedSemaphorePermit> {
    Ok(
        tokio::time::timeout(SQLITE_WRITE_WAIT, turn.clone().acquire_owned())
            .await
            .ok()
            .and_then(|p| p.ok())
            .ok_or(sqlx::Error::PoolTimedOut)?,
    )
}

/// Hides the password of a database URL in messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

pub enum Pooled {
    Sqlite(PoolConnection<Sqlite>),
    /// From [`Store::write`]: holds the write turn.
    SqliteWrite(PoolConnection<Sqlite>, OwnedSemaphorePermit),
    Postgres(PoolConnection<Postgres>),
}

impl Pooled {
    pub fn c(&mut self) -> Conn<'_> {
        match self {
            Pooled::Sqlite(c) | Pooled::SqliteWrite(c, _) => Conn::Sqlite(c),
            Pooled::Postgres(c) => Conn::Postgres(c),
        }
    }
}

/// An explicit transaction; dropped without [`Tx::commit`] it rolls back. A SQLite
/// one holds its server's write turn until it ends.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>, OwnedSemaphorePermit),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub fn c(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(t, _) => Conn::Sqlite(t),
            Tx::Postgres(t) => Conn::Postgres(t),
        }
    }

    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t, _turn) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

/// A connection to either backend; every query is a method on it.
pub enum Conn<'a> {
    Sqlite(&'a mut SqliteConnection),
    Postgres(&'a mut PgConnection),
}

/// Runs `$body` with `$c` bound to the backend's connection (`&mut &mut XConnection`).
#[macro_export]
macro_rules! on_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::Conn::Sqlite($c) => $body,
            $crate::Conn::Postgres($c) => $body,
        }
    };
}

/// Current time truncated to microseconds, the precision both backends keep.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    let t = chrono::Utc::now();
    chrono::DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// Database failures reach clients as a 530 without details; the details are logged.
impl From<StoreError> for strato_common::ApiError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "database operation failed");
        strato_common::ApiError::internal(
            "internal error in the database layer; see the management server log",
        )
    }
}

/// Runs one statement outside any transaction (e.g. `CREATE DATABASE` in test rigs).
pub async fn execute_raw(pool: &PgPool, sql: &str) -> Result<()> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(pool)
        .await?;
    Ok(())
}
