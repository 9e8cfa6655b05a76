-- Sagas (docs/adr/0004-sagas.md): multi-step operations whose progress is persisted
-- after every step, so a restart resumes or unwinds them. `saga` is one row per
-- operation, owned by one management server; `saga_node_event` is its append-only log.
CREATE TABLE saga (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    params TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('running', 'unwinding', 'done', 'failed', 'stuck')),
    error TEXT,
    stuck_reason TEXT,
    owner_msid TEXT NOT NULL,
    job_id INTEGER REFERENCES async_job(id),
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    update_count INTEGER NOT NULL DEFAULT 0
);
-- Recovery looks for unfinished sagas of dead owners; finished ones are the bulk.
CREATE INDEX saga_unfinished ON saga(owner_msid) WHERE state IN ('running', 'unwinding');
CREATE INDEX saga_job ON saga(job_id);

CREATE TABLE saga_node_event (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    saga_id INTEGER NOT NULL REFERENCES saga(id),
    node INTEGER NOT NULL,
    step TEXT NOT NULL,
    event TEXT NOT NULL CHECK (event IN
        ('started', 'succeeded', 'failed', 'undo_started', 'undo_finished', 'undo_failed')),
    output TEXT,
    error TEXT,
    created TEXT NOT NULL
);
CREATE INDEX saga_node_event_saga ON saga_node_event(saga_id, id);
