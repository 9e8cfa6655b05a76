//! The management server's HTTP side: `/client/api` (CloudStack's query API), the
//! optional unauthenticated integration port, the console proxy, and start-up of the
//! whole server.

pub mod api;
pub mod console;
pub mod cookies;
pub mod extract;
pub mod start;
pub mod upload;

pub use start::{AgentTls, RunningServer, ServerConfig, start};
