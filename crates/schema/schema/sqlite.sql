-- SQLite schema after all migrations (generated; see tests/schema.rs)

-- index account_live_name on account
CREATE UNIQUE INDEX account_live_name ON account(domain_id, name) WHERE removed IS NULL;

-- index async_job_account on async_job
CREATE INDEX async_job_account ON async_job(account_id);

-- index async_job_pending on async_job
CREATE INDEX async_job_pending ON async_job(status, owner_msid);

-- index domain_live_path on domain
CREATE UNIQUE INDEX domain_live_path ON domain(path) WHERE removed IS NULL;

-- index event_account on event
CREATE INDEX event_account ON event(account_id, created);

-- index event_domain on event
CREATE INDEX event_domain ON event(domain_id, created);

-- index role_permission_role on role_permission
CREATE INDEX role_permission_role ON role_permission(role_id, sort_order);

-- index session_user on session
CREATE INDEX session_user ON session(user_id);

-- index users_account on users
CREATE INDEX users_account ON users(account_id);

-- index users_username on users
CREATE INDEX users_username ON users(username);

-- table account on account
CREATE TABLE account (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    account_type INTEGER NOT NULL,
    role_id INTEGER NOT NULL REFERENCES role(id),
    domain_id INTEGER NOT NULL REFERENCES domain(id),
    state TEXT NOT NULL,
    network_domain TEXT,
    api_key_access TEXT,
    is_default BOOLEAN NOT NULL,
    created TEXT NOT NULL,
    removed TEXT,
    update_count INTEGER NOT NULL DEFAULT 0
);

-- table account_detail on account_detail
CREATE TABLE account_detail (
    account_id INTEGER NOT NULL REFERENCES account(id),
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (account_id, name)
);

-- table async_job on async_job
CREATE TABLE async_job (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users(id),
    account_id INTEGER NOT NULL REFERENCES account(id),
    cmd TEXT NOT NULL,
    params TEXT NOT NULL,
    instance_type TEXT,
    instance_id TEXT,
    status INTEGER NOT NULL,
    result_code INTEGER NOT NULL,
    result TEXT,
    owner_msid TEXT,
    started TEXT,
    created TEXT NOT NULL,
    completed TEXT,
    update_count INTEGER NOT NULL DEFAULT 0
);

-- table configuration on configuration
CREATE TABLE configuration (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated TEXT NOT NULL
);

-- table domain on domain
CREATE TABLE domain (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    parent_id INTEGER REFERENCES domain(id),
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    level INTEGER NOT NULL,
    network_domain TEXT,
    state TEXT NOT NULL,
    created TEXT NOT NULL,
    removed TEXT,
    update_count INTEGER NOT NULL DEFAULT 0
);

-- table event on event
CREATE TABLE event (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    level TEXT NOT NULL,
    state TEXT NOT NULL,
    description TEXT NOT NULL,
    user_id INTEGER,
    account_id INTEGER NOT NULL,
    domain_id INTEGER NOT NULL,
    resource_id TEXT,
    resource_type TEXT,
    resource_name TEXT,
    parent_id TEXT,
    archived BOOLEAN NOT NULL,
    created TEXT NOT NULL
);

-- table mshost on mshost
CREATE TABLE mshost (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    started TEXT NOT NULL,
    last_heartbeat TEXT NOT NULL,
    state TEXT NOT NULL
);

-- table role on role
CREATE TABLE role (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role_type TEXT NOT NULL,
    description TEXT,
    is_default BOOLEAN NOT NULL,
    is_public BOOLEAN NOT NULL,
    state TEXT NOT NULL,
    created TEXT NOT NULL,
    removed TEXT
);

-- table role_permission on role_permission
CREATE TABLE role_permission (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    role_id INTEGER NOT NULL REFERENCES role(id),
    rule TEXT NOT NULL,
    permission TEXT NOT NULL,
    description TEXT,
    sort_order INTEGER NOT NULL
);

-- table session on session
CREATE TABLE session (
    id TEXT PRIMARY KEY,
    session_key TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created TEXT NOT NULL,
    last_seen TEXT NOT NULL
);

-- table users on users
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    account_id INTEGER NOT NULL REFERENCES account(id),
    username TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    firstname TEXT NOT NULL,
    lastname TEXT NOT NULL,
    email TEXT,
    timezone TEXT,
    state TEXT NOT NULL,
    api_key TEXT UNIQUE,
    secret_key TEXT,
    api_key_access TEXT,
    is_default BOOLEAN NOT NULL,
    source TEXT NOT NULL,
    created TEXT NOT NULL,
    removed TEXT,
    update_count INTEGER NOT NULL DEFAULT 0
);
