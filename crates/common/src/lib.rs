//! Types shared by every Strato crate: the CloudStack-facing error and the date format.

pub mod error;
pub mod time;

pub use error::{ApiError, ErrorCode};
