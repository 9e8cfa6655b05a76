-- Infrastructure inventory: zones, pods, clusters, hosts, physical networks, public IP
-- ranges, primary and secondary storage, guest OS types, alerts.

CREATE TABLE zone (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT,
    network_type TEXT NOT NULL,
    dns1 TEXT NOT NULL,
    dns2 TEXT,
    internal_dns1 TEXT NOT NULL,
    internal_dns2 TEXT,
    ip6_dns1 TEXT,
    ip6_dns2 TEXT,
    guest_cidr TEXT,
    network_domain TEXT,
    domain_id INTEGER REFERENCES domain(id),
    allocation_state TEXT NOT NULL,
    local_storage_enabled BOOLEAN NOT NULL,
    security_group_enabled BOOLEAN NOT NULL,
    is_edge BOOLEAN NOT NULL,
    created TEXT NOT NULL,
    removed TEXT,
    update_count INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX zone_live_name ON zone(name) WHERE removed IS NULL;

CREATE TABLE pod (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    zone_id INTEGER NOT NULL REFERENCES zone(id),
    name TEXT NOT NULL,
    gateway TEXT NOT NULL,
    cidr TEXT NOT NULL,
    allocation_state TEXT NOT NULL,
    created TEXT NOT NULL,
    removed TEXT,
    update_count INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX pod_live_name ON pod(zone_id, name) WHERE removed IS NULL;

-- Reserved management (system) IP ranges of a pod.
CREATE TABLE pod_ip_range (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pod_id INTEGER NOT NULL REFERENCES pod(id),
    start_ip TEXT NOT NULL,
    end_ip TEXT NOT NULL,
    vlan TEXT,
    for_system_vms BOOLEAN NOT NULL
);
CREATE INDEX pod_ip_range_pod ON pod_ip_range(pod_id);

CREATE TABLE cluster (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    zone_id INTEGER NOT NULL REFERENCES zone(id),
    pod_id INTEGER NOT NULL REFERENCES pod(id),
    name TEXT NOT NULL,
    hypervisor TEXT NOT NULL,
    cluster_type TEXT NOT NULL,
    arch TEXT NOT NULL,
    allocation_state TEXT NOT NULL,
    managed_state TEXT NOT NULL,
    created TEXT NOT NULL,
    removed TEXT,
    update_count INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX cluster_live_name ON cluster(pod_id, name) WHERE removed IS NULL;

CREATE TABLE host (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    guid TEXT NOT NULL,
    host_type TEXT NOT NULL,
    zone_id INTEGER NOT NULL REFERENCES zone(id),
    pod_id INTEGER REFERENCES pod(id),
    cluster_id INTEGER REFERENCES cluster(id),
    hypervisor TEXT NOT NULL,
    hypervisor_version TEXT,
    status TEXT NOT NULL,
    resource_state TEXT NOT NULL,
    cpu_sockets INTEGER NOT NULL,
    cpus INTEGER NOT NULL,
    cpu_speed INTEGER NOT NULL,
    ram BIGINT NOT NULL,
    local_storage BIGINT NOT NULL,
    arch TEXT NOT NULL,
    private_ip TEXT,
    url TEXT NOT NULL,
    agent_version TEXT,
    -- The management server holding the agent's connection, and its last ping.
    mgmt_server TEXT,
    last_ping TEXT,
    disconnected TEXT,
    created TEXT NOT NULL,
    removed TEXT,
    update_count INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX host_live_guid ON host(guid) WHERE removed IS NULL;
CREATE INDEX host_cluster ON host(cluster_id);
CREATE INDEX host_status ON host(status, last_ping);

CREATE TABLE host_tag (
    host_id INTEGER NOT NULL REFERENCES host(id),
    tag TEXT NOT NULL,
    is_implicit BOOLEAN NOT NULL,
    PRIMARY KEY (host_id, tag)
);

CREATE TABLE resource_detail (
    resource_type TEXT NOT NULL,
    resource_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (resource_type, resource_id, name)
);

CREATE TABLE physical_network (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    zone_id INTEGER NOT NULL REFERENCES zone(id),
    name TEXT NOT NULL,
    isolation_methods TEXT NOT NULL,
    vlan TEXT,
    speed TEXT,
    broadcast_domain_range TEXT NOT NULL,
    tags TEXT,
    domain_id INTEGER REFERENCES domain(id),
    state TEXT NOT NULL,
    created TEXT NOT NULL,
    removed TEXT
);

CREATE TABLE physical_network_traffic_type (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    physical_network_id INTEGER NOT NULL REFERENCES physical_network(id),
    traffic_type TEXT NOT NULL,
    kvm_label TEXT,
    xen_label TEXT,
    vmware_label TEXT,
    hyperv_label TEXT,
    ovm3_label TEXT,
    vlan TEXT,
    isolation_method TEXT
);
CREATE UNIQUE INDEX traffic_type_unique ON physical_network_traffic_type(physical_network_id, traffic_type);

CREATE TABLE physical_network_service_provider (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    physical_network_id INTEGER NOT NULL REFERENCES physical_network(id),
    provider_name TEXT NOT NULL,
    state TEXT NOT NULL,
    dest_physical_network_id INTEGER,
    services TEXT NOT NULL
);
CREATE UNIQUE INDEX service_provider_unique ON physical_network_service_provider(physical_network_id, provider_name);

CREATE TABLE virtual_router_element (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    nsp_id INTEGER NOT NULL REFERENCES physical_network_service_provider(id),
    element_type TEXT NOT NULL,
    enabled BOOLEAN NOT NULL
);

-- Public (and shared-network) IP ranges: CloudStack's `vlan` table.
CREATE TABLE vlan (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    zone_id INTEGER NOT NULL REFERENCES zone(id),
    pod_id INTEGER REFERENCES pod(id),
    physical_network_id INTEGER REFERENCES physical_network(id),
    network_id INTEGER,
    vlan_tag TEXT NOT NULL,
    gateway TEXT,
    netmask TEXT,
    start_ip TEXT,
    end_ip TEXT,
    ip6_gateway TEXT,
    ip6_cidr TEXT,
    start_ipv6 TEXT,
    end_ipv6 TEXT,
    for_virtual_network BOOLEAN NOT NULL,
    for_system_vms BOOLEAN NOT NULL,
    account_id INTEGER REFERENCES account(id),
    domain_id INTEGER REFERENCES domain(id),
    created TEXT NOT NULL,
    removed TEXT
);
CREATE INDEX vlan_zone ON vlan(zone_id);

-- One row per public address of a range, as CloudStack's user_ip_address.
CREATE TABLE public_ip (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    vlan_id INTEGER NOT NULL REFERENCES vlan(id),
    zone_id INTEGER NOT NULL REFERENCES zone(id),
    address TEXT NOT NULL,
    state TEXT NOT NULL,
    account_id INTEGER REFERENCES account(id),
    domain_id INTEGER REFERENCES domain(id),
    network_id INTEGER,
    source_nat BOOLEAN NOT NULL,
    allocated TEXT,
    update_count INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX public_ip_address ON public_ip(zone_id, address);
CREATE INDEX public_ip_vlan ON public_ip(vlan_id, state);

CREATE TABLE storage_pool (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    zone_id INTEGER NOT NULL REFERENCES zone(id),
    pod_id INTEGER REFERENCES pod(id),
    cluster_id INTEGER REFERENCES cluster(id),
    host_id INTEGER REFERENCES host(id),
    scope TEXT NOT NULL,
    pool_type TEXT NOT NULL,
    host_address TEXT,
    path TEXT NOT NULL,
    port INTEGER NOT NULL,
    url TEXT NOT NULL,
    provider TEXT NOT NULL,
    hypervisor TEXT,
    capacity_bytes BIGINT NOT NULL,
    used_bytes BIGINT NOT NULL,
    capacity_iops BIGINT,
    managed BOOLEAN NOT NULL,
    state TEXT NOT NULL,
    created TEXT NOT NULL,
    removed TEXT,
    update_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX storage_pool_zone ON storage_pool(zone_id);

CREATE TABLE storage_pool_tag (
    pool_id INTEGER NOT NULL REFERENCES storage_pool(id),
    tag TEXT NOT NULL,
    PRIMARY KEY (pool_id, tag)
);

CREATE TABLE image_store (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    zone_id INTEGER REFERENCES zone(id),
    provider TEXT NOT NULL,
    protocol TEXT NOT NULL,
    url TEXT NOT NULL,
    scope TEXT NOT NULL,
    readonly BOOLEAN NOT NULL,
    total_bytes BIGINT,
    used_bytes BIGINT,
    created TEXT NOT NULL,
    removed TEXT
);

CREATE TABLE guest_os_category (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    featured BOOLEAN NOT NULL,
    sort_order INTEGER NOT NULL,
    created TEXT NOT NULL
);

CREATE TABLE guest_os (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    category_id INTEGER NOT NULL REFERENCES guest_os_category(id),
    display_name TEXT NOT NULL,
    user_defined BOOLEAN NOT NULL,
    for_display BOOLEAN NOT NULL
);

CREATE TABLE alert (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    alert_type INTEGER NOT NULL,
    name TEXT NOT NULL,
    zone_id INTEGER,
    pod_id INTEGER,
    cluster_id INTEGER,
    subject TEXT NOT NULL,
    archived BOOLEAN NOT NULL,
    created TEXT NOT NULL
);
CREATE INDEX alert_created ON alert(created);
