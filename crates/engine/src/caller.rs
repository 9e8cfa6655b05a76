//! The authenticated caller of a command.

use strato_api::spec::Roles;
use strato_schema::user::UserRow;

/// CloudStack's role types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleType {
    Admin,
    ResourceAdmin,
    DomainAdmin,
    User,
}

impl RoleType {
    pub const ALL: [RoleType; 4] = [
        RoleType::Admin,
        RoleType::ResourceAdmin,
        RoleType::DomainAdmin,
        RoleType::User,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RoleType::Admin => "Admin",
            RoleType::ResourceAdmin => "ResourceAdmin",
            RoleType::DomainAdmin => "DomainAdmin",
            RoleType::User => "User",
        }
    }

    /// Parses a role type name, case-insensitively.
    pub fn parse(s: &str) -> Option<RoleType> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
    }

    pub fn mask(self) -> Roles {
        match self {
            RoleType::Admin => Roles::ADMIN,
            RoleType::ResourceAdmin => Roles::RESOURCE_ADMIN,
            RoleType::DomainAdmin => Roles::DOMAIN_ADMIN,
            RoleType::User => Roles::USER,
        }
    }

    /// The account type CloudStack pairs with this role type.
    pub fn account_type(self) -> i64 {
        match self {
            RoleType::Admin => 1,
            RoleType::ResourceAdmin => 3,
            RoleType::DomainAdmin => 2,
            RoleType::User => 0,
        }
    }

    pub fn from_account_type(t: i64) -> Option<RoleType> {
        match t {
            0 => Some(RoleType::User),
            1 => Some(RoleType::Admin),
            2 => Some(RoleType::DomainAdmin),
            3 => Some(RoleType::ResourceAdmin),
            _ => None,
        }
    }
}

/// Who is calling. Built from the user row at authentication.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user_id: i64,
    pub user_uuid: String,
    pub username: String,
    pub account_id: i64,
    pub account_uuid: String,
    pub account_name: String,
    pub account_type: i64,
    pub role_id: i64,
    pub role_type: RoleType,
    pub domain_id: i64,
    pub domain_uuid: String,
    /// Internal domain path (`/`, `/Sales/`), for subtree checks.
    pub domain_path: String,
}

impl Caller {
    pub fn from_user(u: &UserRow) -> Caller {
        Caller {
            user_id: u.id,
            user_uuid: u.uuid.clone(),
            username: u.username.clone(),
            account_id: u.account_id,
            account_uuid: u.account_uuid.clone(),
            account_name: u.account_name.clone(),
            account_type: u.account_type,
            role_id: u.role_id,
            role_type: RoleType::parse(&u.role_type).unwrap_or(RoleType::User),
            domain_id: u.domain_id,
            domain_uuid: u.domain_uuid.clone(),
            domain_path: u.domain_path.clone(),
        }
    }

    pub fn is_root_admin(&self) -> bool {
        self.role_type == RoleType::Admin
    }

    /// Domain admins and resource admins administer a domain subtree.
    pub fn is_domain_admin(&self) -> bool {
        matches!(
            self.role_type,
            RoleType::DomainAdmin | RoleType::ResourceAdmin
        )
    }
}
