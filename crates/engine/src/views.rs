//! Database rows as API response objects (CloudStack's field names).

use strato_api::response::{Node, Obj};
use strato_schema::account::AccountRow;
use strato_schema::domain::{DomainRow, display_path};
use strato_schema::event::EventRow;
use strato_schema::role::{PermissionRow, RoleRow};
use strato_schema::user::UserRow;

use crate::caller::Caller;
use crate::limits::{self, ResourceType, Usage};

pub fn domain(d: &DomainRow) -> Obj {
    Obj::new("domain")
        .str("id", &d.uuid)
        .str("name", &d.name)
        .int("level", d.level)
        .opt_str("parentdomainid", d.parent_uuid.clone())
        .opt_str("parentdomainname", d.parent_name.clone())
        .bool("haschild", d.child_count > 0)
        .opt_str("networkdomain", d.network_domain.clone())
        .str("path", d.display_path())
        .str("state", &d.state)
        .date("created", &d.created)
}

pub fn user(u: &UserRow, caller: &Caller) -> Obj {
    Obj::new("user")
        .str("id", &u.uuid)
        .str("username", &u.username)
        .str("firstname", &u.firstname)
        .str("lastname", &u.lastname)
        .opt_str("email", u.email.clone())
        .str("state", &u.state)
        .str("account", &u.account_name)
        .str("accountid", &u.account_uuid)
        .int("accounttype", u.account_type)
        .str("roleid", &u.role_uuid)
        .str("rolename", &u.role_name)
        .str("roletype", &u.role_type)
        .str("domain", &u.domain_name)
        .str("domainid", &u.domain_uuid)
        .date("created", &u.created)
        .opt_str("timezone", u.timezone.clone())
        .opt_str("apikey", u.api_key.clone())
        .str("apikeyaccess", key_access(&u.api_key_access))
        .bool("isdefault", u.is_default)
        .bool(
            "iscallerchilddomain",
            u.domain_path != caller.domain_path && u.domain_path.starts_with(&caller.domain_path),
        )
        .str("usersource", &u.source)
        .bool("is2faenabled", false)
        .bool("is2famandated", false)
}

fn key_access(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("Inherit")
}

pub fn account(
    a: &AccountRow,
    users: &[UserRow],
    details: &[(String, String)],
    caller: &Caller,
) -> Obj {
    let mut o = Obj::new("account")
        .str("id", &a.uuid)
        .str("name", &a.name)
        .int("accounttype", a.account_type)
        .str("roleid", &a.role_uuid)
        .str("rolename", &a.role_name)
        .str("roletype", &a.role_type)
        .str("domainid", &a.domain_uuid)
        .str("domain", &a.domain_name)
        .str("domainpath", display_path(&a.domain_path))
        .str("state", &a.state)
        .opt_str("networkdomain", a.network_domain.clone());
    if !details.is_empty() {
        o = o.node("accountdetails", Node::Map(details.to_vec()));
    }
    o.bool("isdefault", a.is_default)
        .str("apikeyaccess", key_access(&a.api_key_access))
        .date("created", &a.created)
        .node("groups", Node::Strs(Vec::new()))
        .node(
            "user",
            Node::Objs(
                users
                    .iter()
                    .filter(|u| u.account_id == a.id)
                    .map(|u| user(u, caller))
                    .collect(),
            ),
        )
}

/// Adds `<type>limit`, `<type>total` and `<type>available` of every resource type, as
/// account and domain responses carry them: limits and what is left are strings
/// ("Unlimited" for no limit), storage is in GiB (secondary storage's total a float).
pub fn with_usage(mut o: Obj, u: &Usage) -> Obj {
    for t in ResourceType::ALL {
        let p = t.field_prefix();
        let (limit, count) = (u.limit(t), u.count(t));
        let unlimited = limit == limits::UNLIMITED;
        let (total, available) = match t {
            ResourceType::SecondaryStorage => {
                let used = count as f64 / limits::GIB as f64;
                let left = (limit / limits::GIB) as f64 - used;
                // Java's float text, as CloudStack prints it: "398.0".
                (Node::Float(used), format!("{left:?}"))
            }
            ResourceType::PrimaryStorage => {
                let used = count / limits::GIB;
                (Node::Int(used), (limit / limits::GIB - used).to_string())
            }
            _ => (Node::Int(count), (limit - count).to_string()),
        };
        let shown_limit = if t.is_storage() {
            limit / limits::GIB
        } else {
            limit
        };
        let text = |v: String| if unlimited { "Unlimited".into() } else { v };
        o = o
            .str(&format!("{p}limit"), text(shown_limit.to_string()))
            .node(&format!("{p}total"), total)
            .str(&format!("{p}available"), text(available));
    }
    o
}

pub fn role(r: &RoleRow) -> Obj {
    Obj::new("role")
        .str("id", &r.uuid)
        .str("name", &r.name)
        .str("type", &r.role_type)
        .opt_str("description", r.description.clone())
        .bool("isdefault", r.is_default)
        .bool("ispublic", r.is_public)
        .str("state", &r.state)
}

pub fn permission(p: &PermissionRow) -> Obj {
    Obj::new("rolepermission")
        .str("id", &p.uuid)
        .str("roleid", &p.role_uuid)
        .str("rolename", &p.role_name)
        .str("rule", &p.rule)
        .str("permission", &p.permission)
        .opt_str("description", p.description.clone())
}

pub fn event(e: &EventRow) -> Obj {
    Obj::new("event")
        .str("id", &e.uuid)
        .str("type", &e.event_type)
        .str("level", &e.level)
        .str("state", &e.state)
        .str("description", &e.description)
        .opt_str("username", e.username.clone())
        .opt_str("account", e.account_name.clone())
        .opt_str("domainid", e.domain_uuid.clone())
        .opt_str("domain", e.domain_name.clone())
        .opt_str("domainpath", e.domain_path.as_deref().map(display_path))
        .opt_str("resourceid", e.resource_id.clone())
        .opt_str("resourcetype", e.resource_type.clone())
        .opt_str("resourcename", e.resource_name.clone())
        .opt_str("parentid", e.parent_id.clone())
        .bool("archived", e.archived)
        .date("created", &e.created)
}
