//! Virtual machines (`vm_instance`) and the host capacity they hold
//! (`host_reservation`).

use chrono::{DateTime, Utc};

use crate::sql::{Bind, Page, Sql};
use crate::{Conn, Result, on_conn};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct VmRow {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub display_name: String,
    pub instance_name: String,
    pub account_id: i64,
    pub account_uuid: String,
    pub account_name: String,
    pub domain_id: i64,
    pub domain_uuid: String,
    pub domain_name: String,
    pub domain_path: String,
    pub zone_id: i64,
    pub zone_uuid: String,
    pub zone_name: String,
    pub pod_id: Option<i64>,
    pub cluster_id: Option<i64>,
    pub host_id: Option<i64>,
    pub host_uuid: Option<String>,
    pub host_name: Option<String>,
    pub host_guid: Option<String>,
    pub last_host_id: Option<i64>,
    pub template_id: i64,
    pub template_uuid: String,
    pub template_name: String,
    pub template_display_text: String,
    pub password_enabled: bool,
    pub iso_id: Option<i64>,
    pub service_offering_id: i64,
    pub service_offering_uuid: String,
    pub service_offering_name: String,
    pub cpus: i32,
    pub cpu_speed: i32,
    pub memory_mb: i64,
    pub hypervisor: String,
    pub guest_os_id: i64,
    pub guest_os_uuid: String,
    pub state: String,
    pub ha_enabled: bool,
    pub instance_group: Option<String>,
    pub user_data: Option<String>,
    pub keypairs: Option<String>,
    pub display_vm: bool,
    pub created: DateTime<Utc>,
    pub destroyed: Option<DateTime<Utc>>,
    pub update_count: i64,
}

const COLUMNS: &str = "SELECT v.id, v.uuid, v.name, v.display_name, v.instance_name, \
     v.account_id, a.uuid AS account_uuid, a.name AS account_name, v.domain_id, \
     d.uuid AS domain_uuid, d.name AS domain_name, d.path AS domain_path, v.zone_id, \
     z.uuid AS zone_uuid, z.name AS zone_name, v.pod_id, v.cluster_id, v.host_id, \
     h.uuid AS host_uuid, h.name AS host_name, h.guid AS host_guid, v.last_host_id, \
     v.template_id, t.uuid AS template_uuid, t.name AS template_name, \
     t.display_text AS template_display_text, t.password_enabled, v.iso_id, \
     v.service_offering_id, so.uuid AS service_offering_uuid, \
     so.name AS service_offering_name, v.cpus, v.cpu_speed, v.memory_mb, v.hypervisor, \
     v.guest_os_id, g.uuid AS guest_os_uuid, v.state, v.ha_enabled, v.instance_group, \
     v.user_data, v.keypairs, v.display_vm, v.created, v.destroyed, v.update_count";

const FROM: &str = " FROM vm_instance v JOIN account a ON a.id = v.account_id \
     JOIN domain d ON d.id = v.domain_id JOIN zone z ON z.id = v.zone_id \
     LEFT JOIN host h ON h.id = v.host_id JOIN vm_template t ON t.id = v.template_id \
     JOIN service_offering so ON so.id = v.service_offering_id \
     JOIN guest_os g ON g.id = v.guest_os_id WHERE v.removed IS NULL";

pub struct NewVm<'a> {
    pub uuid: &'a str,
    pub name: &'a str,
    pub display_name: &'a str,
    pub account_id: i64,
    pub domain_id: i64,
    pub zone_id: i64,
    pub template_id: i64,
    pub iso_id: Option<i64>,
    pub service_offering_id: i64,
    pub cpus: i32,
    pub cpu_speed: i32,
    pub memory_mb: i64,
    pub hypervisor: &'a str,
    pub guest_os_id: i64,
    pub ha_enabled: bool,
    pub instance_group: Option<&'a str>,
    pub user_data: Option<&'a str>,
    pub keypairs: Option<&'a str>,
}

#[derive(Clone, Debug, Default)]
pub struct VmFilter {
    pub uuids: Vec<String>,
    pub account_id: Option<i64>,
    pub domain_id: Option<i64>,
    pub subtree: Option<String>,
    pub zone_id: Option<i64>,
    pub pod_id: Option<i64>,
    pub cluster_id: Option<i64>,
    pub host_id: Option<i64>,
    pub template_id: Option<i64>,
    pub service_offering_id: Option<i64>,
    pub state: Option<String>,
    pub name: Option<String>,
    pub keyword: Option<String>,
    pub group: Option<String>,
    pub hypervisor: Option<String>,
    /// Only VMs with a live NIC on this network.
    pub network_id: Option<i64>,
    /// Destroyed VMs are listed only when asked for (state=Destroyed) or to admins.
    pub include_destroyed: bool,
}

impl VmFilter {
    fn apply(&self, sql: &mut Sql) {
        if !self.uuids.is_empty() {
            sql.and_in(
                "v.uuid",
                self.uuids.iter().map(|u| Bind::Str(u.clone())).collect(),
            );
        }
        if let Some(a) = self.account_id {
            sql.and("v.account_id = ?", Bind::I64(a));
        }
        if let Some(n) = self.network_id {
            sql.and(
                "v.id IN (SELECT instance_id FROM nic WHERE network_id = ? AND removed IS NULL)",
                Bind::I64(n),
            );
        }
        if let Some(d) = self.domain_id {
            sql.and("v.domain_id = ?", Bind::I64(d));
        }
        if let Some(p) = &self.subtree {
            sql.and_prefix("d.path", p);
        }
        for (col, v) in [
            ("v.zone_id", self.zone_id),
            ("v.pod_id", self.pod_id),
            ("v.cluster_id", self.cluster_id),
            ("v.host_id", self.host_id),
            ("v.template_id", self.template_id),
            ("v.service_offering_id", self.service_offering_id),
        ] {
            if let Some(v) = v {
                sql.and(&format!("{col} = ?"), Bind::I64(v));
            }
        }
        if let Some(s) = &self.state {
            sql.and("lower(v.state) = ?", Bind::Str(s.to_lowercase()));
        } else if !self.include_destroyed {
            sql.push(" AND v.state NOT IN ('Destroyed', 'Expunging')");
        }
        if let Some(n) = &self.name {
            sql.and("v.name = ?", Bind::Str(n.clone()));
        }
        if let Some(k) = &self.keyword {
            let like = crate::domain::like(k);
            sql.push(" AND (");
            sql.push_bind(
                "lower(v.name) LIKE ? OR lower(v.display_name) LIKE ? OR lower(v.state) LIKE ?",
                [
                    Bind::Str(like.clone()),
                    Bind::Str(like.clone()),
                    Bind::Str(like),
                ],
            );
            sql.push(")");
        }
        if let Some(g) = &self.group {
            sql.and("v.instance_group = ?", Bind::Str(g.clone()));
        }
        if let Some(h) = &self.hypervisor {
            sql.and("lower(v.hypervisor) = ?", Bind::Str(h.to_lowercase()));
        }
    }
}

impl Conn<'_> {
    /// Inserts a VM in state Allocated; its hypervisor name follows from its id.
    pub async fn insert_vm(&mut self, v: &NewVm<'_>, now: DateTime<Utc>) -> Result<i64> {
        const SQL: &str = "INSERT INTO vm_instance (uuid, name, display_name, instance_name, \
             account_id, domain_id, zone_id, template_id, iso_id, service_offering_id, cpus, \
             cpu_speed, memory_mb, hypervisor, guest_os_id, state, ha_enabled, instance_group, \
             user_data, keypairs, display_vm, created) VALUES ($1, $2, $3, '', $4, $5, $6, $7, \
             $8, $9, $10, $11, $12, $13, $14, 'Allocated', $15, $16, $17, $18, TRUE, $19) \
             RETURNING id";
        let id = on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(v.uuid)
            .bind(v.name)
            .bind(v.display_name)
            .bind(v.account_id)
            .bind(v.domain_id)
            .bind(v.zone_id)
            .bind(v.template_id)
            .bind(v.iso_id)
            .bind(v.service_offering_id)
            .bind(v.cpus)
            .bind(v.cpu_speed)
            .bind(v.memory_mb)
            .bind(v.hypervisor)
            .bind(v.guest_os_id)
            .bind(v.ha_enabled)
            .bind(v.instance_group)
            .bind(v.user_data)
            .bind(v.keypairs)
            .bind(now)
            .fetch_one(&mut **c)
            .await?);
        const NAME: &str = "UPDATE vm_instance SET instance_name = $1 WHERE id = $2";
        let instance_name = format!("i-{}-{id}-VM", v.account_id);
        on_conn!(self, |c| sqlx::query(NAME)
            .bind(instance_name)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(id)
    }

    pub async fn vm_by_uuid(&mut self, uuid: &str) -> Result<Option<VmRow>> {
        let mut sql = Sql::new(&format!("{COLUMNS}{FROM}"));
        sql.and("v.uuid = ?", Bind::Str(uuid.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn vm_by_id(&mut self, id: i64) -> Result<Option<VmRow>> {
        let mut sql = Sql::new(&format!("{COLUMNS}{FROM}"));
        sql.and("v.id = ?", Bind::I64(id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn list_vms(&mut self, f: &VmFilter, page: Page) -> Result<(i64, Vec<VmRow>)> {
        let mut count = Sql::new(
            "SELECT COUNT(*) FROM vm_instance v JOIN domain d ON d.id = v.domain_id \
             WHERE v.removed IS NULL",
        );
        f.apply(&mut count);
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(&format!("{COLUMNS}{FROM}"));
        f.apply(&mut sql);
        sql.push(" ORDER BY v.id");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    /// Moves a VM from one of `from` to `to`; false when it was in none of them (a
    /// concurrent operation got there first).
    pub async fn set_vm_state(&mut self, id: i64, from: &[&str], to: &str) -> Result<bool> {
        let mut sql = Sql::new("UPDATE vm_instance SET update_count = update_count + 1, ");
        sql.push_bind("state = ?", [Bind::Str(to.into())]);
        match to {
            "Destroyed" => {
                sql.push_bind(", destroyed = ?", [Bind::Time(crate::now())]);
            }
            "Running" | "Stopped" | "Starting" => {
                sql.push(", destroyed = NULL");
            }
            _ => {}
        }
        sql.push(" WHERE 1 = 1");
        sql.and("id = ?", Bind::I64(id));
        sql.and_in(
            "state",
            from.iter().map(|s| Bind::Str(s.to_string())).collect(),
        );
        Ok(self.execute(&sql).await? == 1)
    }

    /// Saves what updateVirtualMachine changes (optimistic: false on a lost race).
    #[allow(clippy::too_many_arguments)]
    pub async fn update_vm(
        &mut self,
        id: i64,
        seen: i64,
        name: &str,
        display_name: &str,
        group: Option<&str>,
        ha_enabled: bool,
        user_data: Option<&str>,
    ) -> Result<bool> {
        const SQL: &str = "UPDATE vm_instance SET name = $1, display_name = $2, \
             instance_group = $3, ha_enabled = $4, user_data = $5, \
             update_count = update_count + 1 WHERE id = $6 AND update_count = $7";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(name)
            .bind(display_name)
            .bind(group)
            .bind(ha_enabled)
            .bind(user_data)
            .bind(id)
            .bind(seen)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    /// A new compute offering and its size (optimistic: false on a lost race).
    pub async fn set_vm_offering(
        &mut self,
        id: i64,
        seen: i64,
        offering_id: i64,
        cpus: i32,
        cpu_speed: i32,
        memory_mb: i64,
    ) -> Result<bool> {
        const SQL: &str = "UPDATE vm_instance SET service_offering_id = $1, cpus = $2, \
             cpu_speed = $3, memory_mb = $4, update_count = update_count + 1 \
             WHERE id = $5 AND update_count = $6";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(offering_id)
            .bind(cpus)
            .bind(cpu_speed)
            .bind(memory_mb)
            .bind(id)
            .bind(seen)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    /// Records where a VM runs (or that it runs nowhere: all `None`).
    pub async fn set_vm_host(
        &mut self,
        id: i64,
        host: Option<(i64, Option<i64>, Option<i64>)>,
    ) -> Result<()> {
        const SQL: &str = "UPDATE vm_instance SET host_id = $1, pod_id = COALESCE($2, pod_id), \
             cluster_id = COALESCE($3, cluster_id), last_host_id = COALESCE($1, host_id), \
             update_count = update_count + 1 WHERE id = $4";
        let (h, p, c2) = match host {
            Some((h, p, c)) => (Some(h), p, c),
            None => (None, None, None),
        };
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(h)
            .bind(p)
            .bind(c2)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    pub async fn remove_vm(&mut self, id: i64, now: DateTime<Utc>) -> Result<()> {
        const SQL: &str = "UPDATE vm_instance SET state = 'Expunged', removed = $1, \
             host_id = NULL, update_count = update_count + 1 WHERE id = $2 AND removed IS NULL";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(now)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Destroyed VMs whose expunge delay passed.
    pub async fn vms_to_expunge(&mut self, destroyed_before: DateTime<Utc>) -> Result<Vec<i64>> {
        const SQL: &str = "SELECT id FROM vm_instance WHERE removed IS NULL \
             AND state IN ('Destroyed', 'Expunging') AND destroyed < $1 ORDER BY id LIMIT 100";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(destroyed_before)
            .fetch_all(&mut **c)
            .await?))
    }

    /// Takes `cpu_mhz`/`ram_bytes` on a host for a VM if the host still has room under
    /// its (over-provisioned) totals. One conditional UPDATE decides, so concurrent
    /// reservations can never overcommit. Reserving again on the same host is a no-op
    /// that reports success; a VM holding another host is refused unless `extra` (the
    /// target of a migration, held next to the source).
    #[allow(clippy::too_many_arguments)]
    pub async fn reserve_host_capacity(
        &mut self,
        instance_id: i64,
        host_id: i64,
        cpu_mhz: i64,
        ram_bytes: i64,
        cpu_factor: f64,
        ram_factor: f64,
        extra: bool,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let held = self.host_reservations_of(instance_id).await?;
        if held.contains(&host_id) {
            return Ok(true);
        }
        if !held.is_empty() && !extra {
            return Ok(false);
        }
        // Integer arithmetic in parts per thousand so both backends agree.
        const TAKE: &str = "UPDATE host SET cpu_used_mhz = cpu_used_mhz + $1, \
             ram_used_bytes = ram_used_bytes + $2 WHERE id = $3 \
             AND cpu_used_mhz + $1 <= (cpus * cpu_speed * $4) / 1000 \
             AND ram_used_bytes + $2 <= (ram * $5) / 1000";
        let taken = on_conn!(self, |c| sqlx::query(TAKE)
            .bind(cpu_mhz)
            .bind(ram_bytes)
            .bind(host_id)
            .bind(per_mille(cpu_factor))
            .bind(per_mille(ram_factor))
            .execute(&mut **c)
            .await?
            .rows_affected());
        if taken != 1 {
            return Ok(false);
        }
        const ROW: &str = "INSERT INTO host_reservation (instance_id, host_id, cpu_mhz, \
             ram_bytes, created) VALUES ($1, $2, $3, $4, $5)";
        on_conn!(self, |c| sqlx::query(ROW)
            .bind(instance_id)
            .bind(host_id)
            .bind(cpu_mhz)
            .bind(ram_bytes)
            .bind(now)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(true)
    }

    /// The hosts a VM holds capacity on (two while it migrates).
    pub async fn host_reservations_of(&mut self, instance_id: i64) -> Result<Vec<i64>> {
        const SQL: &str =
            "SELECT host_id FROM host_reservation WHERE instance_id = $1 ORDER BY created";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(instance_id)
            .fetch_all(&mut **c)
            .await?))
    }

    /// The host a VM holds capacity on, if any.
    pub async fn host_reservation_of(&mut self, instance_id: i64) -> Result<Option<i64>> {
        Ok(self
            .host_reservations_of(instance_id)
            .await?
            .into_iter()
            .next())
    }

    /// Gives back what a VM holds on one host, or on every host (`None`); nothing when
    /// it holds nothing there.
    pub async fn release_host_capacity(
        &mut self,
        instance_id: i64,
        host: Option<i64>,
    ) -> Result<()> {
        const HELD: &str = "SELECT host_id, cpu_mhz, ram_bytes FROM host_reservation \
             WHERE instance_id = $1";
        let held = on_conn!(self, |c| sqlx::query_as::<_, (i64, i64, i64)>(HELD)
            .bind(instance_id)
            .fetch_all(&mut **c)
            .await?);
        for (host_id, cpu, ram) in held {
            if host.is_some_and(|h| h != host_id) {
                continue;
            }
            const DROP: &str =
                "DELETE FROM host_reservation WHERE instance_id = $1 AND host_id = $2";
            let dropped = on_conn!(self, |c| sqlx::query(DROP)
                .bind(instance_id)
                .bind(host_id)
                .execute(&mut **c)
                .await?
                .rows_affected());
            if dropped == 1 {
                const GIVE: &str = "UPDATE host SET cpu_used_mhz = cpu_used_mhz - $1, \
                     ram_used_bytes = ram_used_bytes - $2 WHERE id = $3";
                on_conn!(self, |c| sqlx::query(GIVE)
                    .bind(cpu)
                    .bind(ram)
                    .bind(host_id)
                    .execute(&mut **c)
                    .await?
                    .rows_affected());
            }
        }
        Ok(())
    }

    /// Takes `bytes` of a pool's (over-provisioned) capacity.
    pub async fn reserve_pool_capacity(
        &mut self,
        pool_id: i64,
        bytes: i64,
        factor: f64,
    ) -> Result<bool> {
        const SQL: &str = "UPDATE storage_pool SET allocated_bytes = allocated_bytes + $1 \
             WHERE id = $2 AND allocated_bytes + $1 <= (capacity_bytes / 1000) * $3";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(bytes)
            .bind(pool_id)
            .bind(per_mille(factor))
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    pub async fn release_pool_capacity(&mut self, pool_id: i64, bytes: i64) -> Result<()> {
        const SQL: &str = "UPDATE storage_pool SET allocated_bytes = \
             CASE WHEN allocated_bytes > $1 THEN allocated_bytes - $1 ELSE 0 END WHERE id = $2";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(bytes)
            .bind(pool_id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Live VMs of an account per host, for the user-dispersing planner.
    pub async fn account_vms_per_host(&mut self, account_id: i64) -> Result<Vec<(i64, i64)>> {
        const SQL: &str = "SELECT host_id, COUNT(*) FROM vm_instance WHERE account_id = $1 \
             AND removed IS NULL AND host_id IS NOT NULL GROUP BY host_id";
        Ok(on_conn!(self, |c| sqlx::query_as::<_, (i64, i64)>(SQL)
            .bind(account_id)
            .fetch_all(&mut **c)
            .await?))
    }
}

fn per_mille(factor: f64) -> i64 {
    (factor * 1000.0).round() as i64
}
