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

-- table affinity_group
affinity_group.account_id bigint NOT NULL
affinity_group.created timestamp with time zone NOT NULL
affinity_group.description text NULL
affinity_group.group_type text NOT NULL
affinity_group.id bigint NOT NULL
affinity_group.name text NOT NULL
affinity_group.uuid text NOT NULL

-- table affinity_group_vm_map
affinity_group_vm_map.group_id bigint NOT NULL
affinity_group_vm_map.instance_id bigint NOT NULL

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

-- table disk_offering
disk_offering.bytes_read_rate bigint NULL
disk_offering.bytes_read_rate_max bigint NULL
disk_offering.bytes_read_rate_max_length bigint NULL
disk_offering.bytes_write_rate bigint NULL
disk_offering.bytes_write_rate_max bigint NULL
disk_offering.bytes_write_rate_max_length bigint NULL
disk_offering.cache_mode text NOT NULL
disk_offering.compute_only boolean NOT NULL
disk_offering.created timestamp with time zone NOT NULL
disk_offering.customized boolean NOT NULL
disk_offering.customized_iops boolean NULL
disk_offering.disk_size_gb bigint NOT NULL
disk_offering.disk_size_strictness boolean NOT NULL
disk_offering.display_offering boolean NOT NULL
disk_offering.display_text text NOT NULL
disk_offering.encrypt boolean NOT NULL
disk_offering.hypervisor_snapshot_reserve bigint NULL
disk_offering.id bigint NOT NULL
disk_offering.iops_read_rate bigint NULL
disk_offering.iops_read_rate_max bigint NULL
disk_offering.iops_read_rate_max_length bigint NULL
disk_offering.iops_write_rate bigint NULL
disk_offering.iops_write_rate_max bigint NULL
disk_offering.iops_write_rate_max_length bigint NULL
disk_offering.max_iops bigint NULL
disk_offering.min_iops bigint NULL
disk_offering.name text NOT NULL
disk_offering.provisioning_type text NOT NULL
disk_offering.removed timestamp with time zone NULL
disk_offering.sort_key bigint NOT NULL DEFAULT 0
disk_offering.state text NOT NULL
disk_offering.tags text NULL
disk_offering.unique_name text NULL
disk_offering.update_count bigint NOT NULL DEFAULT 0
disk_offering.use_local_storage boolean NOT NULL
disk_offering.uuid text NOT NULL

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

-- table guest_vnet
guest_vnet.network_id bigint NOT NULL
guest_vnet.physical_network_id bigint NOT NULL
guest_vnet.taken timestamp with time zone NOT NULL
guest_vnet.vnet bigint NOT NULL

-- table host
host.agent_version text NULL
host.arch text NOT NULL
host.cluster_id bigint NULL
host.cpu_sockets bigint NOT NULL
host.cpu_speed bigint NOT NULL
host.cpu_used_mhz bigint NOT NULL DEFAULT 0
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
host.ram_used_bytes bigint NOT NULL DEFAULT 0
host.removed timestamp with time zone NULL
host.resource_state text NOT NULL
host.status text NOT NULL
host.update_count bigint NOT NULL DEFAULT 0
host.url text NOT NULL
host.uuid text NOT NULL
host.zone_id bigint NOT NULL

-- table host_reservation
host_reservation.cpu_mhz bigint NOT NULL
host_reservation.created timestamp with time zone NOT NULL
host_reservation.host_id bigint NOT NULL
host_reservation.instance_id bigint NOT NULL
host_reservation.ram_bytes bigint NOT NULL

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

-- table instance_group
instance_group.account_id bigint NOT NULL
instance_group.created timestamp with time zone NOT NULL
instance_group.id bigint NOT NULL
instance_group.name text NOT NULL
instance_group.removed timestamp with time zone NULL
instance_group.uuid text NOT NULL

-- table instance_group_vm_map
instance_group_vm_map.group_id bigint NOT NULL
instance_group_vm_map.instance_id bigint NOT NULL

-- table launch_permission
launch_permission.account_id bigint NOT NULL
launch_permission.template_id bigint NOT NULL

-- table mshost
mshost.id bigint NOT NULL
mshost.last_heartbeat timestamp with time zone NOT NULL
mshost.name text NOT NULL
mshost.started timestamp with time zone NOT NULL
mshost.state text NOT NULL
mshost.uuid text NOT NULL
mshost.version text NOT NULL

-- table network
network.account_id bigint NOT NULL
network.acl_type text NOT NULL
network.broadcast_domain_type text NOT NULL
network.broadcast_uri text NULL
network.cidr text NULL
network.created timestamp with time zone NOT NULL
network.display_network boolean NOT NULL
network.display_text text NOT NULL
network.dns1 text NULL
network.dns2 text NULL
network.domain_id bigint NOT NULL
network.end_ip text NULL
network.gateway text NULL
network.guest_type text NOT NULL
network.id bigint NOT NULL
network.name text NOT NULL
network.netmask text NULL
network.network_domain text NULL
network.network_offering_id bigint NOT NULL
network.physical_network_id bigint NULL
network.removed timestamp with time zone NULL
network.start_ip text NULL
network.state text NOT NULL
network.subdomain_access boolean NULL
network.traffic_type text NOT NULL
network.update_count bigint NOT NULL DEFAULT 0
network.uuid text NOT NULL
network.zone_id bigint NOT NULL

-- table network_offering
network_offering.associate_public_ip boolean NOT NULL
network_offering.availability text NOT NULL
network_offering.conserve_mode boolean NOT NULL
network_offering.created timestamp with time zone NOT NULL
network_offering.dedicated_lb boolean NOT NULL
network_offering.display_text text NOT NULL
network_offering.egress_default_policy boolean NOT NULL
network_offering.elastic_ip boolean NOT NULL
network_offering.elastic_lb boolean NOT NULL
network_offering.for_vpc boolean NOT NULL
network_offering.guest_type text NULL
network_offering.id bigint NOT NULL
network_offering.inline_lb boolean NOT NULL
network_offering.internal_lb boolean NOT NULL
network_offering.is_default boolean NOT NULL
network_offering.is_persistent boolean NOT NULL
network_offering.keep_alive boolean NOT NULL
network_offering.max_connections bigint NULL
network_offering.name text NOT NULL
network_offering.network_rate bigint NULL
network_offering.public_lb boolean NOT NULL
network_offering.redundant_router boolean NOT NULL
network_offering.removed timestamp with time zone NULL
network_offering.service_offering_id bigint NULL
network_offering.shared_source_nat boolean NOT NULL
network_offering.sort_key bigint NOT NULL DEFAULT 0
network_offering.specify_ip_ranges boolean NOT NULL
network_offering.specify_vlan boolean NOT NULL
network_offering.state text NOT NULL
network_offering.system_only boolean NOT NULL
network_offering.tags text NULL
network_offering.traffic_type text NOT NULL
network_offering.unique_name text NULL
network_offering.update_count bigint NOT NULL DEFAULT 0
network_offering.uuid text NOT NULL

-- table network_offering_service
network_offering_service.network_offering_id bigint NOT NULL
network_offering_service.provider text NULL
network_offering_service.service text NOT NULL

-- table nic
nic.created timestamp with time zone NOT NULL
nic.device_id integer NOT NULL
nic.gateway text NULL
nic.id bigint NOT NULL
nic.instance_id bigint NOT NULL
nic.ip4_address text NULL
nic.is_default boolean NOT NULL
nic.mac_address text NOT NULL
nic.netmask text NULL
nic.network_id bigint NOT NULL
nic.removed timestamp with time zone NULL
nic.reservation_id text NULL
nic.state text NOT NULL
nic.uuid text NOT NULL
nic.zone_id bigint NOT NULL

-- table offering_domain
offering_domain.domain_id bigint NOT NULL
offering_domain.kind text NOT NULL
offering_domain.offering_id bigint NOT NULL

-- table offering_zone
offering_zone.kind text NOT NULL
offering_zone.offering_id bigint NOT NULL
offering_zone.zone_id bigint NOT NULL

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

-- table resource_count
resource_count.count bigint NOT NULL DEFAULT 0
resource_count.owner_id bigint NOT NULL
resource_count.owner_type text NOT NULL
resource_count.resource_type text NOT NULL

-- table resource_detail
resource_detail.name text NOT NULL
resource_detail.resource_id bigint NOT NULL
resource_detail.resource_type text NOT NULL
resource_detail.value text NOT NULL

-- table resource_limit
resource_limit.max_value bigint NOT NULL
resource_limit.owner_id bigint NOT NULL
resource_limit.owner_type text NOT NULL
resource_limit.resource_type text NOT NULL

-- table resource_tag
resource_tag.account_id bigint NOT NULL
resource_tag.created timestamp with time zone NOT NULL
resource_tag.customer text NULL
resource_tag.domain_id bigint NOT NULL
resource_tag.id bigint NOT NULL
resource_tag.resource_id bigint NOT NULL
resource_tag.resource_type text NOT NULL
resource_tag.resource_uuid text NOT NULL
resource_tag.tag_key text NOT NULL
resource_tag.tag_value text NOT NULL
resource_tag.uuid text NOT NULL

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

-- table service_offering
service_offering.cpu bigint NULL
service_offering.created timestamp with time zone NOT NULL
service_offering.customized boolean NOT NULL
service_offering.default_use boolean NOT NULL
service_offering.disk_offering_id bigint NOT NULL
service_offering.disk_offering_strictness boolean NOT NULL
service_offering.display_text text NOT NULL
service_offering.dynamic_scaling_enabled boolean NOT NULL
service_offering.host_tags text NULL
service_offering.id bigint NOT NULL
service_offering.is_volatile boolean NOT NULL
service_offering.limit_cpu_use boolean NOT NULL
service_offering.max_cpu bigint NULL
service_offering.max_memory bigint NULL
service_offering.min_cpu bigint NULL
service_offering.min_memory bigint NULL
service_offering.name text NOT NULL
service_offering.network_rate bigint NULL
service_offering.offer_ha boolean NOT NULL
service_offering.ram_size bigint NULL
service_offering.removed timestamp with time zone NULL
service_offering.sort_key bigint NOT NULL DEFAULT 0
service_offering.speed bigint NULL
service_offering.state text NOT NULL
service_offering.system_use boolean NOT NULL
service_offering.unique_name text NULL
service_offering.update_count bigint NOT NULL DEFAULT 0
service_offering.uuid text NOT NULL
service_offering.vm_type text NULL

-- table session
session.created timestamp with time zone NOT NULL
session.id text NOT NULL
session.last_seen timestamp with time zone NOT NULL
session.session_key text NOT NULL
session.user_id bigint NOT NULL

-- table snapshot_policy
snapshot_policy.created timestamp with time zone NOT NULL
snapshot_policy.display boolean NOT NULL
snapshot_policy.id bigint NOT NULL
snapshot_policy.interval_type text NOT NULL
snapshot_policy.max_snaps integer NOT NULL
snapshot_policy.next_run timestamp with time zone NOT NULL
snapshot_policy.removed timestamp with time zone NULL
snapshot_policy.schedule text NOT NULL
snapshot_policy.timezone text NOT NULL
snapshot_policy.uuid text NOT NULL
snapshot_policy.volume_id bigint NOT NULL

-- table snapshots
snapshots.account_id bigint NOT NULL
snapshots.backup_path text NULL
snapshots.created timestamp with time zone NOT NULL
snapshots.domain_id bigint NOT NULL
snapshots.hypervisor text NOT NULL
snapshots.id bigint NOT NULL
snapshots.name text NOT NULL
snapshots.physical_size bigint NOT NULL DEFAULT 0
snapshots.policy_id bigint NULL
snapshots.primary_path text NULL
snapshots.removed timestamp with time zone NULL
snapshots.size bigint NOT NULL
snapshots.snapshot_type text NOT NULL
snapshots.state text NOT NULL
snapshots.store_id bigint NULL
snapshots.update_count bigint NOT NULL DEFAULT 0
snapshots.uuid text NOT NULL
snapshots.volume_id bigint NOT NULL
snapshots.zone_id bigint NOT NULL

-- table ssh_keypair
ssh_keypair.account_id bigint NOT NULL
ssh_keypair.created timestamp with time zone NOT NULL
ssh_keypair.fingerprint text NOT NULL
ssh_keypair.id bigint NOT NULL
ssh_keypair.name text NOT NULL
ssh_keypair.public_key text NOT NULL
ssh_keypair.uuid text NOT NULL

-- table storage_pool
storage_pool.allocated_bytes bigint NOT NULL DEFAULT 0
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

-- table template_store_ref
template_store_ref.attempts integer NOT NULL
template_store_ref.created timestamp with time zone NOT NULL
template_store_ref.download_pct integer NOT NULL
template_store_ref.download_state text NOT NULL
template_store_ref.error_str text NULL
template_store_ref.id bigint NOT NULL
template_store_ref.install_path text NULL
template_store_ref.owner_msid text NULL
template_store_ref.physical_size bigint NULL
template_store_ref.simulated boolean NOT NULL
template_store_ref.size bigint NULL
template_store_ref.source_ref_id bigint NULL
template_store_ref.source_url text NULL
template_store_ref.store_id bigint NOT NULL
template_store_ref.template_id bigint NOT NULL
template_store_ref.updated timestamp with time zone NOT NULL
template_store_ref.zone_id bigint NOT NULL

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

-- table vm_instance
vm_instance.account_id bigint NOT NULL
vm_instance.cluster_id bigint NULL
vm_instance.cpu_speed integer NOT NULL
vm_instance.cpus integer NOT NULL
vm_instance.created timestamp with time zone NOT NULL
vm_instance.destroyed timestamp with time zone NULL
vm_instance.display_name text NOT NULL
vm_instance.display_vm boolean NOT NULL
vm_instance.domain_id bigint NOT NULL
vm_instance.guest_os_id bigint NOT NULL
vm_instance.ha_enabled boolean NOT NULL
vm_instance.host_id bigint NULL
vm_instance.hypervisor text NOT NULL
vm_instance.id bigint NOT NULL
vm_instance.instance_group text NULL
vm_instance.instance_name text NOT NULL
vm_instance.iso_id bigint NULL
vm_instance.keypairs text NULL
vm_instance.last_host_id bigint NULL
vm_instance.memory_mb bigint NOT NULL
vm_instance.name text NOT NULL
vm_instance.pod_id bigint NULL
vm_instance.removed timestamp with time zone NULL
vm_instance.service_offering_id bigint NOT NULL
vm_instance.state text NOT NULL
vm_instance.template_id bigint NOT NULL
vm_instance.update_count bigint NOT NULL DEFAULT 0
vm_instance.user_data text NULL
vm_instance.uuid text NOT NULL
vm_instance.zone_id bigint NOT NULL

-- table vm_snapshot
vm_snapshot.account_id bigint NOT NULL
vm_snapshot.created timestamp with time zone NOT NULL
vm_snapshot.current boolean NOT NULL DEFAULT false
vm_snapshot.description text NULL
vm_snapshot.display_name text NOT NULL
vm_snapshot.domain_id bigint NOT NULL
vm_snapshot.id bigint NOT NULL
vm_snapshot.name text NOT NULL
vm_snapshot.parent_id bigint NULL
vm_snapshot.removed timestamp with time zone NULL
vm_snapshot.snapshot_type text NOT NULL
vm_snapshot.state text NOT NULL
vm_snapshot.update_count bigint NOT NULL DEFAULT 0
vm_snapshot.uuid text NOT NULL
vm_snapshot.vm_id bigint NOT NULL

-- table vm_snapshot_volume
vm_snapshot_volume.vm_snapshot_id bigint NOT NULL
vm_snapshot_volume.volume_id bigint NOT NULL

-- table vm_template
vm_template.account_id bigint NOT NULL
vm_template.arch text NOT NULL
vm_template.bits integer NOT NULL
vm_template.bootable boolean NOT NULL
vm_template.checksum text NULL
vm_template.created timestamp with time zone NOT NULL
vm_template.cross_zones boolean NOT NULL
vm_template.display_text text NOT NULL
vm_template.domain_id bigint NOT NULL
vm_template.dynamically_scalable boolean NOT NULL
vm_template.extractable boolean NOT NULL
vm_template.featured boolean NOT NULL
vm_template.format text NOT NULL
vm_template.guest_os_id bigint NOT NULL
vm_template.hypervisor text NOT NULL
vm_template.id bigint NOT NULL
vm_template.is_public boolean NOT NULL
vm_template.name text NOT NULL
vm_template.password_enabled boolean NOT NULL
vm_template.removed timestamp with time zone NULL
vm_template.requires_hvm boolean NOT NULL
vm_template.sort_key integer NOT NULL
vm_template.source_template_id bigint NULL
vm_template.sshkey_enabled boolean NOT NULL
vm_template.template_tag text NULL
vm_template.template_type text NOT NULL
vm_template.update_count bigint NOT NULL DEFAULT 0
vm_template.url text NULL
vm_template.uuid text NOT NULL

-- table volume
volume.account_id bigint NOT NULL
volume.attached timestamp with time zone NULL
volume.created timestamp with time zone NOT NULL
volume.device_id integer NULL
volume.disk_offering_id bigint NULL
volume.display_volume boolean NOT NULL DEFAULT true
volume.domain_id bigint NOT NULL
volume.id bigint NOT NULL
volume.instance_id bigint NULL
volume.name text NOT NULL
volume.path text NULL
volume.pool_id bigint NULL
volume.provisioning text NOT NULL
volume.removed timestamp with time zone NULL
volume.size bigint NOT NULL
volume.source_snapshot_id bigint NULL
volume.state text NOT NULL
volume.template_id bigint NULL
volume.update_count bigint NOT NULL DEFAULT 0
volume.uuid text NOT NULL
volume.volume_type text NOT NULL
volume.zone_id bigint NOT NULL

-- table volume_store_ref
volume_store_ref.attempts integer NOT NULL
volume_store_ref.checksum text NULL
volume_store_ref.created timestamp with time zone NOT NULL
volume_store_ref.download_pct integer NOT NULL
volume_store_ref.download_state text NOT NULL
volume_store_ref.error_str text NULL
volume_store_ref.format text NOT NULL
volume_store_ref.id bigint NOT NULL
volume_store_ref.install_path text NULL
volume_store_ref.owner_msid text NULL
volume_store_ref.physical_size bigint NULL
volume_store_ref.simulated boolean NOT NULL
volume_store_ref.size bigint NULL
volume_store_ref.source_url text NULL
volume_store_ref.store_id bigint NOT NULL
volume_store_ref.updated timestamp with time zone NOT NULL
volume_store_ref.volume_id bigint NOT NULL
volume_store_ref.zone_id bigint NOT NULL

-- table vpc_offering
vpc_offering.created timestamp with time zone NOT NULL
vpc_offering.display_text text NOT NULL
vpc_offering.id bigint NOT NULL
vpc_offering.is_default boolean NOT NULL
vpc_offering.name text NOT NULL
vpc_offering.redundant_router boolean NOT NULL
vpc_offering.removed timestamp with time zone NULL
vpc_offering.service_offering_id bigint NULL
vpc_offering.sort_key bigint NOT NULL DEFAULT 0
vpc_offering.state text NOT NULL
vpc_offering.unique_name text NULL
vpc_offering.update_count bigint NOT NULL DEFAULT 0
vpc_offering.uuid text NOT NULL

-- table vpc_offering_service
vpc_offering_service.provider text NULL
vpc_offering_service.service text NOT NULL
vpc_offering_service.vpc_offering_id bigint NOT NULL

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
CREATE UNIQUE INDEX affinity_group_account_id_name_key ON public.affinity_group USING btree (account_id, name);
CREATE UNIQUE INDEX affinity_group_pkey ON public.affinity_group USING btree (id);
CREATE UNIQUE INDEX affinity_group_uuid_key ON public.affinity_group USING btree (uuid);
CREATE INDEX affinity_group_vm_map_instance ON public.affinity_group_vm_map USING btree (instance_id);
CREATE UNIQUE INDEX affinity_group_vm_map_pkey ON public.affinity_group_vm_map USING btree (group_id, instance_id);
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
CREATE UNIQUE INDEX disk_offering_pkey ON public.disk_offering USING btree (id);
CREATE UNIQUE INDEX disk_offering_unique_name ON public.disk_offering USING btree (unique_name);
CREATE UNIQUE INDEX disk_offering_uuid_key ON public.disk_offering USING btree (uuid);
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
CREATE UNIQUE INDEX guest_vnet_network_id_key ON public.guest_vnet USING btree (network_id);
CREATE UNIQUE INDEX guest_vnet_pkey ON public.guest_vnet USING btree (physical_network_id, vnet);
CREATE INDEX host_cluster ON public.host USING btree (cluster_id);
CREATE INDEX host_live_cluster ON public.host USING btree (cluster_id) WHERE (removed IS NULL);
CREATE UNIQUE INDEX host_live_guid ON public.host USING btree (guid) WHERE (removed IS NULL);
CREATE INDEX host_live_pod ON public.host USING btree (pod_id) WHERE (removed IS NULL);
CREATE INDEX host_live_zone ON public.host USING btree (zone_id) WHERE (removed IS NULL);
CREATE UNIQUE INDEX host_pkey ON public.host USING btree (id);
CREATE INDEX host_status ON public.host USING btree (status, last_ping);
CREATE UNIQUE INDEX host_uuid_key ON public.host USING btree (uuid);
CREATE UNIQUE INDEX host_reservation_pkey ON public.host_reservation USING btree (instance_id, host_id);
CREATE UNIQUE INDEX host_tag_pkey ON public.host_tag USING btree (host_id, tag);
CREATE UNIQUE INDEX image_store_pkey ON public.image_store USING btree (id);
CREATE UNIQUE INDEX image_store_uuid_key ON public.image_store USING btree (uuid);
CREATE UNIQUE INDEX instance_group_live_name ON public.instance_group USING btree (account_id, name) WHERE (removed IS NULL);
CREATE UNIQUE INDEX instance_group_pkey ON public.instance_group USING btree (id);
CREATE UNIQUE INDEX instance_group_uuid_key ON public.instance_group USING btree (uuid);
CREATE INDEX instance_group_vm_map_group ON public.instance_group_vm_map USING btree (group_id);
CREATE UNIQUE INDEX instance_group_vm_map_pkey ON public.instance_group_vm_map USING btree (instance_id);
CREATE INDEX launch_permission_account ON public.launch_permission USING btree (account_id);
CREATE UNIQUE INDEX launch_permission_pkey ON public.launch_permission USING btree (template_id, account_id);
CREATE UNIQUE INDEX mshost_pkey ON public.mshost USING btree (id);
CREATE UNIQUE INDEX mshost_uuid_key ON public.mshost USING btree (uuid);
CREATE INDEX network_account ON public.network USING btree (account_id) WHERE (removed IS NULL);
CREATE UNIQUE INDEX network_pkey ON public.network USING btree (id);
CREATE UNIQUE INDEX network_uuid_key ON public.network USING btree (uuid);
CREATE INDEX network_zone ON public.network USING btree (zone_id) WHERE (removed IS NULL);
CREATE UNIQUE INDEX network_offering_live_name ON public.network_offering USING btree (name) WHERE (removed IS NULL);
CREATE UNIQUE INDEX network_offering_pkey ON public.network_offering USING btree (id);
CREATE UNIQUE INDEX network_offering_unique_name ON public.network_offering USING btree (unique_name);
CREATE UNIQUE INDEX network_offering_uuid_key ON public.network_offering USING btree (uuid);
CREATE INDEX network_offering_service_offering ON public.network_offering_service USING btree (network_offering_id);
CREATE UNIQUE INDEX nic_instance_device ON public.nic USING btree (instance_id, device_id) WHERE (removed IS NULL);
CREATE UNIQUE INDEX nic_network_ip ON public.nic USING btree (network_id, ip4_address) WHERE (removed IS NULL);
CREATE UNIQUE INDEX nic_pkey ON public.nic USING btree (id);
CREATE UNIQUE INDEX nic_uuid_key ON public.nic USING btree (uuid);
CREATE UNIQUE INDEX nic_zone_mac ON public.nic USING btree (zone_id, mac_address) WHERE (removed IS NULL);
CREATE UNIQUE INDEX offering_domain_pkey ON public.offering_domain USING btree (kind, offering_id, domain_id);
CREATE UNIQUE INDEX offering_zone_pkey ON public.offering_zone USING btree (kind, offering_id, zone_id);
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
CREATE INDEX public_ip_network ON public.public_ip USING btree (network_id) WHERE (network_id IS NOT NULL);
CREATE UNIQUE INDEX public_ip_pkey ON public.public_ip USING btree (id);
CREATE UNIQUE INDEX public_ip_uuid_key ON public.public_ip USING btree (uuid);
CREATE INDEX public_ip_vlan ON public.public_ip USING btree (vlan_id, state);
CREATE UNIQUE INDEX resource_count_pkey ON public.resource_count USING btree (owner_type, owner_id, resource_type);
CREATE UNIQUE INDEX resource_detail_pkey ON public.resource_detail USING btree (resource_type, resource_id, name);
CREATE UNIQUE INDEX resource_limit_pkey ON public.resource_limit USING btree (owner_type, owner_id, resource_type);
CREATE INDEX resource_tag_account ON public.resource_tag USING btree (account_id);
CREATE INDEX resource_tag_key_value ON public.resource_tag USING btree (resource_type, tag_key, tag_value);
CREATE UNIQUE INDEX resource_tag_pkey ON public.resource_tag USING btree (id);
CREATE UNIQUE INDEX resource_tag_resource_type_resource_id_tag_key_key ON public.resource_tag USING btree (resource_type, resource_id, tag_key);
CREATE UNIQUE INDEX resource_tag_uuid_key ON public.resource_tag USING btree (uuid);
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
CREATE UNIQUE INDEX service_offering_pkey ON public.service_offering USING btree (id);
CREATE UNIQUE INDEX service_offering_unique_name ON public.service_offering USING btree (unique_name);
CREATE UNIQUE INDEX service_offering_uuid_key ON public.service_offering USING btree (uuid);
CREATE UNIQUE INDEX session_pkey ON public.session USING btree (id);
CREATE INDEX "session_user" ON public.session USING btree (user_id);
CREATE INDEX snapshot_policy_due ON public.snapshot_policy USING btree (next_run) WHERE (removed IS NULL);
CREATE UNIQUE INDEX snapshot_policy_interval ON public.snapshot_policy USING btree (volume_id, interval_type) WHERE (removed IS NULL);
CREATE UNIQUE INDEX snapshot_policy_pkey ON public.snapshot_policy USING btree (id);
CREATE UNIQUE INDEX snapshot_policy_uuid_key ON public.snapshot_policy USING btree (uuid);
CREATE INDEX snapshots_account ON public.snapshots USING btree (account_id) WHERE (removed IS NULL);
CREATE UNIQUE INDEX snapshots_pkey ON public.snapshots USING btree (id);
CREATE UNIQUE INDEX snapshots_uuid_key ON public.snapshots USING btree (uuid);
CREATE INDEX snapshots_volume ON public.snapshots USING btree (volume_id) WHERE (removed IS NULL);
CREATE UNIQUE INDEX ssh_keypair_account_id_fingerprint_key ON public.ssh_keypair USING btree (account_id, fingerprint);
CREATE UNIQUE INDEX ssh_keypair_account_id_name_key ON public.ssh_keypair USING btree (account_id, name);
CREATE UNIQUE INDEX ssh_keypair_pkey ON public.ssh_keypair USING btree (id);
CREATE UNIQUE INDEX ssh_keypair_uuid_key ON public.ssh_keypair USING btree (uuid);
CREATE UNIQUE INDEX storage_pool_pkey ON public.storage_pool USING btree (id);
CREATE UNIQUE INDEX storage_pool_uuid_key ON public.storage_pool USING btree (uuid);
CREATE INDEX storage_pool_zone ON public.storage_pool USING btree (zone_id);
CREATE UNIQUE INDEX storage_pool_tag_pkey ON public.storage_pool_tag USING btree (pool_id, tag);
CREATE INDEX template_store_ref_pending ON public.template_store_ref USING btree (download_state) WHERE (download_state = ANY (ARRAY['NOT_DOWNLOADED'::text, 'DOWNLOAD_IN_PROGRESS'::text]));
CREATE UNIQUE INDEX template_store_ref_pkey ON public.template_store_ref USING btree (id);
CREATE UNIQUE INDEX template_store_ref_template_id_store_id_key ON public.template_store_ref USING btree (template_id, store_id);
CREATE INDEX template_store_ref_zone ON public.template_store_ref USING btree (zone_id, template_id);
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
CREATE INDEX vm_instance_account ON public.vm_instance USING btree (account_id) WHERE (removed IS NULL);
CREATE INDEX vm_instance_host ON public.vm_instance USING btree (host_id) WHERE (removed IS NULL);
CREATE UNIQUE INDEX vm_instance_pkey ON public.vm_instance USING btree (id);
CREATE INDEX vm_instance_state ON public.vm_instance USING btree (state, destroyed);
CREATE UNIQUE INDEX vm_instance_uuid_key ON public.vm_instance USING btree (uuid);
CREATE UNIQUE INDEX vm_snapshot_pkey ON public.vm_snapshot USING btree (id);
CREATE UNIQUE INDEX vm_snapshot_uuid_key ON public.vm_snapshot USING btree (uuid);
CREATE INDEX vm_snapshot_vm ON public.vm_snapshot USING btree (vm_id) WHERE (removed IS NULL);
CREATE UNIQUE INDEX vm_snapshot_volume_pkey ON public.vm_snapshot_volume USING btree (vm_snapshot_id, volume_id);
CREATE INDEX vm_template_account ON public.vm_template USING btree (account_id) WHERE (removed IS NULL);
CREATE UNIQUE INDEX vm_template_pkey ON public.vm_template USING btree (id);
CREATE UNIQUE INDEX vm_template_uuid_key ON public.vm_template USING btree (uuid);
CREATE INDEX volume_account ON public.volume USING btree (account_id) WHERE (removed IS NULL);
CREATE UNIQUE INDEX volume_device ON public.volume USING btree (instance_id, device_id) WHERE ((removed IS NULL) AND (instance_id IS NOT NULL));
CREATE INDEX volume_instance ON public.volume USING btree (instance_id) WHERE (removed IS NULL);
CREATE UNIQUE INDEX volume_pkey ON public.volume USING btree (id);
CREATE UNIQUE INDEX volume_uuid_key ON public.volume USING btree (uuid);
CREATE INDEX volume_store_ref_pending ON public.volume_store_ref USING btree (download_state) WHERE (download_state = ANY (ARRAY['NOT_DOWNLOADED'::text, 'DOWNLOAD_IN_PROGRESS'::text]));
CREATE UNIQUE INDEX volume_store_ref_pkey ON public.volume_store_ref USING btree (id);
CREATE UNIQUE INDEX volume_store_ref_volume_id_key ON public.volume_store_ref USING btree (volume_id);
CREATE UNIQUE INDEX vpc_offering_live_name ON public.vpc_offering USING btree (name) WHERE (removed IS NULL);
CREATE UNIQUE INDEX vpc_offering_pkey ON public.vpc_offering USING btree (id);
CREATE UNIQUE INDEX vpc_offering_unique_name ON public.vpc_offering USING btree (unique_name);
CREATE UNIQUE INDEX vpc_offering_uuid_key ON public.vpc_offering USING btree (uuid);
CREATE INDEX vpc_offering_service_offering ON public.vpc_offering_service USING btree (vpc_offering_id);
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
affinity_group affinity_group_account_id_fkey: FOREIGN KEY (account_id) REFERENCES account(id)
affinity_group affinity_group_account_id_name_key: UNIQUE (account_id, name)
affinity_group affinity_group_pkey: PRIMARY KEY (id)
affinity_group affinity_group_uuid_key: UNIQUE (uuid)
affinity_group_vm_map affinity_group_vm_map_group_id_fkey: FOREIGN KEY (group_id) REFERENCES affinity_group(id)
affinity_group_vm_map affinity_group_vm_map_pkey: PRIMARY KEY (group_id, instance_id)
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
disk_offering disk_offering_pkey: PRIMARY KEY (id)
disk_offering disk_offering_uuid_key: UNIQUE (uuid)
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
guest_vnet guest_vnet_network_id_fkey: FOREIGN KEY (network_id) REFERENCES network(id)
guest_vnet guest_vnet_network_id_key: UNIQUE (network_id)
guest_vnet guest_vnet_physical_network_id_fkey: FOREIGN KEY (physical_network_id) REFERENCES physical_network(id)
guest_vnet guest_vnet_pkey: PRIMARY KEY (physical_network_id, vnet)
host host_cluster_id_fkey: FOREIGN KEY (cluster_id) REFERENCES cluster(id)
host host_pkey: PRIMARY KEY (id)
host host_pod_id_fkey: FOREIGN KEY (pod_id) REFERENCES pod(id)
host host_uuid_key: UNIQUE (uuid)
host host_zone_id_fkey: FOREIGN KEY (zone_id) REFERENCES zone(id)
host_reservation host_reservation_host_id_fkey: FOREIGN KEY (host_id) REFERENCES host(id)
host_reservation host_reservation_instance_id_fkey: FOREIGN KEY (instance_id) REFERENCES vm_instance(id)
host_reservation host_reservation_pkey: PRIMARY KEY (instance_id, host_id)
host_tag host_tag_host_id_fkey: FOREIGN KEY (host_id) REFERENCES host(id)
host_tag host_tag_pkey: PRIMARY KEY (host_id, tag)
image_store image_store_pkey: PRIMARY KEY (id)
image_store image_store_uuid_key: UNIQUE (uuid)
image_store image_store_zone_id_fkey: FOREIGN KEY (zone_id) REFERENCES zone(id)
instance_group instance_group_account_id_fkey: FOREIGN KEY (account_id) REFERENCES account(id)
instance_group instance_group_pkey: PRIMARY KEY (id)
instance_group instance_group_uuid_key: UNIQUE (uuid)
instance_group_vm_map instance_group_vm_map_group_id_fkey: FOREIGN KEY (group_id) REFERENCES instance_group(id)
instance_group_vm_map instance_group_vm_map_pkey: PRIMARY KEY (instance_id)
launch_permission launch_permission_account_id_fkey: FOREIGN KEY (account_id) REFERENCES account(id)
launch_permission launch_permission_pkey: PRIMARY KEY (template_id, account_id)
launch_permission launch_permission_template_id_fkey: FOREIGN KEY (template_id) REFERENCES vm_template(id)
mshost mshost_pkey: PRIMARY KEY (id)
mshost mshost_uuid_key: UNIQUE (uuid)
network network_account_id_fkey: FOREIGN KEY (account_id) REFERENCES account(id)
network network_domain_id_fkey: FOREIGN KEY (domain_id) REFERENCES domain(id)
network network_network_offering_id_fkey: FOREIGN KEY (network_offering_id) REFERENCES network_offering(id)
network network_physical_network_id_fkey: FOREIGN KEY (physical_network_id) REFERENCES physical_network(id)
network network_pkey: PRIMARY KEY (id)
network network_uuid_key: UNIQUE (uuid)
network network_zone_id_fkey: FOREIGN KEY (zone_id) REFERENCES zone(id)
network_offering network_offering_pkey: PRIMARY KEY (id)
network_offering network_offering_service_offering_id_fkey: FOREIGN KEY (service_offering_id) REFERENCES service_offering(id)
network_offering network_offering_uuid_key: UNIQUE (uuid)
network_offering_service network_offering_service_network_offering_id_fkey: FOREIGN KEY (network_offering_id) REFERENCES network_offering(id)
nic nic_network_id_fkey: FOREIGN KEY (network_id) REFERENCES network(id)
nic nic_pkey: PRIMARY KEY (id)
nic nic_uuid_key: UNIQUE (uuid)
nic nic_zone_id_fkey: FOREIGN KEY (zone_id) REFERENCES zone(id)
offering_domain offering_domain_domain_id_fkey: FOREIGN KEY (domain_id) REFERENCES domain(id)
offering_domain offering_domain_pkey: PRIMARY KEY (kind, offering_id, domain_id)
offering_zone offering_zone_pkey: PRIMARY KEY (kind, offering_id, zone_id)
offering_zone offering_zone_zone_id_fkey: FOREIGN KEY (zone_id) REFERENCES zone(id)
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
resource_count resource_count_count_check: CHECK ((count >= 0))
resource_count resource_count_owner_type_check: CHECK ((owner_type = ANY (ARRAY['account'::text, 'domain'::text])))
resource_count resource_count_pkey: PRIMARY KEY (owner_type, owner_id, resource_type)
resource_detail resource_detail_pkey: PRIMARY KEY (resource_type, resource_id, name)
resource_limit resource_limit_max_value_check: CHECK ((max_value >= '-1'::integer))
resource_limit resource_limit_owner_type_check: CHECK ((owner_type = ANY (ARRAY['account'::text, 'domain'::text])))
resource_limit resource_limit_pkey: PRIMARY KEY (owner_type, owner_id, resource_type)
resource_tag resource_tag_account_id_fkey: FOREIGN KEY (account_id) REFERENCES account(id)
resource_tag resource_tag_domain_id_fkey: FOREIGN KEY (domain_id) REFERENCES domain(id)
resource_tag resource_tag_pkey: PRIMARY KEY (id)
resource_tag resource_tag_resource_type_resource_id_tag_key_key: UNIQUE (resource_type, resource_id, tag_key)
resource_tag resource_tag_uuid_key: UNIQUE (uuid)
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
service_offering service_offering_disk_offering_id_fkey: FOREIGN KEY (disk_offering_id) REFERENCES disk_offering(id)
service_offering service_offering_pkey: PRIMARY KEY (id)
service_offering service_offering_uuid_key: UNIQUE (uuid)
session session_pkey: PRIMARY KEY (id)
session session_user_id_fkey: FOREIGN KEY (user_id) REFERENCES users(id)
snapshot_policy snapshot_policy_pkey: PRIMARY KEY (id)
snapshot_policy snapshot_policy_uuid_key: UNIQUE (uuid)
snapshot_policy snapshot_policy_volume_id_fkey: FOREIGN KEY (volume_id) REFERENCES volume(id)
snapshots snapshots_account_id_fkey: FOREIGN KEY (account_id) REFERENCES account(id)
snapshots snapshots_domain_id_fkey: FOREIGN KEY (domain_id) REFERENCES domain(id)
snapshots snapshots_pkey: PRIMARY KEY (id)
snapshots snapshots_store_id_fkey: FOREIGN KEY (store_id) REFERENCES image_store(id)
snapshots snapshots_uuid_key: UNIQUE (uuid)
snapshots snapshots_volume_id_fkey: FOREIGN KEY (volume_id) REFERENCES volume(id)
snapshots snapshots_zone_id_fkey: FOREIGN KEY (zone_id) REFERENCES zone(id)
ssh_keypair ssh_keypair_account_id_fingerprint_key: UNIQUE (account_id, fingerprint)
ssh_keypair ssh_keypair_account_id_fkey: FOREIGN KEY (account_id) REFERENCES account(id)
ssh_keypair ssh_keypair_account_id_name_key: UNIQUE (account_id, name)
ssh_keypair ssh_keypair_pkey: PRIMARY KEY (id)
ssh_keypair ssh_keypair_uuid_key: UNIQUE (uuid)
storage_pool storage_pool_cluster_id_fkey: FOREIGN KEY (cluster_id) REFERENCES cluster(id)
storage_pool storage_pool_host_id_fkey: FOREIGN KEY (host_id) REFERENCES host(id)
storage_pool storage_pool_pkey: PRIMARY KEY (id)
storage_pool storage_pool_pod_id_fkey: FOREIGN KEY (pod_id) REFERENCES pod(id)
storage_pool storage_pool_uuid_key: UNIQUE (uuid)
storage_pool storage_pool_zone_id_fkey: FOREIGN KEY (zone_id) REFERENCES zone(id)
storage_pool_tag storage_pool_tag_pkey: PRIMARY KEY (pool_id, tag)
storage_pool_tag storage_pool_tag_pool_id_fkey: FOREIGN KEY (pool_id) REFERENCES storage_pool(id)
template_store_ref template_store_ref_pkey: PRIMARY KEY (id)
template_store_ref template_store_ref_store_id_fkey: FOREIGN KEY (store_id) REFERENCES image_store(id)
template_store_ref template_store_ref_template_id_fkey: FOREIGN KEY (template_id) REFERENCES vm_template(id)
template_store_ref template_store_ref_template_id_store_id_key: UNIQUE (template_id, store_id)
template_store_ref template_store_ref_zone_id_fkey: FOREIGN KEY (zone_id) REFERENCES zone(id)
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
vm_instance vm_instance_account_id_fkey: FOREIGN KEY (account_id) REFERENCES account(id)
vm_instance vm_instance_cluster_id_fkey: FOREIGN KEY (cluster_id) REFERENCES cluster(id)
vm_instance vm_instance_domain_id_fkey: FOREIGN KEY (domain_id) REFERENCES domain(id)
vm_instance vm_instance_guest_os_id_fkey: FOREIGN KEY (guest_os_id) REFERENCES guest_os(id)
vm_instance vm_instance_host_id_fkey: FOREIGN KEY (host_id) REFERENCES host(id)
vm_instance vm_instance_iso_id_fkey: FOREIGN KEY (iso_id) REFERENCES vm_template(id)
vm_instance vm_instance_last_host_id_fkey: FOREIGN KEY (last_host_id) REFERENCES host(id)
vm_instance vm_instance_pkey: PRIMARY KEY (id)
vm_instance vm_instance_pod_id_fkey: FOREIGN KEY (pod_id) REFERENCES pod(id)
vm_instance vm_instance_template_id_fkey: FOREIGN KEY (template_id) REFERENCES vm_template(id)
vm_instance vm_instance_uuid_key: UNIQUE (uuid)
vm_instance vm_instance_zone_id_fkey: FOREIGN KEY (zone_id) REFERENCES zone(id)
vm_snapshot vm_snapshot_account_id_fkey: FOREIGN KEY (account_id) REFERENCES account(id)
vm_snapshot vm_snapshot_domain_id_fkey: FOREIGN KEY (domain_id) REFERENCES domain(id)
vm_snapshot vm_snapshot_parent_id_fkey: FOREIGN KEY (parent_id) REFERENCES vm_snapshot(id)
vm_snapshot vm_snapshot_pkey: PRIMARY KEY (id)
vm_snapshot vm_snapshot_uuid_key: UNIQUE (uuid)
vm_snapshot vm_snapshot_vm_id_fkey: FOREIGN KEY (vm_id) REFERENCES vm_instance(id)
vm_snapshot_volume vm_snapshot_volume_pkey: PRIMARY KEY (vm_snapshot_id, volume_id)
vm_snapshot_volume vm_snapshot_volume_vm_snapshot_id_fkey: FOREIGN KEY (vm_snapshot_id) REFERENCES vm_snapshot(id)
vm_snapshot_volume vm_snapshot_volume_volume_id_fkey: FOREIGN KEY (volume_id) REFERENCES volume(id)
vm_template vm_template_account_id_fkey: FOREIGN KEY (account_id) REFERENCES account(id)
vm_template vm_template_domain_id_fkey: FOREIGN KEY (domain_id) REFERENCES domain(id)
vm_template vm_template_guest_os_id_fkey: FOREIGN KEY (guest_os_id) REFERENCES guest_os(id)
vm_template vm_template_pkey: PRIMARY KEY (id)
vm_template vm_template_source_template_id_fkey: FOREIGN KEY (source_template_id) REFERENCES vm_template(id)
vm_template vm_template_uuid_key: UNIQUE (uuid)
volume volume_account_id_fkey: FOREIGN KEY (account_id) REFERENCES account(id)
volume volume_domain_id_fkey: FOREIGN KEY (domain_id) REFERENCES domain(id)
volume volume_instance_id_fkey: FOREIGN KEY (instance_id) REFERENCES vm_instance(id)
volume volume_pkey: PRIMARY KEY (id)
volume volume_pool_id_fkey: FOREIGN KEY (pool_id) REFERENCES storage_pool(id)
volume volume_template_id_fkey: FOREIGN KEY (template_id) REFERENCES vm_template(id)
volume volume_uuid_key: UNIQUE (uuid)
volume volume_zone_id_fkey: FOREIGN KEY (zone_id) REFERENCES zone(id)
volume_store_ref volume_store_ref_pkey: PRIMARY KEY (id)
volume_store_ref volume_store_ref_store_id_fkey: FOREIGN KEY (store_id) REFERENCES image_store(id)
volume_store_ref volume_store_ref_volume_id_fkey: FOREIGN KEY (volume_id) REFERENCES volume(id)
volume_store_ref volume_store_ref_volume_id_key: UNIQUE (volume_id)
volume_store_ref volume_store_ref_zone_id_fkey: FOREIGN KEY (zone_id) REFERENCES zone(id)
vpc_offering vpc_offering_pkey: PRIMARY KEY (id)
vpc_offering vpc_offering_service_offering_id_fkey: FOREIGN KEY (service_offering_id) REFERENCES service_offering(id)
vpc_offering vpc_offering_uuid_key: UNIQUE (uuid)
vpc_offering_service vpc_offering_service_vpc_offering_id_fkey: FOREIGN KEY (vpc_offering_id) REFERENCES vpc_offering(id)
zone zone_domain_id_fkey: FOREIGN KEY (domain_id) REFERENCES domain(id)
zone zone_pkey: PRIMARY KEY (id)
zone zone_uuid_key: UNIQUE (uuid)
