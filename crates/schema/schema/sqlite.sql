-- SQLite schema after all migrations (generated; see tests/schema.rs)

-- index account_live_name on account
CREATE UNIQUE INDEX account_live_name ON account(domain_id, name) WHERE removed IS NULL;

-- index affinity_group_vm_map_instance on affinity_group_vm_map
CREATE INDEX affinity_group_vm_map_instance ON affinity_group_vm_map(instance_id);

-- index alert_created on alert
CREATE INDEX alert_created ON alert(created);

-- index async_job_account on async_job
CREATE INDEX async_job_account ON async_job(account_id);

-- index async_job_pending on async_job
CREATE INDEX async_job_pending ON async_job(status, owner_msid);

-- index cluster_live_name on cluster
CREATE UNIQUE INDEX cluster_live_name ON cluster(pod_id, name) WHERE removed IS NULL;

-- index disk_offering_unique_name on disk_offering
CREATE UNIQUE INDEX disk_offering_unique_name ON disk_offering(unique_name);

-- index domain_live_path on domain
CREATE UNIQUE INDEX domain_live_path ON domain(path) WHERE removed IS NULL;

-- index event_account on event
CREATE INDEX event_account ON event(account_id, created);

-- index event_domain on event
CREATE INDEX event_domain ON event(domain_id, created);

-- index host_cluster on host
CREATE INDEX host_cluster ON host(cluster_id);

-- index host_live_cluster on host
CREATE INDEX host_live_cluster ON host(cluster_id) WHERE removed IS NULL;

-- index host_live_guid on host
CREATE UNIQUE INDEX host_live_guid ON host(guid) WHERE removed IS NULL;

-- index host_live_pod on host
CREATE INDEX host_live_pod ON host(pod_id) WHERE removed IS NULL;

-- index host_live_zone on host
CREATE INDEX host_live_zone ON host(zone_id) WHERE removed IS NULL;

-- index host_status on host
CREATE INDEX host_status ON host(status, last_ping);

-- index instance_group_live_name on instance_group
CREATE UNIQUE INDEX instance_group_live_name ON instance_group(account_id, name)
    WHERE removed IS NULL;

-- index instance_group_vm_map_group on instance_group_vm_map
CREATE INDEX instance_group_vm_map_group ON instance_group_vm_map(group_id);

-- index launch_permission_account on launch_permission
CREATE INDEX launch_permission_account ON launch_permission(account_id);

-- index network_account on network
CREATE INDEX network_account ON network(account_id) WHERE removed IS NULL;

-- index network_offering_live_name on network_offering
CREATE UNIQUE INDEX network_offering_live_name ON network_offering(name) WHERE removed IS NULL;

-- index network_offering_service_offering on network_offering_service
CREATE INDEX network_offering_service_offering ON network_offering_service(network_offering_id);

-- index network_offering_unique_name on network_offering
CREATE UNIQUE INDEX network_offering_unique_name ON network_offering(unique_name);

-- index network_zone on network
CREATE INDEX network_zone ON network(zone_id) WHERE removed IS NULL;

-- index nic_instance_device on nic
CREATE UNIQUE INDEX nic_instance_device ON nic(instance_id, device_id) WHERE removed IS NULL;

-- index nic_network_ip on nic
CREATE UNIQUE INDEX nic_network_ip ON nic(network_id, ip4_address) WHERE removed IS NULL;

-- index nic_zone_mac on nic
CREATE UNIQUE INDEX nic_zone_mac ON nic(zone_id, mac_address) WHERE removed IS NULL;

-- index pod_ip_range_pod on pod_ip_range
CREATE INDEX pod_ip_range_pod ON pod_ip_range(pod_id);

-- index pod_live_name on pod
CREATE UNIQUE INDEX pod_live_name ON pod(zone_id, name) WHERE removed IS NULL;

-- index public_ip_address on public_ip
CREATE UNIQUE INDEX public_ip_address ON public_ip(zone_id, address);

-- index public_ip_network on public_ip
CREATE INDEX public_ip_network ON public_ip(network_id) WHERE network_id IS NOT NULL;

-- index public_ip_vlan on public_ip
CREATE INDEX public_ip_vlan ON public_ip(vlan_id, state);

-- index resource_tag_account on resource_tag
CREATE INDEX resource_tag_account ON resource_tag(account_id);

-- index resource_tag_key_value on resource_tag
CREATE INDEX resource_tag_key_value ON resource_tag(resource_type, tag_key, tag_value);

-- index role_permission_role on role_permission
CREATE INDEX role_permission_role ON role_permission(role_id, sort_order);

-- index saga_job on saga
CREATE INDEX saga_job ON saga(job_id);

-- index saga_node_event_saga on saga_node_event
CREATE INDEX saga_node_event_saga ON saga_node_event(saga_id, id);

-- index saga_unfinished on saga
CREATE INDEX saga_unfinished ON saga(owner_msid) WHERE state IN ('running', 'unwinding');

-- index service_offering_unique_name on service_offering
CREATE UNIQUE INDEX service_offering_unique_name ON service_offering(unique_name);

-- index service_provider_unique on physical_network_service_provider
CREATE UNIQUE INDEX service_provider_unique ON physical_network_service_provider(physical_network_id, provider_name);

-- index session_user on session
CREATE INDEX session_user ON session(user_id);

-- index snapshot_policy_due on snapshot_policy
CREATE INDEX snapshot_policy_due ON snapshot_policy(next_run) WHERE removed IS NULL;

-- index snapshot_policy_interval on snapshot_policy
CREATE UNIQUE INDEX snapshot_policy_interval ON snapshot_policy(volume_id, interval_type)
    WHERE removed IS NULL;

-- index snapshots_account on snapshots
CREATE INDEX snapshots_account ON snapshots(account_id) WHERE removed IS NULL;

-- index snapshots_volume on snapshots
CREATE INDEX snapshots_volume ON snapshots(volume_id) WHERE removed IS NULL;

-- index storage_pool_zone on storage_pool
CREATE INDEX storage_pool_zone ON storage_pool(zone_id);

-- index template_store_ref_pending on template_store_ref
CREATE INDEX template_store_ref_pending ON template_store_ref(download_state)
    WHERE download_state IN ('NOT_DOWNLOADED', 'DOWNLOAD_IN_PROGRESS');

-- index template_store_ref_zone on template_store_ref
CREATE INDEX template_store_ref_zone ON template_store_ref(zone_id, template_id);

-- index traffic_type_unique on physical_network_traffic_type
CREATE UNIQUE INDEX traffic_type_unique ON physical_network_traffic_type(physical_network_id, traffic_type);

-- index users_account on users
CREATE INDEX users_account ON users(account_id);

-- index users_username on users
CREATE INDEX users_username ON users(username);

-- index vlan_zone on vlan
CREATE INDEX vlan_zone ON vlan(zone_id);

-- index vm_instance_account on vm_instance
CREATE INDEX vm_instance_account ON vm_instance(account_id) WHERE removed IS NULL;

-- index vm_instance_host on vm_instance
CREATE INDEX vm_instance_host ON vm_instance(host_id) WHERE removed IS NULL;

-- index vm_instance_state on vm_instance
CREATE INDEX vm_instance_state ON vm_instance(state, destroyed);

-- index vm_snapshot_vm on vm_snapshot
CREATE INDEX vm_snapshot_vm ON vm_snapshot(vm_id) WHERE removed IS NULL;

-- index vm_template_account on vm_template
CREATE INDEX vm_template_account ON vm_template(account_id) WHERE removed IS NULL;

-- index volume_account on volume
CREATE INDEX volume_account ON volume(account_id) WHERE removed IS NULL;

-- index volume_device on volume
CREATE UNIQUE INDEX volume_device ON volume(instance_id, device_id)
    WHERE removed IS NULL AND instance_id IS NOT NULL;

-- index volume_instance on volume
CREATE INDEX volume_instance ON volume(instance_id) WHERE removed IS NULL;

-- index volume_store_ref_pending on volume_store_ref
CREATE INDEX volume_store_ref_pending ON volume_store_ref(download_state)
    WHERE download_state IN ('NOT_DOWNLOADED', 'DOWNLOAD_IN_PROGRESS');

-- index vpc_offering_live_name on vpc_offering
CREATE UNIQUE INDEX vpc_offering_live_name ON vpc_offering(name) WHERE removed IS NULL;

-- index vpc_offering_service_offering on vpc_offering_service
CREATE INDEX vpc_offering_service_offering ON vpc_offering_service(vpc_offering_id);

-- index vpc_offering_unique_name on vpc_offering
CREATE UNIQUE INDEX vpc_offering_unique_name ON vpc_offering(unique_name);

-- index zone_live_name on zone
CREATE UNIQUE INDEX zone_live_name ON zone(name) WHERE removed IS NULL;

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

-- table affinity_group on affinity_group
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

-- table affinity_group_vm_map on affinity_group_vm_map
CREATE TABLE affinity_group_vm_map (
    group_id INTEGER NOT NULL REFERENCES affinity_group(id),
    instance_id BIGINT NOT NULL,
    PRIMARY KEY (group_id, instance_id)
);

-- table alert on alert
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

-- table cluster on cluster
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

-- table configuration on configuration
CREATE TABLE configuration (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated TEXT NOT NULL
);

-- table disk_offering on disk_offering
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

-- table guest_os on guest_os
CREATE TABLE guest_os (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    category_id INTEGER NOT NULL REFERENCES guest_os_category(id),
    display_name TEXT NOT NULL,
    user_defined BOOLEAN NOT NULL,
    for_display BOOLEAN NOT NULL
);

-- table guest_os_category on guest_os_category
CREATE TABLE guest_os_category (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    featured BOOLEAN NOT NULL,
    sort_order INTEGER NOT NULL,
    created TEXT NOT NULL
);

-- table guest_vnet on guest_vnet
CREATE TABLE guest_vnet (
    physical_network_id INTEGER NOT NULL REFERENCES physical_network(id),
    vnet BIGINT NOT NULL,
    network_id INTEGER NOT NULL UNIQUE REFERENCES network(id),
    taken TEXT NOT NULL,
    PRIMARY KEY (physical_network_id, vnet)
);

-- table host on host
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
, cpu_used_mhz BIGINT NOT NULL DEFAULT 0, ram_used_bytes BIGINT NOT NULL DEFAULT 0);

-- table host_reservation on host_reservation
CREATE TABLE host_reservation (
    instance_id INTEGER NOT NULL REFERENCES vm_instance(id),
    host_id INTEGER NOT NULL REFERENCES host(id),
    cpu_mhz BIGINT NOT NULL,
    ram_bytes BIGINT NOT NULL,
    created TEXT NOT NULL,
    PRIMARY KEY (instance_id, host_id)
);

-- table host_tag on host_tag
CREATE TABLE host_tag (
    host_id INTEGER NOT NULL REFERENCES host(id),
    tag TEXT NOT NULL,
    is_implicit BOOLEAN NOT NULL,
    PRIMARY KEY (host_id, tag)
);

-- table image_store on image_store
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

-- table instance_group on instance_group
CREATE TABLE instance_group (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    account_id INTEGER NOT NULL REFERENCES account(id),
    name TEXT NOT NULL,
    created TEXT NOT NULL,
    removed TEXT
);

-- table instance_group_vm_map on instance_group_vm_map
CREATE TABLE instance_group_vm_map (
    instance_id BIGINT PRIMARY KEY,
    group_id INTEGER NOT NULL REFERENCES instance_group(id)
);

-- table launch_permission on launch_permission
CREATE TABLE launch_permission (
    template_id INTEGER NOT NULL REFERENCES vm_template(id),
    account_id INTEGER NOT NULL REFERENCES account(id),
    PRIMARY KEY (template_id, account_id)
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

-- table network on network
CREATE TABLE network (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    display_text TEXT NOT NULL,
    zone_id INTEGER NOT NULL REFERENCES zone(id),
    physical_network_id INTEGER REFERENCES physical_network(id),
    network_offering_id INTEGER NOT NULL REFERENCES network_offering(id),
    -- Isolated, Shared or L2
    guest_type TEXT NOT NULL,
    traffic_type TEXT NOT NULL,
    -- Account (owned by account_id) or Domain (shared in domain_id, owned by system)
    acl_type TEXT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES account(id),
    domain_id INTEGER NOT NULL REFERENCES domain(id),
    subdomain_access BOOLEAN,
    cidr TEXT,
    gateway TEXT,
    netmask TEXT,
    -- The addresses NICs are given (NULL for L2 networks).
    start_ip TEXT,
    end_ip TEXT,
    -- Vlan or Vxlan
    broadcast_domain_type TEXT NOT NULL,
    -- vlan://N, vxlan://N or vlan://untagged; NULL until the network is implemented
    broadcast_uri TEXT,
    network_domain TEXT,
    dns1 TEXT,
    dns2 TEXT,
    -- Allocated, Implemented, Shutdown, Destroy
    state TEXT NOT NULL,
    display_network BOOLEAN NOT NULL,
    created TEXT NOT NULL,
    removed TEXT,
    update_count INTEGER NOT NULL DEFAULT 0
);

-- table network_offering on network_offering
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

-- table network_offering_service on network_offering_service
CREATE TABLE network_offering_service (
    network_offering_id INTEGER NOT NULL REFERENCES network_offering(id),
    service TEXT NOT NULL,
    -- NULL: the service is offered without a chosen provider.
    provider TEXT
);

-- table nic on nic
CREATE TABLE nic (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    instance_id BIGINT NOT NULL,
    network_id INTEGER NOT NULL REFERENCES network(id),
    zone_id INTEGER NOT NULL REFERENCES zone(id),
    ip4_address TEXT,
    netmask TEXT,
    gateway TEXT,
    mac_address TEXT NOT NULL,
    device_id INTEGER NOT NULL,
    is_default BOOLEAN NOT NULL,
    -- Allocated, Reserved, Released
    state TEXT NOT NULL,
    reservation_id TEXT,
    created TEXT NOT NULL,
    removed TEXT
);

-- table offering_domain on offering_domain
CREATE TABLE offering_domain (
    kind TEXT NOT NULL,
    offering_id INTEGER NOT NULL,
    domain_id INTEGER NOT NULL REFERENCES domain(id),
    PRIMARY KEY (kind, offering_id, domain_id)
);

-- table offering_zone on offering_zone
CREATE TABLE offering_zone (
    kind TEXT NOT NULL,
    offering_id INTEGER NOT NULL,
    zone_id INTEGER NOT NULL REFERENCES zone(id),
    PRIMARY KEY (kind, offering_id, zone_id)
);

-- table physical_network on physical_network
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

-- table physical_network_service_provider on physical_network_service_provider
CREATE TABLE physical_network_service_provider (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    physical_network_id INTEGER NOT NULL REFERENCES physical_network(id),
    provider_name TEXT NOT NULL,
    state TEXT NOT NULL,
    dest_physical_network_id INTEGER,
    services TEXT NOT NULL
);

-- table physical_network_traffic_type on physical_network_traffic_type
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

-- table pod on pod
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

-- table pod_ip_range on pod_ip_range
CREATE TABLE pod_ip_range (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pod_id INTEGER NOT NULL REFERENCES pod(id),
    start_ip TEXT NOT NULL,
    end_ip TEXT NOT NULL,
    vlan TEXT,
    for_system_vms BOOLEAN NOT NULL
);

-- table public_ip on public_ip
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

-- table resource_count on resource_count
CREATE TABLE resource_count (
    owner_type TEXT NOT NULL CHECK (owner_type IN ('account', 'domain')),
    owner_id BIGINT NOT NULL,
    resource_type TEXT NOT NULL,
    count BIGINT NOT NULL DEFAULT 0 CHECK (count >= 0),
    PRIMARY KEY (owner_type, owner_id, resource_type)
);

-- table resource_detail on resource_detail
CREATE TABLE resource_detail (
    resource_type TEXT NOT NULL,
    resource_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (resource_type, resource_id, name)
);

-- table resource_limit on resource_limit
CREATE TABLE resource_limit (
    owner_type TEXT NOT NULL CHECK (owner_type IN ('account', 'domain')),
    owner_id BIGINT NOT NULL,
    resource_type TEXT NOT NULL,
    -- -1: unlimited.
    max_value BIGINT NOT NULL CHECK (max_value >= -1),
    PRIMARY KEY (owner_type, owner_id, resource_type)
);

-- table resource_tag on resource_tag
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

-- table saga on saga
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

-- table saga_node_event on saga_node_event
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

-- table service_offering on service_offering
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

-- table session on session
CREATE TABLE session (
    id TEXT PRIMARY KEY,
    session_key TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created TEXT NOT NULL,
    last_seen TEXT NOT NULL
);

-- table snapshot_policy on snapshot_policy
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

-- table snapshots on snapshots
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

-- table ssh_keypair on ssh_keypair
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

-- table storage_pool on storage_pool
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
, allocated_bytes BIGINT NOT NULL DEFAULT 0);

-- table storage_pool_tag on storage_pool_tag
CREATE TABLE storage_pool_tag (
    pool_id INTEGER NOT NULL REFERENCES storage_pool(id),
    tag TEXT NOT NULL,
    PRIMARY KEY (pool_id, tag)
);

-- table template_store_ref on template_store_ref
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

-- table virtual_router_element on virtual_router_element
CREATE TABLE virtual_router_element (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    nsp_id INTEGER NOT NULL REFERENCES physical_network_service_provider(id),
    element_type TEXT NOT NULL,
    enabled BOOLEAN NOT NULL
);

-- table vlan on vlan
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

-- table vm_instance on vm_instance
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

-- table vm_snapshot on vm_snapshot
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

-- table vm_snapshot_volume on vm_snapshot_volume
CREATE TABLE vm_snapshot_volume (
    vm_snapshot_id INTEGER NOT NULL REFERENCES vm_snapshot(id),
    volume_id INTEGER NOT NULL REFERENCES volume(id),
    PRIMARY KEY (vm_snapshot_id, volume_id)
);

-- table vm_template on vm_template
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

-- table volume on volume
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
, source_snapshot_id INTEGER, display_volume BOOLEAN NOT NULL DEFAULT TRUE, attached TEXT);

-- table volume_store_ref on volume_store_ref
CREATE TABLE volume_store_ref (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    volume_id INTEGER NOT NULL UNIQUE REFERENCES volume(id),
    store_id INTEGER NOT NULL REFERENCES image_store(id),
    zone_id INTEGER NOT NULL REFERENCES zone(id),
    -- Simulator zones: nothing is fetched, progress is simulated.
    simulated BOOLEAN NOT NULL,
    -- The download states of template_store_ref.
    download_state TEXT NOT NULL,
    download_pct INTEGER NOT NULL,
    error_str TEXT,
    source_url TEXT,
    -- QCOW2, RAW, VHD, VMDK, OVA; the checksum the file must have.
    format TEXT NOT NULL,
    checksum TEXT,
    install_path TEXT,
    size BIGINT,
    physical_size BIGINT,
    owner_msid TEXT,
    attempts INTEGER NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);

-- table vpc_offering on vpc_offering
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

-- table vpc_offering_service on vpc_offering_service
CREATE TABLE vpc_offering_service (
    vpc_offering_id INTEGER NOT NULL REFERENCES vpc_offering(id),
    service TEXT NOT NULL,
    -- NULL: the service is offered without a chosen provider.
    provider TEXT
);

-- table zone on zone
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
