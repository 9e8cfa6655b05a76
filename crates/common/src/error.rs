//! The one domain error of Strato, shaped like CloudStack's `ServerApiException`.
//!
//! Every failure a client can see is an [`ApiError`]: an HTTP-agnostic error code from
//! CloudStack's `ApiErrorCode` table, the `cserrorcode` of the exception class CloudStack
//! would have raised, and a text meant for the caller. Internal details (SQL errors, I/O
//! errors) are logged where they happen and never copied into `text`.

use serde::{Deserialize, Serialize};

/// CloudStack's `ApiErrorCode`: the value is both the `errorcode` field and the HTTP status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorCode {
    BadRequest,
    Unauthorized,
    MethodNotAllowed,
    ApiLimitExceeded,
    MalformedParameter,
    ParamError,
    UnsupportedAction,
    ServiceUnavailable,
    Internal,
    AccountError,
    AccountResourceLimit,
    InsufficientCapacity,
    ResourceUnavailable,
    ResourceAllocation,
    ResourceInUse,
    NetworkRuleConflict,
}

impl ErrorCode {
    pub fn as_u16(self) -> u16 {
        match self {
            ErrorCode::BadRequest => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::ApiLimitExceeded => 429,
            ErrorCode::MalformedParameter => 430,
            ErrorCode::ParamError => 431,
            ErrorCode::UnsupportedAction => 432,
            ErrorCode::ServiceUnavailable => 503,
            ErrorCode::Internal => 530,
            ErrorCode::AccountError => 531,
            ErrorCode::AccountResourceLimit => 532,
            ErrorCode::InsufficientCapacity => 533,
            ErrorCode::ResourceUnavailable => 534,
            ErrorCode::ResourceAllocation => 535,
            ErrorCode::ResourceInUse => 536,
            ErrorCode::NetworkRuleConflict => 537,
        }
    }
}

/// `cserrorcode` values (CloudStack's exception-class numbers) that Strato raises.
pub mod cs {
    pub const CLOUD_RUNTIME: i32 = 4250;
    pub const CONCURRENT_OPERATION: i32 = 4300;
    pub const INVALID_PARAMETER_VALUE: i32 = 4350;
    pub const PERMISSION_DENIED: i32 = 4365;
    pub const RESOURCE_IN_USE: i32 = 4375;
    pub const UNAVAILABLE_COMMAND: i32 = 4555;
    /// A bare `ServerApiException` (missing parameter, bad paging, 432 role denial).
    pub const SERVER_API: i32 = 9999;
}

/// An entity named in an error: CloudStack's `uuidList` entries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorUuid {
    pub uuid: String,
    pub property: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: ErrorCode,
    /// Absent for credential/signature failures, as in CloudStack.
    pub cs_code: Option<i32>,
    pub text: String,
    pub uuids: Vec<ErrorUuid>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code.as_u16(), self.text)
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    pub fn new(code: ErrorCode, cs_code: Option<i32>, text: impl Into<String>) -> Self {
        ApiError {
            code,
            cs_code,
            text: text.into(),
            uuids: Vec::new(),
        }
    }

    /// 431 for a bad parameter value (CloudStack's `InvalidParameterValueException`).
    pub fn param(text: impl Into<String>) -> Self {
        Self::new(
            ErrorCode::ParamError,
            Some(cs::INVALID_PARAMETER_VALUE),
            text,
        )
    }

    /// 431 for a required parameter that was not sent.
    pub fn missing_param(command: &str, name: &str) -> Self {
        Self::new(
            ErrorCode::ParamError,
            Some(cs::SERVER_API),
            format!(
                "Unable to execute API command {} due to missing parameter {name}",
                command.to_ascii_lowercase()
            ),
        )
    }

    /// 431 for an id that names nothing the caller can see.
    pub fn not_found(param: &str, value: &str, what: &str) -> Self {
        Self::param(format!(
            "Invalid parameter {param} value={value}: no {what} with this id exists"
        ))
    }

    /// 401 for bad or missing credentials; deliberately says nothing more.
    pub fn unauthorized() -> Self {
        Self::new(
            ErrorCode::Unauthorized,
            None,
            "unable to verify user credentials and/or request signature",
        )
    }

    /// 531 for a caller that may not act on the resource (`PermissionDeniedException`).
    pub fn permission(text: impl Into<String>) -> Self {
        Self::new(ErrorCode::AccountError, Some(cs::PERMISSION_DENIED), text)
    }

    /// 432 for a command the caller's role does not allow, or that does not exist.
    pub fn unavailable_command(command: &str) -> Self {
        Self::new(
            ErrorCode::UnsupportedAction,
            Some(cs::UNAVAILABLE_COMMAND),
            format!("The API [{command}] does not exist or is not available for the account."),
        )
    }

    /// 530 with a text that hides internals; the cause is logged by the caller.
    pub fn internal(text: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, Some(cs::CLOUD_RUNTIME), text)
    }

    /// 536 for a resource that still holds others.
    pub fn in_use(text: impl Into<String>) -> Self {
        Self::new(ErrorCode::ResourceInUse, Some(cs::RESOURCE_IN_USE), text)
    }

    pub fn with_uuid(mut self, uuid: impl Into<String>, property: impl Into<String>) -> Self {
        self.uuids.push(ErrorUuid {
            uuid: uuid.into(),
            property: property.into(),
        });
        self
    }
}
