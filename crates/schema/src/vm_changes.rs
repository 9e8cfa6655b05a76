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
}
