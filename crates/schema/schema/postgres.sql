-- PostgreSQL schema after all migrations (generated; see tests/schema.rs)

-- table account
account.account_type bigint NOT NULL
account.api_key_access text NULL
account.created timestamp with time zone NOT NULL
account.domain_id bigint NOT NULL
account.id bigint NOT NULL
account.is_default boolean NOT NULL
account.name text NOT NULL
account.network_domain text NULL
account.removed timestamp with time zone NULL
account.role_id bigint NOT NULL
account.state text NOT NULL
account.update_count bigint NOT NULL DEFAULT 0
account.uuid text NOT NULL

-- table account_detail
account_detail.account_id bigint NOT NULL
account_detail.name text NOT NULL
account_detail.value text NOT NULL

-- table alert
alert.alert_type bigint NOT NULL
alert.archived boolean NOT NULL
alert.cluster_id bigint NULL
alert.created timestamp with time zone NOT NULL
alert.id bigint NOT NULL
alert.name text NOT NULL
alert.pod_id bigint NULL
alert.subject text NOT NULL
alert.uuid text NOT NULL
alert.zone_id bigint NULL

-- table async_job
async_job.account_id bigint NOT NULL
async_job.cmd text NOT NULL
async_job.completed timestamp with time zone NULL
async_job.created timestamp with time zone NOT NULL
async_job.id bigint NOT NULL
async_job.instance_id text NULL
async_job.instance_type text NULL
async_job.owner_msid text NULL
async_job.params text NOT NULL
async_job.result text NULL
async_job.result_code bigint NOT NULL
async_job.started timestamp with time zone NULL
async_job.status bigint NOT NULL
async_job.update_count bigint NOT NULL DEFAULT 0
async_job.user_id bigint NOT NULL
async_job.uuid text NOT NULL

-- table cluster
cluster.allocation_state text NOT NULL
cluster.arch text NOT NULL
cluster.cluster_type text NOT NULL
cluster.created timestamp with time zone NOT NULL
cluster.hypervisor text NOT NULL
cluster.id bigint NOT NULL
cluster.managed_state text NOT NULL
cluster.name text NOT NULL
cluster.pod_id bigint NOT NULL
cluster.removed timestamp with time zone NULL
cluster.update_count bigint NOT NULL DEFAULT 0
cluster.uuid text NOT NULL
cluster.zone_id bigint NOT NULL

-- table configuration
configuration.name text NOT NULL
configuration.updated timestamp with time zone NOT NULL
configuration.value text NOT NULL

-- table domain
domain.created timestamp with time zone NOT NULL
domain.id bigint NOT NULL
domain.level bigint NOT NULL
domain.name text NOT NULL
domain.network_domain text NULL
domain.parent_id bigint NULL
domain.path text NOT NULL
domain.removed timestamp with time zone NULL
domain.state text NOT NULL
domain.update_count bigint NOT NULL DEFAULT 0
domain.uuid text NOT NULL

-- table event
event.account_id bigint NOT NULL
event.archived boolean NOT NULL
event.created timestamp with time zone NOT NULL
event.description text NOT NULL
event.domain_id bigint NOT NULL
event.event_type text NOT NULL
event.id bigint NOT NULL
event.level text NOT NULL
event.parent_id text NULL
event.resource_id text NULL
event.resource_name text NULL
event.resource_type text NULL
event.state text NOT NULL
event.user_id bigint NULL
event.uuid text NOT NULL

-- table guest_os
guest_os.category_id bigint NOT NULL
guest_os.display_name text NOT NULL
guest_os.for_display boolean NOT NULL
guest_os.id bigint NOT NULL
guest_os.user_defined boolean NOT NULL
guest_os.uuid text NOT NULL

-- table guest_os_category
guest_os_category.created timestamp with time zone NOT NULL
guest_os_category.featured boolean NOT NULL
guest_os_category.id bigint NOT NULL
guest_os_category.name text NOT NULL
guest_os_category.sort_order bigint NOT NULL
guest_os_category.uuid text NOT NULL

-- table host
host.agent_version text NULL
host.arch text NOT NULL
host.cluster_id bigint NULL
host.cpu_sockets bigint NOT NULL
host.cpu_speed bigint NOT NULL
host.cpus bigint NOT NULL
host.created timestamp with time zone NOT NULL
host.disconnected timestamp with time zone NULL
host.guid text NOT NULL
host.host_type text NOT NULL
host.hypervisor text NOT NULL
host.hypervisor_version text NULL
host.id bigint NOT NULL
host.last_ping timestamp with time zone NULL
host.local_storage bigint NOT NULL
host.mgmt_server text NULL
host.name text NOT NULL
host.pod_id bigint NULL
host.private_ip text NULL
host.ram bigint NOT NULL
host.removed timestamp with time zone NULL
host.resource_state text NOT NULL
host.status text NOT NULL
host.update_count bigint NOT NULL DEFAULT 0
host.url text NOT NULL
host.uuid text NOT NULL
host.zone_id bigint NOT NULL

-- table host_tag
host_tag.host_id bigint NOT NULL
host_tag.is_implicit boolean NOT NULL
host_tag.tag text NOT NULL

-- table image_store
image_store.created timestamp with time zone NOT NULL
image_store.id bigint NOT NULL
image_store.name text NOT NULL
image_store.protocol text NOT NULL
image_store.provider text NOT NULL
image_store.readonly boolean NOT NULL
image_store.removed timestamp with time zone NULL
image_store.scope text NOT NULL
image_store.total_bytes bigint NULL
image_store.url text NOT NULL
image_store.used_bytes bigint NULL
image_store.uuid text NOT NULL
image_store.zone_id bigint NULL

-- table mshost
mshost.id bigint NOT NULL
mshost.last_heartbeat timestamp with time zone NOT NULL
mshost.name text NOT NULL
mshost.started timestamp with time zone NOT NULL
mshost.state text NOT NULL
mshost.uuid text NOT NULL
mshost.version text NOT NULL

-- table physical_network
physical_network.broadcast_domain_range text NOT NULL
physical_network.created timestamp with time zone NOT NULL
physical_network.domain_id bigint NULL
physical_network.id bigint NOT NULL
physical_network.isolation_methods text NOT NULL
physical_network.name text NOT NULL
physical_network.removed timestamp with time zone NULL
physical_network.speed text NULL
physical_network.state text NOT NULL
physical_network.tags text NULL
physical_network.uuid text NOT NULL
physical_network.vlan text NULL
physical_network.zone_id bigint NOT NULL

-- table physical_network_service_provider
physical_network_service_provider.dest_physical_network_id bigint NULL
physical_network_service_provider.id bigint NOT NULL
physical_network_service_provider.physical_network_id bigint NOT NULL
physical_network_service_provider.provider_name text NOT NULL
physical_network_service_provider.services text NOT NULL
physical_network_service_provider.state text NOT NULL
physical_network_service_provider.uuid text NOT NULL

-- table physical_network_traffic_type
physical_network_traffic_type.hyperv_label text NULL
physical_network_traffic_type.id bigint NOT NULL
physical_network_traffic_type.isolation_method text NULL
physical_network_traffic_type.kvm_label text NULL
physical_network_traffic_type.ovm3_label text NULL
physical_network_traffic_type.physical_network_id bigint NOT NULL
physical_network_traffic_type.traffic_type text NOT NULL
physical_network_traffic_type.uuid text NOT NULL
physical_network_traffic_type.vlan text NULL
physical_network_traffic_type.vmware_label text NULL
physical_network_traffic_type.xen_label text NULL

-- table pod
pod.allocation_state text NOT NULL
pod.cidr text NOT NULL
pod.created timestamp with time zone NOT NULL
pod.gateway text NOT NULL
pod.id bigint NOT NULL
pod.name text NOT NULL
pod.removed timestamp with time zone NULL
pod.update_count bigint NOT NULL DEFAULT 0
pod.uuid text NOT NULL
pod.zone_id bigint NOT NULL

-- table pod_ip_range
pod_ip_range.end_ip text NOT NULL
pod_ip_range.for_system_vms boolean NOT NULL
pod_ip_range.id bigint NOT NULL
pod_ip_range.pod_id bigint NOT NULL
pod_ip_range.start_ip text NOT NULL
pod_ip_range.vlan text NULL

-- table public_ip
public_ip.account_id bigint NULL
public_ip.address text NOT NULL
public_ip.allocated timestamp with time zone NULL
public_ip.domain_id bigint NULL
public_ip.id bigint NOT NULL
public_ip.network_id bigint NULL
public_ip.source_nat boolean NOT NULL
public_ip.state text NOT NULL
public_ip.update_count bigint NOT NULL DEFAULT 0
public_ip.uuid text NOT NULL
public_ip.vlan_id bigint NOT NULL
public_ip.zone_id bigint NOT NULL

-- table resource_detail
resource_detail.name text NOT NULL
resource_detail.resource_id bigint NOT NULL
resource_detail.resource_type text NOT NULL
resource_detail.value text NOT NULL

-- table role
role.created timestamp with time zone NOT NULL
role.description text NULL
role.id bigint NOT NULL
role.is_default boolean NOT NULL
role.is_public boolean NOT NULL
role.name text NOT NULL
role.removed timestamp with time zone NULL
role.role_type text NOT NULL
role.state text NOT NULL
role.uuid text NOT NULL

-- table role_permission
role_permission.description text NULL
role_permission.id bigint NOT NULL
role_permission.permission text NOT NULL
role_permission.role_id bigint NOT NULL
role_permission.rule text NOT NULL
role_permission.sort_order bigint NOT NULL
role_permission.uuid text NOT NULL

-- table saga
saga.created timestamp with time zone NOT NULL
saga.error text NULL
saga.id bigint NOT NULL
saga.job_id bigint NULL
saga.name text NOT NULL
saga.owner_msid text NOT NULL
saga.params text NOT NULL
saga.state text NOT NULL
saga.stuck_reason text NULL
saga.update_count bigint NOT NULL DEFAULT 0
saga.updated timestamp with time zone NOT NULL
saga.uuid text NOT NULL

-- table saga_node_event
saga_node_event.created timestamp with time zone NOT NULL
saga_node_event.error text NULL
saga_node_event.event text NOT NULL
saga_node_event.id bigint NOT NULL
saga_node_event.node bigint NOT NULL
saga_node_event.output text NULL
saga_node_event.saga_id bigint NOT NULL
saga_node_event.step text NOT NULL

-- table session
session.created timestamp with time zone NOT NULL
session.id text NOT NULL
session.last_seen timestamp with time zone NOT NULL
session.session_key text NOT NULL
session.user_id bigint NOT NULL

-- table storage_pool
storage_pool.capacity_bytes bigint NOT NULL
storage_pool.capacity_iops bigint NULL
storage_pool.cluster_id bigint NULL
storage_pool.created timestamp with time zone NOT NULL
storage_pool.host_address text NULL
storage_pool.host_id bigint NULL
storage_pool.hypervisor text NULL
storage_pool.id bigint NOT NULL
storage_pool.managed boolean NOT NULL
storage_pool.name text NOT NULL
storage_pool.path text NOT NULL
storage_pool.pod_id bigint NULL
storage_pool.pool_type text NOT NULL
storage_pool.port bigint NOT NULL
storage_pool.provider text NOT NULL
storage_pool.removed timestamp with time zone NULL
storage_pool.scope text NOT NULL
storage_pool.state text NOT NULL
storage_pool.update_count bigint NOT NULL DEFAULT 0
storage_pool.url text NOT NULL
storage_pool.used_bytes bigint NOT NULL
storage_pool.uuid text NOT NULL
storage_pool.zone_id bigint NOT NULL

-- table storage_pool_tag
storage_pool_tag.pool_id bigint NOT NULL
storage_pool_tag.tag text NOT NULL

-- table users
users.account_id bigint NOT NULL
users.api_key text NULL
users.api_key_access text NULL
users.created timestamp with time zone NOT NULL
users.email text NULL
users.firstname text NOT NULL
users.id bigint NOT NULL
users.is_default boolean NOT NULL
users.lastname text NOT NULL
users.password_hash text NOT NULL
users.removed timestamp with time zone NULL
users.secret_key text NULL
users.source text NOT NULL
users.state text NOT NULL
users.timezone text NULL
users.update_count bigint NOT NULL DEFAULT 0
users.username text NOT NULL
users.uuid text NOT NULL

-- table virtual_router_element
virtual_router_element.element_type text NOT NULL
virtual_router_element.enabled boolean NOT NULL
virtual_router_element.id bigint NOT NULL
virtual_router_element.nsp_id bigint NOT NULL
virtual_router_element.uuid text NOT NULL

-- table vlan
vlan.account_id bigint NULL
vlan.created timestamp with time zone NOT NULL
vlan.domain_id bigint NULL
vlan.end_ip text NULL
vlan.end_ipv6 text NULL
vlan.for_system_vms boolean NOT NULL
vlan.for_virtual_network boolean NOT NULL
vlan.gateway text NULL
vlan.id bigint NOT NULL
vlan.ip6_cidr text NULL
vlan.ip6_gateway text NULL
vlan.netmask text NULL
vlan.network_id bigint NULL
vlan.physical_network_id bigint NULL
vlan.pod_id bigint NULL
vlan.removed timestamp with time zone NULL
vlan.start_ip text NULL
vlan.start_ipv6 text NULL
vlan.uuid text NOT NULL
vlan.vlan_tag text NOT NULL
vlan.zone_id bigint NOT NULL

-- table zone
zone.allocation_state text NOT NULL
zone.created timestamp with time zone NOT NULL
zone.description text NULL
zone.dns1 text NOT NULL
zone.dns2 text NULL
zone.domain_id bigint NULL
zone.guest_cidr text NULL
zone.id bigint NOT NULL
zone.internal_dns1 text NOT NULL
zone.internal_dns2 text NULL
zone.ip6_dns1 text NULL
zone.ip6_dns2 text NULL
zone.is_edge boolean NOT NULL
zone.local_storage_enabled boolean NOT NULL
zone.name text NOT NULL
zone.network_domain text NULL
zone.network_type text NOT NULL
zone.removed timestamp with time zone NULL
zone.security_group_enabled boolean NOT NULL
zone.update_count bigint NOT NULL DEFAULT 0
zone.uuid text NOT NULL

-- indexes
CREATE UNIQUE INDEX account_live_name ON public.account USING btree (domain_id, name) WHERE (removed IS NULL);
CREATE UNIQUE INDEX account_pkey ON public.account USING btree (id);
CREATE UNIQUE INDEX account_uuid_key ON public.account USING btree (uuid);
CREATE UNIQUE INDEX account_detail_pkey ON public.account_detail USING btree (account_id, name);
CREATE INDEX alert_created ON public.alert USING btree (created);
CREATE UNIQUE INDEX alert_pkey ON public.alert USING btree (id);
CREATE UNIQUE INDEX alert_uuid_key ON public.alert USING btree (uuid);
CREATE INDEX async_job_account ON public.async_job USING btree (account_id);
CREATE INDEX async_job_pending ON public.async_job USING btree (status, owner_msid);
CREATE UNIQUE INDEX async_job_pkey ON public.async_job USING btree (id);
CREATE UNIQUE INDEX async_job_uuid_key ON public.async_job USING btree (uuid);
CREATE UNIQUE INDEX cluster_live_name ON public.cluster USING btree (pod_id, name) WHERE (removed IS NULL);
CREATE UNIQUE INDEX cluster_pkey ON public.cluster USING btree (id);
CREATE UNIQUE INDEX cluster_uuid_key ON public.cluster USING btree (uuid);
CREATE UNIQUE INDEX configuration_pkey ON public.configuration USING btree (name);
CREATE UNIQUE INDEX domain_live_path ON public.domain USING btree (path) WHERE (removed IS NULL);
CREATE UNIQUE INDEX domain_pkey ON public.domain USING btree (id);
CREATE UNIQUE INDEX domain_uuid_key ON public.domain USING btree (uuid);
CREATE INDEX event_account ON public.event USING btree (account_id, created);
CREATE INDEX event_domain ON public.event USING btree (domain_id, created);
CREATE UNIQUE INDEX event_pkey ON public.event USING btree (id);
CREATE UNIQUE INDEX event_uuid_key ON public.event USING btree (uuid);
CREATE UNIQUE INDEX guest_os_pkey ON public.guest_os USING btree (id);
CREATE UNIQUE INDEX guest_os_uuid_key ON public.guest_os USING btree (uuid);
CREATE UNIQUE INDEX guest_os_category_pkey ON public.guest_os_category USING btree (id);
CREATE UNIQUE INDEX guest_os_category_uuid_key ON public.guest_os_category USING btree (uuid);
CREATE INDEX host_cluster ON public.host USING btree (cluster_id);
CREATE INDEX host_live_cluster ON public.host USING btree (cluster_id) WHERE (removed IS NULL);
CREATE UNIQUE INDEX host_live_guid ON public.host USING btree (guid) WHERE (removed IS NULL);
CREATE INDEX host_live_pod ON public.host USING btree (pod_id) WHERE (removed IS NULL);
CREATE INDEX host_live_zone ON public.host USING btree (zone_id) WHERE (removed IS NULL);
CREATE UNIQUE INDEX host_pkey ON public.host USING btree (id);
CREATE INDEX host_status ON public.host USING btree (status, last_ping);
CREATE UNIQUE INDEX host_uuid_key ON public.host USING btree (uuid);
CREATE UNIQUE INDEX host_tag_pkey ON public.host_tag USING btree (host_id, tag);
CREATE UNIQUE INDEX image_store_pkey ON public.image_store USING btree (id);
CREATE UNIQUE INDEX image_store_uuid_key ON public.image_store USING btree (uuid);
CREATE UNIQUE INDEX mshost_pkey ON public.mshost USING btree (id);
CREATE UNIQUE INDEX mshost_uuid_key ON public.mshost USING btree (uuid);
CREATE UNIQUE INDEX physical_network_pkey ON public.physical_network USING btree (id);
CREATE UNIQUE INDEX physical_network_uuid_key ON public.physical_network USING btree (uuid);
CREATE UNIQUE INDEX physical_network_service_provider_pkey ON public.physical_network_service_provider USING btree (id);
CREATE UNIQUE INDEX physical_network_service_provider_uuid_key ON public.physical_network_service_provider USING btree (uuid);
CREATE UNIQUE INDEX service_provider_unique ON public.physical_network_service_provider USING btree (physical_network_id, provider_name);
CREATE UNIQUE INDEX physical_network_traffic_type_pkey ON public.physical_network_traffic_type USING btree (id);
CREATE UNIQUE INDEX physical_network_traffic_type_uuid_key ON public.physical_network_traffic_type USING btree (uuid);
CREATE UNIQUE INDEX traffic_type_unique ON public.physical_network_traffic_type USING btree (physical_network_id, traffic_type);
CREATE UNIQUE INDEX pod_live_name ON public.pod USING btree (zone_id, name) WHERE (removed IS NULL);
CREATE UNIQUE INDEX pod_pkey ON public.pod USING btree (id);
CREATE UNIQUE INDEX pod_uuid_key ON public.pod USING btree (uuid);
CREATE UNIQUE INDEX pod_ip_range_pkey ON public.pod_ip_range USING btree (id);
CREATE INDEX pod_ip_range_pod ON public.pod_ip_range USING btree (pod_id);
CREATE UNIQUE INDEX public_ip_address ON public.public_ip USING btree (zone_id, address);
CREATE UNIQUE INDEX public_ip_pkey ON public.public_ip USING btree (id);
CREATE UNIQUE INDEX public_ip_uuid_key ON public.public_ip USING btree (uuid);
CREATE INDEX public_ip_vlan ON public.public_ip USING btree (vlan_id, state);
CREATE UNIQUE INDEX resource_detail_pkey ON public.resource_detail USING btree (resource_type, resource_id, name);
CREATE UNIQUE INDEX role_pkey ON public.role USING btree (id);
CREATE UNIQUE INDEX role_uuid_key ON public.role USING btree (uuid);
CREATE UNIQUE INDEX role_permission_pkey ON public.role_permission USING btree (id);
CREATE INDEX role_permission_role ON public.role_permission USING btree (role_id, sort_order);
CREATE UNIQUE INDEX role_permission_uuid_key ON public.role_permission USING btree (uuid);
CREATE INDEX saga_job ON public.saga USING btree (job_id);
CREATE UNIQUE INDEX saga_pkey ON public.saga USING btree (id);
CREATE INDEX saga_unfinished ON public.saga USING btree (owner_msid) WHERE (state = ANY (ARRAY['running'::text, 'unwinding'::text]));
CREATE UNIQUE INDEX saga_uuid_key ON public.saga USING btree (uuid);
CREATE UNIQUE INDEX saga_node_event_pkey ON public.saga_node_event USING btree (id);
CREATE INDEX saga_node_event_saga ON public.saga_node_event USING btree (saga_id, id);
CREATE UNIQUE INDEX session_pkey ON public.session USING btree (id);
CREATE INDEX "session_user" ON public.session USING btree (user_id);
CREATE UNIQUE INDEX storage_pool_pkey ON public.storage_pool USING btree (id);
CREATE UNIQUE INDEX storage_pool_uuid_key ON public.storage_pool USING btree (uuid);
CREATE INDEX storage_pool_zone ON public.storage_pool USING btree (zone_id);
CREATE UNIQUE INDEX storage_pool_tag_pkey ON public.storage_pool_tag USING btree (pool_id, tag);
CREATE INDEX users_account ON public.users USING btree (account_id);
CREATE UNIQUE INDEX users_api_key_key ON public.users USING btree (api_key);
CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id);
CREATE INDEX users_username ON public.users USING btree (username);
CREATE UNIQUE INDEX users_uuid_key ON public.users USING btree (uuid);
CREATE UNIQUE INDEX virtual_router_element_pkey ON public.virtual_router_element USING btree (id);
CREATE UNIQUE INDEX virtual_router_element_uuid_key ON public.virtual_router_element USING btree (uuid);
CREATE UNIQUE INDEX vlan_pkey ON public.vlan USING btree (id);
CREATE UNIQUE INDEX vlan_uuid_key ON public.vlan USING btree (uuid);
CREATE INDEX vlan_zone ON public.vlan USING btree (zone_id);
CREATE UNIQUE INDEX zone_live_name ON public.zone USING btree (name) WHERE (removed IS NULL);
CREATE UNIQUE INDEX zone_pkey ON public.zone USING btree (id);
CREATE UNIQUE INDEX zone_uuid_key ON public.zone USING btree (uuid);

-- constraints
account account_domain_id_fkey: FOREIGN KEY (domain_id) REFERENCES domain(id)
account account_pkey: PRIMARY KEY (id)
account account_role_id_fkey: FOREIGN KEY (role_id) REFERENCES role(id)
account account_uuid_key: UNIQUE (uuid)
account_detail account_detail_account_id_fkey: FOREIGN KEY (account_id) REFERENCES account(id)
account_detail account_detail_pkey: PRIMARY KEY (account_id, name)
alert alert_pkey: PRIMARY KEY (id)
alert alert_uuid_key: UNIQUE (uuid)
async_job async_job_account_id_fkey: FOREIGN KEY (account_id) REFERENCES account(id)
async_job async_job_pkey: PRIMARY KEY (id)
async_job async_job_user_id_fkey: FOREIGN KEY (user_id) REFERENCES users(id)
async_job async_job_uuid_key: UNIQUE (uuid)
cluster cluster_pkey: PRIMARY KEY (id)
cluster cluster_pod_id_fkey: FOREIGN KEY (pod_id) REFERENCES pod(id)
cluster cluster_uuid_key: UNIQUE (uuid)
cluster cluster_zone_id_fkey: FOREIGN KEY (zone_id) REFERENCES zone(id)
configuration configuration_pkey: PRIMARY KEY (name)
domain domain_parent_id_fkey: FOREIGN KEY (parent_id) REFERENCES domain(id)
domain domain_pkey: PRIMARY KEY (id)
domain domain_uuid_key: UNIQUE (uuid)
event event_pkey: PRIMARY KEY (id)
event event_uuid_key: UNIQUE (uuid)
guest_os guest_os_category_id_fkey: FOREIGN KEY (category_id) REFERENCES guest_os_category(id)
guest_os guest_os_pkey: PRIMARY KEY (id)
guest_os guest_os_uuid_key: UNIQUE (uuid)
guest_os_category guest_os_category_pkey: PRIMARY KEY (id)
guest_os_category guest_os_category_uuid_key: UNIQUE (uuid)
host host_cluster_id_fkey: FOREIGN KEY (cluster_id) REFERENCES cluster(id)
host host_pkey: PRIMARY KEY (id)
host host_pod_id_fkey: FOREIGN KEY (pod_id) REFERENCES pod(id)
host host_uuid_key: UNIQUE (uuid)
host host_zone_id_fkey: FOREIGN KEY (zone_id) REFERENCES zone(id)
host_tag host_tag_host_id_fkey: FOREIGN KEY (host_id) REFERENCES host(id)
host_tag host_tag_pkey: PRIMARY KEY (host_id, tag)
image_store image_store_pkey: PRIMARY KEY (id)
image_store image_store_uuid_key: UNIQUE (uuid)
image_store image_store_zone_id_fkey: FOREIGN KEY (zone_id) REFERENCES zone(id)
mshost mshost_pkey: PRIMARY KEY (id)
mshost mshost_uuid_key: UNIQUE (uuid)
physical_network physical_network_domain_id_fkey: FOREIGN KEY (domain_id) REFERENCES domain(id)
physical_network physical_network_pkey: PRIMARY KEY (id)
physical_network physical_network_uuid_key: UNIQUE (uuid)
physical_network physical_network_zone_id_fkey: FOREIGN KEY (zone_id) REFERENCES zone(id)
physical_network_service_provider physical_network_service_provider_physical_network_id_fkey: FOREIGN KEY (physical_network_id) REFERENCES physical_network(id)
physical_network_service_provider physical_network_service_provider_pkey: PRIMARY KEY (id)
physical_network_service_provider physical_network_service_provider_uuid_key: UNIQUE (uuid)
physical_network_traffic_type physical_network_traffic_type_physical_network_id_fkey: FOREIGN KEY (physical_network_id) REFERENCES physical_network(id)
physical_network_traffic_type physical_network_traffic_type_pkey: PRIMARY KEY (id)
physical_network_traffic_type physical_network_traffic_type_uuid_key: UNIQUE (uuid)
pod pod_pkey: PRIMARY KEY (id)
pod pod_uuid_key: UNIQUE (uuid)
pod pod_zone_id_fkey: FOREIGN KEY (zone_id) REFERENCES zone(id)
pod_ip_range pod_ip_range_pkey: PRIMARY KEY (id)
pod_ip_range pod_ip_range_pod_id_fkey: FOREIGN KEY (pod_id) REFERENCES pod(id)
public_ip public_ip_account_id_fkey: FOREIGN KEY (account_id) REFERENCES account(id)
public_ip public_ip_domain_id_fkey: FOREIGN KEY (domain_id) REFERENCES domain(id)
public_ip public_ip_pkey: PRIMARY KEY (id)
public_ip public_ip_uuid_key: UNIQUE (uuid)
public_ip public_ip_vlan_id_fkey: FOREIGN KEY (vlan_id) REFERENCES vlan(id)
public_ip public_ip_zone_id_fkey: FOREIGN KEY (zone_id) REFERENCES zone(id)
resource_detail resource_detail_pkey: PRIMARY KEY (resource_type, resource_id, name)
role role_pkey: PRIMARY KEY (id)
role role_uuid_key: UNIQUE (uuid)
role_permission role_permission_pkey: PRIMARY KEY (id)
role_permission role_permission_role_id_fkey: FOREIGN KEY (role_id) REFERENCES role(id)
role_permission role_permission_uuid_key: UNIQUE (uuid)
saga saga_job_id_fkey: FOREIGN KEY (job_id) REFERENCES async_job(id)
saga saga_pkey: PRIMARY KEY (id)
saga saga_state_check: CHECK ((state = ANY (ARRAY['running'::text, 'unwinding'::text, 'done'::text, 'failed'::text, 'stuck'::text])))
saga saga_uuid_key: UNIQUE (uuid)
saga_node_event saga_node_event_event_check: CHECK ((event = ANY (ARRAY['started'::text, 'succeeded'::text, 'failed'::text, 'undo_started'::text, 'undo_finished'::text, 'undo_failed'::text])))
saga_node_event saga_node_event_pkey: PRIMARY KEY (id)
saga_node_event saga_node_event_saga_id_fkey: FOREIGN KEY (saga_id) REFERENCES saga(id)
session session_pkey: PRIMARY KEY (id)
session session_user_id_fkey: FOREIGN KEY (user_id) REFERENCES users(id)
storage_pool storage_pool_cluster_id_fkey: FOREIGN KEY (cluster_id) REFERENCES cluster(id)
storage_pool storage_pool_host_id_fkey: FOREIGN KEY (host_id) REFERENCES host(id)
storage_pool storage_pool_pkey: PRIMARY KEY (id)
storage_pool storage_pool_pod_id_fkey: FOREIGN KEY (pod_id) REFERENCES pod(id)
storage_pool storage_pool_uuid_key: UNIQUE (uuid)
storage_pool storage_pool_zone_id_fkey: FOREIGN KEY (zone_id) REFERENCES zone(id)
storage_pool_tag storage_pool_tag_pkey: PRIMARY KEY (pool_id, tag)
storage_pool_tag storage_pool_tag_pool_id_fkey: FOREIGN KEY (pool_id) REFERENCES storage_pool(id)
users users_account_id_fkey: FOREIGN KEY (account_id) REFERENCES account(id)
users users_api_key_key: UNIQUE (api_key)
users users_pkey: PRIMARY KEY (id)
users users_uuid_key: UNIQUE (uuid)
virtual_router_element virtual_router_element_nsp_id_fkey: FOREIGN KEY (nsp_id) REFERENCES physical_network_service_provider(id)
virtual_router_element virtual_router_element_pkey: PRIMARY KEY (id)
virtual_router_element virtual_router_element_uuid_key: UNIQUE (uuid)
vlan vlan_account_id_fkey: FOREIGN KEY (account_id) REFERENCES account(id)
vlan vlan_domain_id_fkey: FOREIGN KEY (domain_id) REFERENCES domain(id)
vlan vlan_physical_network_id_fkey: FOREIGN KEY (physical_network_id) REFERENCES physical_network(id)
vlan vlan_pkey: PRIMARY KEY (id)
vlan vlan_pod_id_fkey: FOREIGN KEY (pod_id) REFERENCES pod(id)
vlan vlan_uuid_key: UNIQUE (uuid)
vlan vlan_zone_id_fkey: FOREIGN KEY (zone_id) REFERENCES zone(id)
zone zone_domain_id_fkey: FOREIGN KEY (domain_id) REFERENCES domain(id)
zone zone_pkey: PRIMARY KEY (id)
zone zone_uuid_key: UNIQUE (uuid)
