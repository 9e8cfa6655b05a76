//! CloudStack API declarations and wire formats, free of I/O.
//!
//! - [`spec`]: how a command is declared (parameters, roles, response shape);
//! - [`commands`]: the declarations of every command Strato implements;
//! - [`params`]: turning request parameters into typed, validated arguments;
//! - [`response`] and [`render`]: the response tree and CloudStack's JSON/XML envelopes;
//! - [`sign`]: request signatures;
//! - [`openapi`]: the OpenAPI document generated from the declarations.

pub mod commands;
pub mod openapi;
pub mod params;
pub mod render;
pub mod response;
pub mod sign;
pub mod spec;
