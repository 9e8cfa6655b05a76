//! The owner restriction of list queries over account-owned rows (key pairs, groups,
//! tags): the SQL side of the engine's `access::list_scope`.

use crate::sql::{Bind, Sql};

#[derive(Clone, Debug, Default)]
pub struct OwnerScope {
    /// Only rows whose owner's domain path starts with this.
    pub subtree: Option<String>,
    /// Only rows of accounts of this domain (not its sub-domains).
    pub domain_id: Option<i64>,
    pub account_id: Option<i64>,
    /// Leave out rows of root admins' accounts, except this account's.
    pub hide_root_admins_except: Option<i64>,
}

impl OwnerScope {
    /// Appends the conditions; `a` and `d` alias the owning account and its domain.
    pub fn apply(&self, sql: &mut Sql, a: &str, d: &str) {
        if let Some(p) = &self.subtree {
            sql.and_prefix(&format!("{d}.path"), p);
        }
        if let Some(id) = self.domain_id {
            sql.and(&format!("{d}.id = ?"), Bind::I64(id));
        }
        if let Some(id) = self.account_id {
            sql.and(&format!("{a}.id = ?"), Bind::I64(id));
        }
        if let Some(own) = self.hide_root_admins_except {
            sql.push(" AND (");
            sql.push_bind(
                &format!("{a}.account_type <> 1 OR {a}.id = ?"),
                [Bind::I64(own)],
            );
            sql.push(")");
        }
    }
}
