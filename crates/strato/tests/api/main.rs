//! API tests: every test starts a management server in-process on a fresh database and
//! talks to it over HTTP, as a client would.

mod common;

mod access;
mod auth;
mod envelopes;
mod identity;
mod jobs;
