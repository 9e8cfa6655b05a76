-- Guest networks (CloudStack's `networks`), the guest VLAN/VNI numbers they hold on their
-- physical network, and the NICs that attach instances to them.

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
CREATE INDEX network_zone ON network(zone_id) WHERE removed IS NULL;
CREATE INDEX network_account ON network(account_id) WHERE removed IS NULL;

-- Guest VLAN/VNI numbers held on a physical network (only the taken ones). The primary
-- key makes handing a number out twice impossible; one number per network makes
-- implementing a network again reuse the number it holds.
CREATE TABLE guest_vnet (
    physical_network_id INTEGER NOT NULL REFERENCES physical_network(id),
    vnet BIGINT NOT NULL,
    network_id INTEGER NOT NULL UNIQUE REFERENCES network(id),
    taken TEXT NOT NULL,
    PRIMARY KEY (physical_network_id, vnet)
);

-- Source NAT addresses are looked up by the network holding them.
CREATE INDEX public_ip_network ON public_ip(network_id) WHERE network_id IS NOT NULL;

-- NICs of instances (no foreign key to the instance: VMs live in their own table).
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
-- Concurrent allocations can never hand out one address or one MAC twice.
CREATE UNIQUE INDEX nic_network_ip ON nic(network_id, ip4_address) WHERE removed IS NULL;
CREATE UNIQUE INDEX nic_zone_mac ON nic(zone_id, mac_address) WHERE removed IS NULL;
CREATE UNIQUE INDEX nic_instance_device ON nic(instance_id, device_id) WHERE removed IS NULL;
