//! Single-column changes of a VM record by the lifecycle commands (key pairs, ISO,
//! owner); each is optimistic on `update_count` where a user races another change.

use crate::{Conn, Result, on_conn};

impl Conn<'_> {
    /// resetSSHKeyForVirtualMachine (false on a lost race).
    pub async fn set_vm_keypairs(&mut self, id: i64, seen: i64, keypairs: &str) -> Result<bool> {
        const SQL: &str = "UPDATE vm_instance SET keypairs = $1, \
             update_count = update_count + 1 WHERE id = $2 AND update_count = $3";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(keypairs)
            .bind(id)
            .bind(seen)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    /// Puts an ISO in the VM's empty slot; true also when that ISO is there already
    /// (a replay), false when another one is.
    pub async fn claim_vm_iso(&mut self, id: i64, iso_id: i64) -> Result<bool> {
        const SQL: &str = "UPDATE vm_instance SET iso_id = $1, update_count = update_count + 1 \
             WHERE id = $2 AND (iso_id IS NULL OR iso_id = $1)";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(iso_id)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    /// Empties the VM's ISO slot if it holds this ISO.
    pub async fn release_vm_iso(&mut self, id: i64, iso_id: i64) -> Result<()> {
        const SQL: &str = "UPDATE vm_instance SET iso_id = NULL, \
             update_count = update_count + 1 WHERE id = $1 AND iso_id = $2";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(id)
            .bind(iso_id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Makes `new_root` the VM's root volume (device 0) in place of `old_root`, which
    /// is left detached.
    pub async fn swap_root_volume(
        &mut self,
        vm_id: i64,
        old_root: i64,
        new_root: i64,
    ) -> Result<()> {
        const DETACH: &str = "UPDATE volume SET instance_id = NULL, device_id = NULL WHERE id = $1";
        on_conn!(self, |c| sqlx::query(DETACH)
            .bind(old_root)
            .execute(&mut **c)
            .await?
            .rows_affected());
        const ATTACH: &str = "UPDATE volume SET instance_id = $1, device_id = 0 WHERE id = $2";
        on_conn!(self, |c| sqlx::query(ATTACH)
            .bind(vm_id)
            .bind(new_root)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// The template (and its guest OS) a restored VM now runs.
    pub async fn set_vm_template(
        &mut self,
        id: i64,
        template_id: i64,
        guest_os_id: i64,
    ) -> Result<()> {
        const SQL: &str = "UPDATE vm_instance SET template_id = $1, guest_os_id = $2, \
             update_count = update_count + 1 WHERE id = $3";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(template_id)
            .bind(guest_os_id)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Snapshots that tie a VM to its owner: its VM snapshots and its volumes'
    /// snapshots.
    pub async fn count_vm_and_volume_snapshots(&mut self, vm_id: i64) -> Result<i64> {
        const SQL: &str = "SELECT (SELECT COUNT(*) FROM vm_snapshot WHERE vm_id = $1 \
             AND removed IS NULL) + (SELECT COUNT(*) FROM snapshots s JOIN volume v \
             ON v.id = s.volume_id WHERE v.instance_id = $1 AND v.removed IS NULL \
             AND s.removed IS NULL)";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(vm_id)
            .fetch_one(&mut **c)
            .await?))
    }

    /// Gives a stopped VM and its volumes to another account (false if the VM changed
    /// or is no longer stopped).
    pub async fn move_vm_owner(
        &mut self,
        vm_id: i64,
        seen: i64,
        account_id: i64,
        domain_id: i64,
    ) -> Result<bool> {
        const VM: &str = "UPDATE vm_instance SET account_id = $1, domain_id = $2, \
             instance_group = NULL, keypairs = NULL, update_count = update_count + 1 \
             WHERE id = $3 AND update_count = $4 AND state = 'Stopped'";
        let moved = on_conn!(self, |c| sqlx::query(VM)
            .bind(account_id)
            .bind(domain_id)
            .bind(vm_id)
            .bind(seen)
            .execute(&mut **c)
            .await?
            .rows_affected());
        if moved != 1 {
            return Ok(false);
        }
        const VOLUMES: &str = "UPDATE volume SET account_id = $1, domain_id = $2 \
             WHERE instance_id = $3 AND removed IS NULL";
        on_conn!(self, |c| sqlx::query(VOLUMES)
            .bind(account_id)
            .bind(domain_id)
            .bind(vm_id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(true)
    }
}
