//! Test fixtures for code that talks to other hosts: a network namespace with a
//! private address reachable from the test ([`NetnsHost`]), an HTTP server running
//! inside it ([`HttpServer`]), and disk image makers ([`make_qcow2`], [`make_iso`], …).
//!
//! Needs root (for `ip netns`), iproute2, python3 and qemu-img. Without them the
//! constructors return an error: tests should fail on it, not skip.

mod images;
mod netns;
mod server;

pub use images::{
    make_image, make_iso, make_qcow2, make_qcow2_with_backing, make_qcow2_with_data_file,
};
pub use netns::NetnsHost;
pub use server::{HTTP_PORT, HTTPS_PORT, HttpServer};
