//! A toy saga in the shape of a deployment: an id, a capacity reservation (a counter),
//! a volume (a row), then a start that cannot be undone. Each action and undo is
//! idempotent the way real ones must be: the row keyed by the saga's id says whether the
//! work was done.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use strato_common::{ApiError, ErrorCode};
use strato_saga::{ActionError, Saga, SagaCtx, Step, UndoError, step};
use strato_schema::Store;
use strato_schema::sql::{Bind, Sql};
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct Toy {
    pub store: Store,
    /// Every action and undo run, as (vm id, "action:step" or "undo:step").
    pub calls: Arc<Mutex<Vec<(String, String)>>>,
    /// When set, the `start` action waits for a permit (to stop a run mid-step).
    pub gate: Option<Arc<Semaphore>>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ToyParams {
    pub size: i64,
    /// `start` fails with 533, as a real start might when no host has room.
    pub fail_start: bool,
}

pub struct ToyDeploy;

impl Saga for ToyDeploy {
    const NAME: &'static str = "toy-deploy";
    type Params = ToyParams;
    type Context = Toy;
    const STEPS: &'static [Step<Self>] = &[
        Step::new_id("vm_id"),
        step!("reserve", reserve, release),
        step!("volume", create_volume, delete_volume),
        step!("start", start),
    ];
}

impl Toy {
    pub async fn new(store: Store) -> Toy {
        let mut db = store.acquire().await.expect("connection");
        for ddl in [
            "CREATE TABLE toy_counter (name TEXT PRIMARY KEY, value BIGINT NOT NULL)",
            "CREATE TABLE toy_alloc (owner TEXT NOT NULL, kind TEXT NOT NULL, \
             state TEXT NOT NULL, PRIMARY KEY (owner, kind))",
            "INSERT INTO toy_counter (name, value) VALUES ('used', 0)",
        ] {
            db.c().execute(&Sql::new(ddl)).await.expect("toy tables");
        }
        Toy {
            store,
            calls: Arc::default(),
            gate: None,
        }
    }

    fn note(&self, vm: &str, what: &str) {
        self.calls
            .lock()
            .expect("calls lock")
            .push((vm.into(), what.into()));
    }

    /// How many times `what` ran for the saga whose vm id is `vm`.
    pub fn count(&self, vm: &str, what: &str) -> usize {
        let calls = self.calls.lock().expect("calls lock");
        calls.iter().filter(|(v, w)| v == vm && w == what).count()
    }

    /// How many times `what` ran, for every saga.
    pub fn total(&self, what: &str) -> usize {
        let calls = self.calls.lock().expect("calls lock");
        calls.iter().filter(|(_, w)| w == what).count()
    }

    pub async fn used(&self) -> i64 {
        let sql = Sql::new("SELECT value FROM toy_counter WHERE name = 'used'");
        let mut db = self.store.acquire().await.expect("connection");
        db.c().fetch_count(&sql).await.expect("counter")
    }

    /// Rows held by `owner`, or by anyone.
    pub async fn allocs(&self, owner: Option<&str>) -> i64 {
        let mut sql = Sql::new("SELECT COUNT(*) FROM toy_alloc WHERE 1 = 1");
        if let Some(o) = owner {
            sql.and("owner = ?", Bind::Str(o.into()));
        }
        let mut db = self.store.acquire().await.expect("connection");
        db.c().fetch_count(&sql).await.expect("allocs")
    }

    /// Releases what a successful run created, so the next run starts clean.
    pub async fn tear_down(&self, vm: &str, size: i64) {
        let mut db = self.store.acquire().await.expect("connection");
        let mut del = Sql::new("DELETE FROM toy_alloc WHERE 1 = 1");
        del.and("owner = ?", Bind::Str(vm.into()));
        db.c().execute(&del).await.expect("delete");
        let mut dec = Sql::new("UPDATE toy_counter SET value = value - ");
        dec.push_bind("? WHERE name = 'used'", [Bind::I64(size)]);
        db.c().execute(&dec).await.expect("decrement");
    }
}

async fn reserve(ctx: &SagaCtx<ToyDeploy>) -> Result<i64, ActionError> {
    let vm: String = ctx.lookup("vm_id")?;
    let toy = ctx.context();
    toy.note(&vm, "action:reserve");
    let size = ctx.params().size;
    // The counter moves only if this call inserted the marker row: a second run is a no-op.
    let mut tx = toy.store.begin().await?;
    let mut mark = Sql::new("INSERT INTO toy_alloc (owner, kind, state) VALUES ");
    mark.push_bind(
        "(?, 'capacity', 'reserved') ON CONFLICT DO NOTHING",
        [Bind::Str(vm)],
    );
    if tx.c().execute(&mark).await? == 1 {
        let mut inc = Sql::new("UPDATE toy_counter SET value = value + ");
        inc.push_bind("? WHERE name = 'used'", [Bind::I64(size)]);
        tx.c().execute(&inc).await?;
    }
    tx.commit().await?;
    Ok(size)
}

async fn release(ctx: &SagaCtx<ToyDeploy>) -> Result<(), UndoError> {
    let vm: String = ctx.lookup("vm_id")?;
    let toy = ctx.context();
    toy.note(&vm, "undo:reserve");
    let size: i64 = ctx.lookup("reserve")?;
    let mut tx = toy.store.begin().await?;
    let mut unmark = Sql::new("DELETE FROM toy_alloc WHERE kind = 'capacity'");
    unmark.and("owner = ?", Bind::Str(vm));
    if tx.c().execute(&unmark).await? == 1 {
        let mut dec = Sql::new("UPDATE toy_counter SET value = value - ");
        dec.push_bind("? WHERE name = 'used'", [Bind::I64(size)]);
        tx.c().execute(&dec).await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn create_volume(ctx: &SagaCtx<ToyDeploy>) -> Result<String, ActionError> {
    let vm: String = ctx.lookup("vm_id")?;
    let toy = ctx.context();
    toy.note(&vm, "action:volume");
    let mut sql = Sql::new("INSERT INTO toy_alloc (owner, kind, state) VALUES ");
    sql.push_bind(
        "(?, 'volume', 'created') ON CONFLICT DO NOTHING",
        [Bind::Str(vm.clone())],
    );
    toy.store.acquire().await?.c().execute(&sql).await?;
    Ok(format!("vol-{vm}"))
}

async fn delete_volume(ctx: &SagaCtx<ToyDeploy>) -> Result<(), UndoError> {
    let vm: String = ctx.lookup("vm_id")?;
    let toy = ctx.context();
    toy.note(&vm, "undo:volume");
    let mut sql = Sql::new("DELETE FROM toy_alloc WHERE kind = 'volume'");
    sql.and("owner = ?", Bind::Str(vm));
    toy.store.acquire().await?.c().execute(&sql).await?;
    Ok(())
}

async fn start(ctx: &SagaCtx<ToyDeploy>) -> Result<(), ActionError> {
    let vm: String = ctx.lookup("vm_id")?;
    let toy = ctx.context();
    toy.note(&vm, "action:start");
    if let Some(gate) = &toy.gate {
        let _permit = gate
            .acquire()
            .await
            .map_err(|_| ActionError::internal("gate closed"))?;
    }
    if ctx.params().fail_start {
        return Err(ApiError::new(
            ErrorCode::InsufficientCapacity,
            Some(4010),
            "no host has room",
        )
        .into());
    }
    let mut sql = Sql::new("UPDATE toy_alloc SET state = 'running' WHERE kind = 'volume'");
    sql.and("owner = ?", Bind::Str(vm));
    toy.store.acquire().await?.c().execute(&sql).await?;
    Ok(())
}

/// Two steps with one name: the executor must refuse it.
pub struct Twice;

impl Saga for Twice {
    const NAME: &'static str = "toy-twice";
    type Params = ToyParams;
    type Context = Toy;
    const STEPS: &'static [Step<Self>] = &[Step::new_id("id"), Step::new_id("id")];
}
