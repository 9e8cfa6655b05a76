//! Hosts: hypervisor hosts announced by agents, with their connection status
//! (`status`: Connecting, Up, Alert, Disconnected, Down) and administrative state
//! (`resource_state`: Enabled, Disabled, PrepareForMaintenance, Maintenance, …).

use chrono::{DateTime, Utc};

use crate::sql::{Bind, Page, Sql};
use crate::{Conn, Result, on_conn};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct HostRow {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub guid: String,
    pub host_type: String,
    pub zone_id: i64,
    pub zone_uuid: String,
    pub zone_name: String,
    pub pod_id: Option<i64>,
    pub pod_uuid: Option<String>,
    pub pod_name: Option<String>,
    pub cluster_id: Option<i64>,
    pub cluster_uuid: Option<String>,
    pub cluster_name: Option<String>,
    pub cluster_type: Option<String>,
    pub hypervisor: String,
    pub hypervisor_version: Option<String>,
    pub status: String,
    pub resource_state: String,
    pub cpu_sockets: i64,
    pub cpus: i64,
    pub cpu_speed: i64,
    pub ram: i64,
    /// Held by VMs placed here (host_reservation), in MHz and bytes.
    pub cpu_used_mhz: i64,
    pub ram_used_bytes: i64,
    pub local_storage: i64,
    pub arch: String,
    pub private_ip: Option<String>,
    pub url: String,
    pub agent_version: Option<String>,
    pub mgmt_server: Option<String>,
    pub last_ping: Option<DateTime<Utc>>,
    pub disconnected: Option<DateTime<Utc>>,
    pub created: DateTime<Utc>,
    pub update_count: i64,
}

const SELECT: &str = "SELECT h.id, h.uuid, h.name, h.guid, h.host_type, h.zone_id, \
     z.uuid AS zone_uuid, z.name AS zone_name, h.pod_id, p.uuid AS pod_uuid, p.name AS pod_name, \
     h.cluster_id, c.uuid AS cluster_uuid, c.name AS cluster_name, c.cluster_type, h.hypervisor, \
     h.hypervisor_version, h.status, h.resource_state, h.cpu_sockets, h.cpus, h.cpu_speed, h.ram, \
     h.cpu_used_mhz, h.ram_used_bytes, h.local_storage, h.arch, h.private_ip, h.url, h.agent_version, h.mgmt_server, h.last_ping, \
     h.disconnected, h.created, h.update_count \
     FROM host h JOIN zone z ON z.id = h.zone_id LEFT JOIN pod p ON p.id = h.pod_id \
     LEFT JOIN cluster c ON c.id = h.cluster_id WHERE h.removed IS NULL";

#[derive(Clone, Debug, Default)]
pub struct HostFilter {
    pub uuid: Option<String>,
    pub zone_id: Option<i64>,
    pub pod_id: Option<i64>,
    pub cluster_id: Option<i64>,
    pub name: Option<String>,
    pub host_type: Option<String>,
    pub status: Option<String>,
    pub resource_state: Option<String>,
    pub hypervisor: Option<String>,
    pub mgmt_server: Option<String>,
    pub keyword: Option<String>,
}

impl HostFilter {
    fn apply(&self, sql: &mut Sql) {
        if let Some(u) = &self.uuid {
            sql.and("h.uuid = ?", Bind::Str(u.clone()));
        }
        for (col, v) in [
            ("h.zone_id", self.zone_id),
            ("h.pod_id", self.pod_id),
            ("h.cluster_id", self.cluster_id),
        ] {
            if let Some(v) = v {
                sql.and(&format!("{col} = ?"), Bind::I64(v));
            }
        }
        if let Some(n) = &self.name {
            sql.and("h.name = ?", Bind::Str(n.clone()));
        }
        for (col, v) in [
            ("h.host_type", &self.host_type),
            ("h.status", &self.status),
            ("h.resource_state", &self.resource_state),
            ("h.hypervisor", &self.hypervisor),
        ] {
            if let Some(v) = v {
                sql.and(&format!("lower({col}) = ?"), Bind::Str(v.to_lowercase()));
            }
        }
        if let Some(m) = &self.mgmt_server {
            sql.and("h.mgmt_server = ?", Bind::Str(m.clone()));
        }
        if let Some(k) = &self.keyword {
            sql.and("lower(h.name) LIKE ?", Bind::Str(crate::domain::like(k)));
        }
    }
}

pub struct NewHost<'a> {
    pub uuid: &'a str,
    pub name: &'a str,
    pub guid: &'a str,
    pub zone_id: i64,
    pub pod_id: Option<i64>,
    pub cluster_id: Option<i64>,
    pub hypervisor: &'a str,
    pub hypervisor_version: Option<&'a str>,
    pub resource_state: &'a str,
    pub cpu_sockets: i64,
    pub cpus: i64,
    pub cpu_speed: i64,
    pub ram: i64,
    pub local_storage: i64,
    pub arch: &'a str,
    pub private_ip: Option<&'a str>,
    pub url: &'a str,
    pub agent_version: Option<&'a str>,
}

/// What a connecting agent reports about a host.
pub struct Announced<'a> {
    pub cpus: i64,
    pub cpu_speed: i64,
    pub ram: i64,
    pub version: &'a str,
}

/// A host moved by [`Conn::set_host_status_returning`].
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MovedHost {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub zone_id: i64,
    pub pod_id: Option<i64>,
    pub cluster_id: Option<i64>,
}

fn status_update(ids: &[i64], from: &[&str], to: &str, now: DateTime<Utc>) -> Sql {
    let mut sql = Sql::new("UPDATE host SET update_count = update_count + 1");
    sql.push_bind(", status = ?", [Bind::Str(to.into())]);
    if to == "Up" {
        sql.push_bind(", last_ping = ?, disconnected = NULL", [Bind::Time(now)]);
    } else if matches!(to, "Alert" | "Disconnected") {
        sql.push_bind(", disconnected = ?", [Bind::Time(now)]);
    }
    sql.push(" WHERE removed IS NULL");
    sql.and_in("id", ids.iter().map(|i| Bind::I64(*i)).collect());
    sql.and_in(
        "status",
        from.iter().map(|s| Bind::Str((*s).into())).collect(),
    );
    sql
}

impl Conn<'_> {
    pub async fn insert_host(&mut self, h: &NewHost<'_>, now: DateTime<Utc>) -> Result<i64> {
        const SQL: &str = "INSERT INTO host (uuid, name, guid, host_type, zone_id, pod_id, cluster_id, \
             hypervisor, hypervisor_version, status, resource_state, cpu_sockets, cpus, cpu_speed, ram, \
             local_storage, arch, private_ip, url, agent_version, created) \
             VALUES ($1, $2, $3, 'Routing', $4, $5, $6, $7, $8, 'Connecting', $9, $10, $11, $12, $13, \
             $14, $15, $16, $17, $18, $19) RETURNING id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(h.uuid)
            .bind(h.name)
            .bind(h.guid)
            .bind(h.zone_id)
            .bind(h.pod_id)
            .bind(h.cluster_id)
            .bind(h.hypervisor)
            .bind(h.hypervisor_version)
            .bind(h.resource_state)
            .bind(h.cpu_sockets)
            .bind(h.cpus)
            .bind(h.cpu_speed)
            .bind(h.ram)
            .bind(h.local_storage)
            .bind(h.arch)
            .bind(h.private_ip)
            .bind(h.url)
            .bind(h.agent_version)
            .bind(now)
            .fetch_one(&mut **c)
            .await?))
    }

    async fn host_where(&mut self, cond: &str, v: Bind) -> Result<Option<HostRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and(cond, v);
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn host_by_id(&mut self, id: i64) -> Result<Option<HostRow>> {
        self.host_where("h.id = ?", Bind::I64(id)).await
    }

    pub async fn host_by_uuid(&mut self, uuid: &str) -> Result<Option<HostRow>> {
        self.host_where("h.uuid = ?", Bind::Str(uuid.into())).await
    }

    pub async fn host_by_guid(&mut self, guid: &str) -> Result<Option<HostRow>> {
        self.host_where("h.guid = ?", Bind::Str(guid.into())).await
    }

    pub async fn list_hosts(&mut self, f: &HostFilter, page: Page) -> Result<(i64, Vec<HostRow>)> {
        let mut count = Sql::new("SELECT COUNT(*) FROM host h WHERE h.removed IS NULL");
        f.apply(&mut count);
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(SELECT);
        f.apply(&mut sql);
        sql.push(" ORDER BY h.id");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    /// Names the management server that will connect host `id` itself (a simulated host
    /// added in-process), so the host monitor never takes it for an orphan meanwhile.
    pub async fn claim_host(&mut self, id: i64, msid: &str) -> Result<()> {
        const SQL: &str = "UPDATE host SET mgmt_server = $1 WHERE id = $2";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(msid)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Records what a (re)connecting agent announced and that this server now holds it.
    pub async fn host_connected(
        &mut self,
        id: i64,
        msid: &str,
        a: &Announced<'_>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        const SQL: &str = "UPDATE host SET status = 'Connecting', mgmt_server = $1, cpus = $2, \
             cpu_speed = $3, ram = $4, agent_version = $5, last_ping = $6, disconnected = NULL, \
             update_count = update_count + 1 WHERE id = $7 AND removed IS NULL";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(msid)
            .bind(a.cpus)
            .bind(a.cpu_speed)
            .bind(a.ram)
            .bind(a.version)
            .bind(now)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Moves hosts from one status to another (only those currently in `from`).
    pub async fn set_host_status(
        &mut self,
        ids: &[i64],
        from: &[&str],
        to: &str,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        self.execute(&status_update(ids, from, to, now)).await
    }

    /// [`Conn::set_host_status`], returning the hosts this statement moved (another
    /// server may have moved some of `ids` first).
    pub async fn set_host_status_returning(
        &mut self,
        ids: &[i64],
        from: &[&str],
        to: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<MovedHost>> {
        let mut sql = status_update(ids, from, to, now);
        sql.push(" RETURNING id, uuid, name, zone_id, pod_id, cluster_id");
        self.fetch_all(&sql).await
    }

    /// Hosts whose connection dropped before `before` and are still Alert/Disconnected.
    pub async fn hosts_down_since(&mut self, before: DateTime<Utc>) -> Result<Vec<i64>> {
        Ok(on_conn!(self, |c| {
            sqlx::query_scalar::<_, i64>(
            "SELECT id FROM host WHERE removed IS NULL AND status IN ('Alert', 'Disconnected') AND disconnected < $1"
        )
        .bind(before)
        .fetch_all(&mut **c)
        .await?
        }))
    }

    /// Refreshes `last_ping` of every Up host whose agent this server holds.
    pub async fn touch_host_pings(&mut self, msid: &str, now: DateTime<Utc>) -> Result<u64> {
        Ok(on_conn!(self, |c| {
            sqlx::query(
            "UPDATE host SET last_ping = $1 WHERE mgmt_server = $2 AND status = 'Up' AND removed IS NULL"
        )
        .bind(now)
        .bind(msid)
        .execute(&mut **c)
        .await?
        .rows_affected()
        }))
    }

    /// Hosts held by servers that are no longer alive: they lost their agent connection.
    pub async fn orphaned_hosts(&mut self, live_since: DateTime<Utc>) -> Result<Vec<i64>> {
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(
            "SELECT id FROM host WHERE removed IS NULL AND status IN ('Up', 'Connecting') \
             AND (mgmt_server IS NULL OR mgmt_server NOT IN \
             (SELECT uuid FROM mshost WHERE state = 'Up' AND last_heartbeat >= $1))"
        )
        .bind(live_since)
        .fetch_all(&mut **c)
        .await?))
    }

    pub async fn update_host_admin(&mut self, h: &HostRow) -> Result<bool> {
        const SQL: &str = "UPDATE host SET name = $1, resource_state = $2, update_count = update_count + 1 \
             WHERE id = $3 AND update_count = $4 AND removed IS NULL";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(&h.name)
            .bind(&h.resource_state)
            .bind(h.id)
            .bind(h.update_count)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    pub async fn host_tags(&mut self, host_ids: &[i64]) -> Result<Vec<(i64, String)>> {
        let mut sql = Sql::new("SELECT host_id, tag FROM host_tag WHERE 1 = 1");
        sql.and_in("host_id", host_ids.iter().map(|i| Bind::I64(*i)).collect());
        sql.push(" ORDER BY host_id, tag");
        self.fetch_all::<(i64, String)>(&sql).await
    }

    pub async fn set_host_tags(&mut self, host_id: i64, tags: &[String]) -> Result<()> {
        on_conn!(self, |c| sqlx::query(
            "DELETE FROM host_tag WHERE host_id = $1"
        )
        .bind(host_id)
        .execute(&mut **c)
        .await?
        .rows_affected());
        for t in tags {
            on_conn!(self, |c| {
                sqlx::query("INSERT INTO host_tag (host_id, tag, is_implicit) VALUES ($1, $2, FALSE) ON CONFLICT DO NOTHING")
                .bind(host_id)
                .bind(t)
                .execute(&mut **c)
                .await?
                .rows_affected()
            });
        }
        Ok(())
    }

    /// Distinct host tags in use (listHostTags).
    pub async fn all_host_tags(&mut self) -> Result<Vec<(i64, String)>> {
        self.fetch_all::<(i64, String)>(&Sql::new(
            "SELECT t.host_id, t.tag FROM host_tag t JOIN host h ON h.id = t.host_id WHERE h.removed IS NULL ORDER BY t.tag",
        ))
        .await
    }

    pub async fn detail(
        &mut self,
        resource_type: &str,
        id: i64,
        name: &str,
    ) -> Result<Option<String>> {
        Ok(on_conn!(self, |c| {
            sqlx::query_scalar::<_, String>(
            "SELECT value FROM resource_detail WHERE resource_type = $1 AND resource_id = $2 AND name = $3"
        )
        .bind(resource_type)
        .bind(id)
        .bind(name)
        .fetch_optional(&mut **c)
        .await?
        }))
    }

    pub async fn delete_detail(&mut self, resource_type: &str, id: i64, name: &str) -> Result<()> {
        const SQL: &str = "DELETE FROM resource_detail WHERE resource_type = $1 \
             AND resource_id = $2 AND name = $3";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(resource_type)
            .bind(id)
            .bind(name)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    pub async fn set_detail(
        &mut self,
        resource_type: &str,
        id: i64,
        name: &str,
        value: &str,
    ) -> Result<()> {
        const SQL: &str = "INSERT INTO resource_detail (resource_type, resource_id, name, value) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (resource_type, resource_id, name) DO UPDATE SET value = excluded.value";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(resource_type)
            .bind(id)
            .bind(name)
            .bind(value)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }
}
