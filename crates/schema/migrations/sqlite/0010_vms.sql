-- Virtual machines, their volumes on primary storage, and the capacity they hold on
-- hosts and pools (reserved in the same transaction that picks the host).

CREATE TABLE vm_instance (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    -- Host name inside the guest (CloudStack's `name`).
    name TEXT NOT NULL,
    display_name TEXT NOT NULL,
    -- Name on the hypervisor: i-<account id>-<vm id>-VM.
    instance_name TEXT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES account(id),
    domain_id INTEGER NOT NULL REFERENCES domain(id),
    zone_id INTEGER NOT NULL REFERENCES zone(id),
    pod_id INTEGER REFERENCES pod(id),
    cluster_id INTEGER REFERENCES cluster(id),
    host_id INTEGER REFERENCES host(id),
    last_host_id INTEGER REFERENCES host(id),
    template_id INTEGER NOT NULL REFERENCES vm_template(id),
    iso_id INTEGER REFERENCES vm_template(id),
    service_offering_id INTEGER NOT NULL,
    cpus INTEGER NOT NULL,
    cpu_speed INTEGER NOT NULL,
    memory_mb BIGINT NOT NULL,
    hypervisor TEXT NOT NULL,
    guest_os_id INTEGER NOT NULL REFERENCES guest_os(id),
    -- Allocated, Starting, Running, Stopping, Stopped, Migrating, Destroyed, Expunging,
    -- Expunged, Error
    state TEXT NOT NULL,
    ha_enabled BOOLEAN NOT NULL,
    instance_group TEXT,
    user_data TEXT,
    keypairs TEXT,
    display_vm BOOLEAN NOT NULL,
    created TEXT NOT NULL,
    destroyed TEXT,
    removed TEXT,
    update_count BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX vm_instance_account ON vm_instance(account_id) WHERE removed IS NULL;
CREATE INDEX vm_instance_host ON vm_instance(host_id) WHERE removed IS NULL;
CREATE INDEX vm_instance_state ON vm_instance(state, destroyed);

CREATE TABLE volume (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES account(id),
    domain_id INTEGER NOT NULL REFERENCES domain(id),
    zone_id INTEGER NOT NULL REFERENCES zone(id),
    pool_id INTEGER REFERENCES storage_pool(id),
    instance_id INTEGER REFERENCES vm_instance(id),
    device_id INTEGER,
    -- ROOT or DATADISK
    volume_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    disk_offering_id INTEGER,
    template_id INTEGER REFERENCES vm_template(id),
    -- Allocated, Creating, Ready, Destroy, Expunging, Expunged
    state TEXT NOT NULL,
    path TEXT,
    provisioning TEXT NOT NULL,
    created TEXT NOT NULL,
    removed TEXT,
    update_count BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX volume_instance ON volume(instance_id) WHERE removed IS NULL;
CREATE INDEX volume_account ON volume(account_id) WHERE removed IS NULL;

-- What a VM holds on a host: one row per placed VM (two while it migrates). Inserting
-- or deleting the row is what moves the host's counters, so reserving or releasing
-- twice changes nothing.
CREATE TABLE host_reservation (
    instance_id INTEGER NOT NULL REFERENCES vm_instance(id),
    host_id INTEGER NOT NULL REFERENCES host(id),
    cpu_mhz BIGINT NOT NULL,
    ram_bytes BIGINT NOT NULL,
    created TEXT NOT NULL,
    PRIMARY KEY (instance_id, host_id)
);

-- Capacity held by VMs, kept next to the host's totals so one conditional UPDATE both
-- checks and takes it.
ALTER TABLE host ADD COLUMN cpu_used_mhz BIGINT NOT NULL DEFAULT 0;
ALTER TABLE host ADD COLUMN ram_used_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE storage_pool ADD COLUMN allocated_bytes BIGINT NOT NULL DEFAULT 0;
