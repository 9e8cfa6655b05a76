-- Offerings: compute (service), disk, network and VPC offerings; the domains and zones
-- an offering is limited to; the services and providers of network and VPC offerings.
-- Every compute offering points at a disk offering for its root disk: a hidden
-- compute-only one holding the properties given with the compute offering, or an
-- ordinary disk offering chosen with diskofferingid (CloudStack's model).
-- unique_name is set on seeded offerings, so the bootstrap adds each of them once.

-- Disk offerings, including the compute-only ones behind compute offerings.
-- Sizes are in GiB; unset rate limits are NULL.
CREATE TABLE disk_offering (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    display_text TEXT NOT NULL,
    unique_name TEXT,
    disk_size_gb INTEGER NOT NULL,
    customized BOOLEAN NOT NULL,
    customized_iops BOOLEAN,
    min_iops INTEGER,
    max_iops INTEGER,
    tags TEXT,
    provisioning_type TEXT NOT NULL,
    use_local_storage BOOLEAN NOT NULL,
    display_offering BOOLEAN NOT NULL,
    cache_mode TEXT NOT NULL,
    hypervisor_snapshot_reserve INTEGER,
    bytes_read_rate INTEGER,
    bytes_read_rate_max INTEGER,
    bytes_read_rate_max_length INTEGER,
    bytes_write_rate INTEGER,
    bytes_write_rate_max INTEGER,
    bytes_write_rate_max_length INTEGER,
    iops_read_rate INTEGER,
    iops_read_rate_max INTEGER,
    iops_read_rate_max_length INTEGER,
    iops_write_rate INTEGER,
    iops_write_rate_max INTEGER,
    iops_write_rate_max_length INTEGER,
    encrypt BOOLEAN NOT NULL,
    disk_size_strictness BOOLEAN NOT NULL,
    compute_only BOOLEAN NOT NULL,
    state TEXT NOT NULL,
    sort_key INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL,
    removed TEXT,
    update_count INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX disk_offering_unique_name ON disk_offering(unique_name);

-- Compute offerings. cpu/speed/ram_size are NULL for customized offerings, whose
-- optional bounds are min_/max_cpu and min_/max_memory (MiB).
CREATE TABLE service_offering (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    display_text TEXT NOT NULL,
    unique_name TEXT,
    cpu INTEGER,
    speed INTEGER,
    ram_size INTEGER,
    min_cpu INTEGER,
    max_cpu INTEGER,
    min_memory INTEGER,
    max_memory INTEGER,
    customized BOOLEAN NOT NULL,
    offer_ha BOOLEAN NOT NULL,
    limit_cpu_use BOOLEAN NOT NULL,
    is_volatile BOOLEAN NOT NULL,
    host_tags TEXT,
    network_rate INTEGER,
    system_use BOOLEAN NOT NULL,
    vm_type TEXT,
    default_use BOOLEAN NOT NULL,
    dynamic_scaling_enabled BOOLEAN NOT NULL,
    disk_offering_strictness BOOLEAN NOT NULL,
    disk_offering_id INTEGER NOT NULL REFERENCES disk_offering(id),
    state TEXT NOT NULL,
    sort_key INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL,
    removed TEXT,
    update_count INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX service_offering_unique_name ON service_offering(unique_name);

-- Network offerings; system_only ones back system networks and are never listed.
CREATE TABLE network_offering (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    display_text TEXT NOT NULL,
    unique_name TEXT,
    traffic_type TEXT NOT NULL,
    guest_type TEXT,
    availability TEXT NOT NULL,
    state TEXT NOT NULL,
    is_default BOOLEAN NOT NULL,
    system_only BOOLEAN NOT NULL,
    specify_vlan BOOLEAN NOT NULL,
    specify_ip_ranges BOOLEAN NOT NULL,
    conserve_mode BOOLEAN NOT NULL,
    egress_default_policy BOOLEAN NOT NULL,
    is_persistent BOOLEAN NOT NULL,
    for_vpc BOOLEAN NOT NULL,
    network_rate INTEGER,
    tags TEXT,
    service_offering_id INTEGER REFERENCES service_offering(id),
    dedicated_lb BOOLEAN NOT NULL,
    elastic_lb BOOLEAN NOT NULL,
    inline_lb BOOLEAN NOT NULL,
    public_lb BOOLEAN NOT NULL,
    internal_lb BOOLEAN NOT NULL,
    shared_source_nat BOOLEAN NOT NULL,
    redundant_router BOOLEAN NOT NULL,
    elastic_ip BOOLEAN NOT NULL,
    associate_public_ip BOOLEAN NOT NULL,
    max_connections INTEGER,
    keep_alive BOOLEAN NOT NULL,
    sort_key INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL,
    removed TEXT,
    update_count INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX network_offering_unique_name ON network_offering(unique_name);
CREATE UNIQUE INDEX network_offering_live_name ON network_offering(name) WHERE removed IS NULL;

-- Services of a network offering, one row per (service, provider).
CREATE TABLE network_offering_service (
    network_offering_id INTEGER NOT NULL REFERENCES network_offering(id),
    service TEXT NOT NULL,
    -- NULL: the service is offered without a chosen provider.
    provider TEXT
);
CREATE INDEX network_offering_service_offering ON network_offering_service(network_offering_id);

-- VPC offerings.
CREATE TABLE vpc_offering (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    display_text TEXT NOT NULL,
    unique_name TEXT,
    state TEXT NOT NULL,
    is_default BOOLEAN NOT NULL,
    service_offering_id INTEGER REFERENCES service_offering(id),
    redundant_router BOOLEAN NOT NULL,
    sort_key INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL,
    removed TEXT,
    update_count INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX vpc_offering_unique_name ON vpc_offering(unique_name);
CREATE UNIQUE INDEX vpc_offering_live_name ON vpc_offering(name) WHERE removed IS NULL;

-- Services of a VPC offering, one row per (service, provider).
CREATE TABLE vpc_offering_service (
    vpc_offering_id INTEGER NOT NULL REFERENCES vpc_offering(id),
    service TEXT NOT NULL,
    -- NULL: the service is offered without a chosen provider.
    provider TEXT
);
CREATE INDEX vpc_offering_service_offering ON vpc_offering_service(vpc_offering_id);

-- Domains an offering is limited to (none: public). kind is service, disk, network
-- or vpc; offering_id is the row of that kind's table.
CREATE TABLE offering_domain (
    kind TEXT NOT NULL,
    offering_id INTEGER NOT NULL,
    domain_id INTEGER NOT NULL REFERENCES domain(id),
    PRIMARY KEY (kind, offering_id, domain_id)
);

-- Zones an offering is limited to (none: every zone).
CREATE TABLE offering_zone (
    kind TEXT NOT NULL,
    offering_id INTEGER NOT NULL,
    zone_id INTEGER NOT NULL REFERENCES zone(id),
    PRIMARY KEY (kind, offering_id, zone_id)
);
