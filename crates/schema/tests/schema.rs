//! A fresh schema equals a migrated one: the schema after all migrations, as the
//! database itself reports it, is kept in `schema/<backend>.sql`. A migration that
//! changes the schema must come with the regenerated file, so every change is reviewed.
//!
//! Regenerate with `STRATO_SCHEMA_OVERWRITE=1 cargo test -p strato-schema --test schema`
//! (the PostgreSQL half needs `STRATO_TEST_PG_URL=postgres://…` naming a server where
//! the test may create a database).

use std::path::PathBuf;

use strato_schema::Store;

fn golden_path(backend: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("schema")
        .join(format!("{backend}.sql"))
}

fn overwrite() -> bool {
    std::env::var("STRATO_SCHEMA_OVERWRITE").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Compares `actual` with the golden file, or rewrites it when asked to.
fn check_golden(backend: &str, actual: &str) {
    let path = golden_path(backend);
    if overwrite() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("schema dir");
        std::fs::write(&path, actual).expect("write golden file");
        eprintln!("rewrote {}", path.display());
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; generate it with STRATO_SCHEMA_OVERWRITE=1",
            path.display()
        )
    });
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "the {backend} schema after migrating differs from {} (first difference at line {}):\n\
             expected: {:?}\n  actual: {:?}\n\
             If the change is intended, rerun with STRATO_SCHEMA_OVERWRITE=1 and review the diff.\n\
             --- actual schema ---\n{actual}",
            path.display(),
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first),
        );
    }
}

async fn sqlite_schema(store: &Store) -> String {
    let Store::Sqlite(pool, _) = store else {
        panic!("not SQLite")
    };
    let rows: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT type, name, tbl_name, sql FROM sqlite_master \
         WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY type, name",
    )
    .fetch_all(pool)
    .await
    .expect("read sqlite_master");
    let mut out =
        String::from("-- SQLite schema after all migrations (generated; see tests/schema.rs)\n");
    for (ty, name, table, sql) in rows {
        out.push_str(&format!("\n-- {ty} {name} on {table}\n"));
        match sql {
            Some(sql) => out.push_str(&format!("{};\n", sql.trim())),
            None => out.push_str("-- (no SQL: created implicitly)\n"),
        }
    }
    out
}

async fn postgres_schema(store: &Store) -> String {
    let Store::Postgres(pool) = store else {
        panic!("not PostgreSQL")
    };
    let mut out = String::from(
        "-- PostgreSQL schema after all migrations (generated; see tests/schema.rs)\n",
    );
    let columns: Vec<(String, String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text, \
                column_default::text \
         FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations' \
         ORDER BY table_name, column_name",
    )
    .fetch_all(pool)
    .await
    .expect("read information_schema.columns");
    let mut table = String::new();
    for (t, column, ty, nullable, default) in columns {
        if t != table {
            out.push_str(&format!("\n-- table {t}\n"));
            table = t.clone();
        }
        let null = if nullable == "YES" {
            "NULL"
        } else {
            "NOT NULL"
        };
        let default = default.map(|d| format!(" DEFAULT {d}")).unwrap_or_default();
        out.push_str(&format!("{t}.{column} {ty} {null}{default}\n"));
    }
    let indexes: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT tablename::text, indexname::text, indexdef::text FROM pg_indexes \
         WHERE schemaname = 'public' AND tablename <> '_sqlx_migrations' \
         ORDER BY tablename, indexname",
    )
    .fetch_all(pool)
    .await
    .expect("read pg_indexes");
    out.push_str("\n-- indexes\n");
    for (_, _, def) in indexes {
        out.push_str(&format!("{def};\n"));
    }
    let constraints: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT c.conrelid::regclass::text, c.conname::text, pg_get_constraintdef(c.oid) \
         FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace \
         WHERE n.nspname = 'public' AND c.conrelid <> 0 \
           AND c.conrelid::regclass::text <> '_sqlx_migrations' \
         ORDER BY 1, 2",
    )
    .fetch_all(pool)
    .await
    .expect("read pg_constraint");
    out.push_str("\n-- constraints\n");
    for (table, name, def) in constraints {
        out.push_str(&format!("{table} {name}: {def}\n"));
    }
    out
}

async fn applied_migrations(store: &Store) -> Vec<i64> {
    let sql = "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version";
    match store {
        Store::Sqlite(p, _) => sqlx::query_scalar(sql).fetch_all(p).await,
        Store::Postgres(p) => sqlx::query_scalar(sql).fetch_all(p).await,
    }
    .expect("read _sqlx_migrations")
}

fn migration_count(backend: &str) -> usize {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "sql"))
        .count()
}

/// Migrates, checks the golden file, migrates again and checks nothing changed.
async fn check_backend(store: Store, backend: &str) {
    store.migrate().await.expect("first migration");
    let schema = sqlite_or_pg(&store).await;
    assert!(
        schema.contains("domain"),
        "the schema has the foundation tables:\n{schema}"
    );
    let applied = applied_migrations(&store).await;
    assert_eq!(
        applied.len(),
        migration_count(backend),
        "every migration file was applied: {applied:?}"
    );
    check_golden(backend, &schema);

    // Idempotent: a second run applies nothing and changes nothing.
    store.migrate().await.expect("second migration");
    assert_eq!(applied_migrations(&store).await, applied);
    assert_eq!(
        sqlite_or_pg(&store).await,
        schema,
        "a second run changed the schema"
    );
    store.close().await;
    // Reopening (what a restart does) migrates cleanly too.
}

async fn sqlite_or_pg(store: &Store) -> String {
    match store {
        Store::Sqlite(..) => sqlite_schema(store).await,
        Store::Postgres(_) => postgres_schema(store).await,
    }
}

#[tokio::test]
async fn sqlite_fresh_schema_equals_migrated_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("schema.db").display());
    let store = Store::open(&url).await.expect("open sqlite");
    check_backend(store, "sqlite").await;
    // A restart on the same file finds everything applied.
    let again = Store::open(&url).await.expect("reopen sqlite");
    again.migrate().await.expect("migrate on reopen");
    assert_eq!(
        applied_migrations(&again).await.len(),
        migration_count("sqlite")
    );
    again.close().await;
}

#[tokio::test]
async fn postgres_fresh_schema_equals_migrated_one() {
    let admin_url = match std::env::var("STRATO_TEST_PG_URL") {
        Ok(u) if !u.is_empty() => u,
        _ => {
            // Written to the real stderr so it shows even when output is captured.
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                b"\n!!!!!!!!!! skipped: STRATO_TEST_PG_URL not set; the PostgreSQL schema \
                  (schema/postgres.sql) was NOT checked !!!!!!!!!!\n",
            );
            return;
        }
    };
    let name = format!(
        "strato_schema_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    );
    let admin = Store::open(&admin_url).await.expect("postgres reachable");
    let Store::Postgres(admin_pool) = &admin else {
        panic!("STRATO_TEST_PG_URL must be a postgres:// URL")
    };
    strato_schema::execute_raw(admin_pool, &format!("CREATE DATABASE {name}"))
        .await
        .expect("create database");
    let mut url = url::Url::parse(&admin_url).expect("valid URL");
    url.set_path(&format!("/{name}"));
    let store = Store::open(url.as_str())
        .await
        .expect("open fresh database");
    check_backend(store, "postgres").await;
    let again = Store::open(url.as_str()).await.expect("reopen");
    again.migrate().await.expect("migrate on reopen");
    again.close().await;
    strato_schema::execute_raw(admin_pool, &format!("DROP DATABASE {name}"))
        .await
        .expect("drop database");
    admin.close().await;
}
