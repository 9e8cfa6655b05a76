-- Templates and ISOs (one table, as CloudStack's vm_template), their copies on image
-- stores (template_store_ref: per-store download state and progress) and the accounts a
-- private template is shared with (launch_permission).

CREATE TABLE vm_template (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    display_text TEXT NOT NULL,
    -- USER, BUILTIN, SYSTEM, ROUTING, PERHOST
    template_type TEXT NOT NULL,
    -- QCOW2, RAW, VHD, OVA, VMDK, ISO
    format TEXT NOT NULL,
    -- Canonical hypervisor name; "None" for ISOs.
    hypervisor TEXT NOT NULL,
    guest_os_id INTEGER NOT NULL REFERENCES guest_os(id),
    account_id INTEGER NOT NULL REFERENCES account(id),
    domain_id INTEGER NOT NULL REFERENCES domain(id),
    url TEXT,
    checksum TEXT,
    is_public BOOLEAN NOT NULL,
    featured BOOLEAN NOT NULL,
    extractable BOOLEAN NOT NULL,
    password_enabled BOOLEAN NOT NULL,
    sshkey_enabled BOOLEAN NOT NULL,
    bootable BOOLEAN NOT NULL,
    requires_hvm BOOLEAN NOT NULL,
    dynamically_scalable BOOLEAN NOT NULL,
    cross_zones BOOLEAN NOT NULL,
    bits INTEGER NOT NULL,
    arch TEXT NOT NULL,
    template_tag TEXT,
    sort_key INTEGER NOT NULL,
    source_template_id INTEGER REFERENCES vm_template(id),
    created TEXT NOT NULL,
    removed TEXT,
    update_count BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX vm_template_account ON vm_template(account_id) WHERE removed IS NULL;

CREATE TABLE template_store_ref (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    template_id INTEGER NOT NULL REFERENCES vm_template(id),
    store_id INTEGER NOT NULL REFERENCES image_store(id),
    zone_id INTEGER NOT NULL REFERENCES zone(id),
    -- Simulator zones: nothing is fetched, progress is simulated.
    simulated BOOLEAN NOT NULL,
    -- NOT_DOWNLOADED, DOWNLOAD_IN_PROGRESS, DOWNLOADED, DOWNLOAD_ERROR, NOT_UPLOADED,
    -- UPLOAD_IN_PROGRESS, UPLOAD_ERROR, ABANDONED
    download_state TEXT NOT NULL,
    download_pct INTEGER NOT NULL,
    error_str TEXT,
    -- Where the bytes come from: the registration URL, or the ref id of a copy source.
    source_url TEXT,
    source_ref_id INTEGER,
    install_path TEXT,
    size BIGINT,
    physical_size BIGINT,
    -- The server working on it; NULL when nobody is.
    owner_msid TEXT,
    attempts INTEGER NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    UNIQUE (template_id, store_id)
);
CREATE INDEX template_store_ref_zone ON template_store_ref(zone_id, template_id);
CREATE INDEX template_store_ref_pending ON template_store_ref(download_state)
    WHERE download_state IN ('NOT_DOWNLOADED', 'DOWNLOAD_IN_PROGRESS');

CREATE TABLE launch_permission (
    template_id INTEGER NOT NULL REFERENCES vm_template(id),
    account_id INTEGER NOT NULL REFERENCES account(id),
    PRIMARY KEY (template_id, account_id)
);
CREATE INDEX launch_permission_account ON launch_permission(account_id);
