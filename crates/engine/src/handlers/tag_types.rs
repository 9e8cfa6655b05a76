//! The resource types that can be tagged, each with the resolver that finds a resource
//! of that type by uuid. A new taggable type is one line in [`TAGGABLE`].

use std::future::Future;
use std::pin::Pin;

use strato_common::ApiError;
use strato_schema::Conn;

/// A tagged resource: its internal id and its owner.
#[derive(Clone, Copy, Debug)]
pub struct Tagged {
    pub id: i64,
    pub account_id: i64,
    pub domain_id: i64,
}

pub type ResolveFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Option<Tagged>, ApiError>> + Send + 'a>>;

/// Finds a live resource of one type by uuid.
pub type Resolver = for<'a, 'c> fn(&'a mut Conn<'c>, &'a str) -> ResolveFuture<'a>;

pub struct Taggable {
    /// CloudStack's `ResourceObjectType` name, as stored and shown.
    pub name: &'static str,
    pub resolve: Resolver,
}

/// Taggable types. CloudStack also tags UserVm, Volume, Snapshot, Network, Vpc,
/// PublicIpAddress, ...: they join this list with their tables. Zones are not taggable
/// in CloudStack (metadata only).
pub const TAGGABLE: &[Taggable] = &[
    Taggable {
        name: "Template",
        resolve: template,
    },
    Taggable {
        name: "ISO",
        resolve: iso,
    },
    Taggable {
        name: "UserVm",
        resolve: vm,
    },
];

/// The taggable type named `name` (case-insensitively, as CloudStack matches it).
pub fn find(name: &str) -> Option<&'static Taggable> {
    TAGGABLE
        .iter()
        .find(|t| t.name.eq_ignore_ascii_case(name.trim()))
}

/// The 431 for a type that is not in [`TAGGABLE`].
pub fn unknown(name: &str) -> ApiError {
    let names: Vec<&str> = TAGGABLE.iter().map(|t| t.name).collect();
    ApiError::param(format!(
        "Invalid parameter resourcetype value={name}: not a taggable resource type (one of {})",
        names.join(", ")
    ))
}

fn vm<'a>(c: &'a mut Conn<'_>, uuid: &'a str) -> ResolveFuture<'a> {
    Box::pin(async move {
        Ok(c.vm_by_uuid(uuid).await?.map(|v| Tagged {
            id: v.id,
            account_id: v.account_id,
            domain_id: v.domain_id,
        }))
    })
}

fn template<'a>(c: &'a mut Conn<'_>, uuid: &'a str) -> ResolveFuture<'a> {
    Box::pin(template_row(c, uuid, false))
}

fn iso<'a>(c: &'a mut Conn<'_>, uuid: &'a str) -> ResolveFuture<'a> {
    Box::pin(template_row(c, uuid, true))
}

/// Templates and ISOs share `vm_template`; the format tells them apart.
async fn template_row(c: &mut Conn<'_>, uuid: &str, iso: bool) -> Result<Option<Tagged>, ApiError> {
    Ok(c.template_by_uuid(uuid)
        .await?
        .filter(|t| t.is_iso() == iso)
        .map(|t| Tagged {
            id: t.id,
            account_id: t.account_id,
            domain_id: t.domain_id,
        }))
}
