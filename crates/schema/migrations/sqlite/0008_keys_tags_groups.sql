-- Small account-owned resources that virtual machines refer to: SSH key pairs, affinity
-- groups (with their VM members), resource tags and instance groups (with their VMs).
-- The VM tables come later, so the member maps hold plain instance ids without a
-- foreign key.

CREATE TABLE ssh_keypair (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    account_id INTEGER NOT NULL REFERENCES account(id),
    name TEXT NOT NULL,
    -- MD5 of the key blob, colon-separated hex (CloudStack's form).
    fingerprint TEXT NOT NULL,
    -- "<type> <base64>", without the comment. The private key is never stored.
    public_key TEXT NOT NULL,
    created TEXT NOT NULL,
    UNIQUE (account_id, name),
    UNIQUE (account_id, fingerprint)
);

CREATE TABLE affinity_group (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    account_id INTEGER NOT NULL REFERENCES account(id),
    name TEXT NOT NULL,
    description TEXT,
    -- host affinity, host anti-affinity, non-strict host affinity, ...
    group_type TEXT NOT NULL,
    created TEXT NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE affinity_group_vm_map (
    group_id INTEGER NOT NULL REFERENCES affinity_group(id),
    instance_id BIGINT NOT NULL,
    PRIMARY KEY (group_id, instance_id)
);
CREATE INDEX affinity_group_vm_map_instance ON affinity_group_vm_map(instance_id);

CREATE TABLE resource_tag (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    tag_key TEXT NOT NULL,
    tag_value TEXT NOT NULL,
    -- CloudStack's resource object type: UserVm, Template, ISO, Volume, ...
    resource_type TEXT NOT NULL,
    -- The tagged row's internal id and its uuid (resource tables differ per type).
    resource_id BIGINT NOT NULL,
    resource_uuid TEXT NOT NULL,
    -- The tagged resource's owner, not the caller who tagged it.
    account_id INTEGER NOT NULL REFERENCES account(id),
    domain_id INTEGER NOT NULL REFERENCES domain(id),
    customer TEXT,
    created TEXT NOT NULL,
    UNIQUE (resource_type, resource_id, tag_key)
);
CREATE INDEX resource_tag_account ON resource_tag(account_id);
CREATE INDEX resource_tag_key_value ON resource_tag(resource_type, tag_key, tag_value);

CREATE TABLE instance_group (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    account_id INTEGER NOT NULL REFERENCES account(id),
    name TEXT NOT NULL,
    created TEXT NOT NULL,
    removed TEXT
);
CREATE UNIQUE INDEX instance_group_live_name ON instance_group(account_id, name)
    WHERE removed IS NULL;

-- A VM is in at most one instance group.
CREATE TABLE instance_group_vm_map (
    instance_id BIGINT PRIMARY KEY,
    group_id INTEGER NOT NULL REFERENCES instance_group(id)
);
CREATE INDEX instance_group_vm_map_group ON instance_group_vm_map(group_id);
