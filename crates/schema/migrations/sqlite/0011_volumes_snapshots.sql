-- Data volumes, volume snapshots with their schedules, and VM snapshots.

-- The snapshot a volume was created from; whether its owner sees it; when it was
-- attached to its VM.
ALTER TABLE volume ADD COLUMN source_snapshot_id INTEGER;
ALTER TABLE volume ADD COLUMN display_volume BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE volume ADD COLUMN attached TEXT;
-- One volume per device slot of a VM, whatever the order of concurrent attaches.
CREATE UNIQUE INDEX volume_device ON volume(instance_id, device_id)
    WHERE removed IS NULL AND instance_id IS NOT NULL;

CREATE TABLE snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES account(id),
    domain_id INTEGER NOT NULL REFERENCES domain(id),
    zone_id INTEGER NOT NULL REFERENCES zone(id),
    volume_id INTEGER NOT NULL REFERENCES volume(id),
    -- MANUAL, or the interval of the policy that took it (HOURLY, DAILY, WEEKLY, MONTHLY)
    snapshot_type TEXT NOT NULL,
    policy_id INTEGER,
    -- Creating, CreatedOnPrimary, BackedUp, Destroying, Error
    state TEXT NOT NULL,
    -- Virtual size of the volume when taken; bytes of the backup.
    size BIGINT NOT NULL,
    physical_size BIGINT NOT NULL DEFAULT 0,
    -- The copy on the volume's pool, and the backup in an image store.
    primary_path TEXT,
    store_id INTEGER REFERENCES image_store(id),
    backup_path TEXT,
    hypervisor TEXT NOT NULL,
    created TEXT NOT NULL,
    removed TEXT,
    update_count BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX snapshots_volume ON snapshots(volume_id) WHERE removed IS NULL;
CREATE INDEX snapshots_account ON snapshots(account_id) WHERE removed IS NULL;

CREATE TABLE snapshot_policy (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    volume_id INTEGER NOT NULL REFERENCES volume(id),
    -- HOURLY, DAILY, WEEKLY, MONTHLY
    interval_type TEXT NOT NULL,
    -- mm, mm:HH, mm:HH:D (day of week 1-7) or mm:HH:DD (day of month)
    schedule TEXT NOT NULL,
    timezone TEXT NOT NULL,
    max_snaps INTEGER NOT NULL,
    display BOOLEAN NOT NULL,
    -- When the scheduler takes the next snapshot (UTC); moved on by the server that
    -- claims the run, with a conditional UPDATE.
    next_run TEXT NOT NULL,
    created TEXT NOT NULL,
    removed TEXT
);
CREATE UNIQUE INDEX snapshot_policy_interval ON snapshot_policy(volume_id, interval_type)
    WHERE removed IS NULL;
CREATE INDEX snapshot_policy_due ON snapshot_policy(next_run) WHERE removed IS NULL;

CREATE TABLE vm_snapshot (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    display_name TEXT NOT NULL,
    description TEXT,
    account_id INTEGER NOT NULL REFERENCES account(id),
    domain_id INTEGER NOT NULL REFERENCES domain(id),
    vm_id INTEGER NOT NULL REFERENCES vm_instance(id),
    parent_id INTEGER REFERENCES vm_snapshot(id),
    -- The one the VM was created from or last reverted to.
    current BOOLEAN NOT NULL DEFAULT FALSE,
    -- Disk (DiskAndMemory is not supported)
    snapshot_type TEXT NOT NULL,
    -- Creating, Ready, Reverting, Expunging, Error
    state TEXT NOT NULL,
    created TEXT NOT NULL,
    removed TEXT,
    update_count BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX vm_snapshot_vm ON vm_snapshot(vm_id) WHERE removed IS NULL;

-- The volumes a VM snapshot covers; on the host each has a snapshot named after the VM
-- snapshot's uuid.
CREATE TABLE vm_snapshot_volume (
    vm_snapshot_id INTEGER NOT NULL REFERENCES vm_snapshot(id),
    volume_id INTEGER NOT NULL REFERENCES volume(id),
    PRIMARY KEY (vm_snapshot_id, volume_id)
);
