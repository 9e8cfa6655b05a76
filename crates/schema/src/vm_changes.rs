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
}
