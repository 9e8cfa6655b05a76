//! First-start data, as a fresh CloudStack installation has it: the ROOT domain, the
//! default roles and their rules, the `system` and `admin` accounts and users.
//! Idempotent: runs at every start and only adds what is missing.

use strato_api::spec::CommandSpec;
use strato_common::ApiError;
use strato_schema::account::NewAccount;
use strato_schema::domain::NewDomain;
use strato_schema::role::NewRole;
use strato_schema::user::NewUser;
use strato_schema::{Conn, Store};

use crate::caller::RoleType;
use crate::registry::Registry;
use crate::{password, secrets};

/// The default roles: name, type, and how their rules are made.
enum Rules {
    /// A single `*` allow rule.
    AllowAll,
    /// One allow rule per command the role type may call.
    RoleTypeCommands,
    /// `list*`/`get*` style reads only, then `*` deny.
    ReadOnlyAdmin,
    ReadOnlyUser,
}

const DEFAULT_ROLES: &[(&str, RoleType, &str, Rules)] = &[
    (
        "Root Admin",
        RoleType::Admin,
        "Default root admin role",
        Rules::AllowAll,
    ),
    (
        "Resource Admin",
        RoleType::ResourceAdmin,
        "Default resource admin role",
        Rules::RoleTypeCommands,
    ),
    (
        "Domain Admin",
        RoleType::DomainAdmin,
        "Default domain admin role",
        Rules::RoleTypeCommands,
    ),
    (
        "User",
        RoleType::User,
        "Default user role",
        Rules::RoleTypeCommands,
    ),
    (
        "Read-Only Admin - Default",
        RoleType::Admin,
        "Admin who may only read",
        Rules::ReadOnlyAdmin,
    ),
    (
        "Read-Only User - Default",
        RoleType::User,
        "User who may only read",
        Rules::ReadOnlyUser,
    ),
    (
        "Support Admin - Default",
        RoleType::Admin,
        "Admin for support staff (reads)",
        Rules::ReadOnlyAdmin,
    ),
    (
        "Support User - Default",
        RoleType::User,
        "User for support staff (reads)",
        Rules::ReadOnlyUser,
    ),
];

fn is_read(spec: &CommandSpec) -> bool {
    ["list", "get", "query"]
        .iter()
        .any(|p| spec.name.starts_with(p))
        && !spec.name.starts_with("getUploadParamsFor")
}

/// What the bootstrap did, for the operator.
#[derive(Debug, Default)]
pub struct Report {
    pub created_admin: bool,
}

pub async fn run(store: &Store, registry: &Registry) -> Result<Report, ApiError> {
    store.migrate().await.map_err(|e| {
        tracing::error!(error = %e, "migration failed");
        ApiError::internal(format!("database migration failed: {e}"))
    })?;
    let mut tx = store.begin().await?;
    let mut report = Report::default();
    let now = strato_schema::now();
    let mut c = tx.c();
    if c.domain_by_path("/").await?.is_none() {
        c.insert_domain(
            &NewDomain {
                uuid: &uuid::Uuid::new_v4().to_string(),
                parent_id: None,
                name: "ROOT",
                path: "/",
                level: 0,
                network_domain: None,
            },
            now,
        )
        .await?;
    }
    if c.role_by_id(1).await?.is_none() {
        seed_roles(&mut c, registry).await?;
    }
    if c.account_by_id(1).await?.is_none() {
        // The SYSTEM account and user run internal work; the user can never log in, so
        // its password "hash" is a marker no password verifies against.
        add_account(&mut c, "system", "system", "!no-login", "system", "cloud").await?;
    }
    if c.account_by_id(2).await?.is_none() {
        let admin_password = password::hash("password")?;
        add_account(&mut c, "admin", "admin", &admin_password, "admin", "cloud").await?;
        report.created_admin = true;
    }
    crate::seed_os::run(&mut c).await?;
    crate::seed_offerings::run(&mut c).await?;
    crate::images::seed::run(&mut c).await?;
    tx.commit().await?;
    Ok(report)
}

async fn seed_roles(c: &mut Conn<'_>, registry: &Registry) -> Result<(), ApiError> {
    let now = strato_schema::now();
    for (name, role_type, description, rules) in DEFAULT_ROLES {
        let id = c
            .insert_role(
                &NewRole {
                    uuid: &uuid::Uuid::new_v4().to_string(),
                    name,
                    role_type: role_type.as_str(),
                    description: Some(description),
                    is_default: true,
                    is_public: true,
                },
                now,
            )
            .await?;
        let mut add = async |rule: &str, permission: &str| {
            c.insert_permission(
                &uuid::Uuid::new_v4().to_string(),
                id,
                rule,
                permission,
                None,
            )
            .await
        };
        match rules {
            Rules::AllowAll => {
                add("*", "allow").await?;
            }
            Rules::RoleTypeCommands => {
                for cmd in registry
                    .iter()
                    .filter(|c| c.spec.roles.contains(role_type.mask()))
                {
                    add(cmd.spec.name, "allow").await?;
                }
            }
            Rules::ReadOnlyAdmin => {
                add("getUploadParamsFor*", "deny").await?;
                for rule in ["list*", "get*", "queryAsyncJobResult"] {
                    add(rule, "allow").await?;
                }
                add("*", "deny").await?;
            }
            Rules::ReadOnlyUser => {
                for cmd in registry
                    .iter()
                    .filter(|c| c.spec.roles.contains(RoleType::User.mask()) && is_read(c.spec))
                {
                    add(cmd.spec.name, "allow").await?;
                }
                add("*", "deny").await?;
            }
        }
    }
    Ok(())
}

async fn add_account(
    c: &mut Conn<'_>,
    account: &str,
    username: &str,
    password_hash: &str,
    first: &str,
    last: &str,
) -> Result<(), ApiError> {
    let now = strato_schema::now();
    let id = c
        .insert_account(
            &NewAccount {
                uuid: &uuid::Uuid::new_v4().to_string(),
                name: account,
                account_type: 1,
                role_id: crate::access::ROOT_ADMIN_ROLE_ID,
                domain_id: 1,
                network_domain: None,
                is_default: true,
            },
            now,
        )
        .await?;
    c.insert_user(
        &NewUser {
            uuid: &uuid::Uuid::new_v4().to_string(),
            account_id: id,
            username,
            password_hash,
            firstname: first,
            lastname: last,
            email: None,
            timezone: None,
            state: "enabled",
            is_default: true,
        },
        now,
    )
    .await?;
    Ok(())
}

/// The admin user's API key pair, generated on first use (for `strato quickstart`).
pub async fn admin_keys(store: &Store) -> Result<(String, String), ApiError> {
    let mut tx = store.begin().await?;
    let mut admin = tx
        .c()
        .user_by_id(2)
        .await?
        .ok_or_else(|| ApiError::internal("the admin user is missing"))?;
    if let (Some(k), Some(s)) = (&admin.api_key, &admin.secret_key) {
        return Ok((k.clone(), s.clone()));
    }
    let pair = (secrets::api_key(), secrets::api_key());
    admin.api_key = Some(pair.0.clone());
    admin.secret_key = Some(pair.1.clone());
    tx.c().update_user(&admin).await?;
    tx.commit().await?;
    Ok(pair)
}
