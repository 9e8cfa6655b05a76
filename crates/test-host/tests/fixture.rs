//! The fixture itself: namespace, server paths, clean-up, images.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use strato_test_host::{HTTP_PORT, NetnsHost, make_iso, make_qcow2, make_qcow2_with_backing};

/// A raw HTTP/1.1 GET; returns the whole answer (headers and body) as text.
fn get(host: &NetnsHost, path: &str, extra: &str) -> String {
    let mut s = TcpStream::connect((host.ip(), HTTP_PORT)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\n{extra}Connection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

fn namespaces() -> String {
    String::from_utf8_lossy(
        &Command::new("ip")
            .args(["netns", "list"])
            .output()
            .expect("ip")
            .stdout,
    )
    .into_owned()
}

#[test]
fn serves_files_ranges_statuses_and_redirects_then_cleans_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("hello.txt"), "hello world").expect("write");
    let host = NetnsHost::start("fixture").expect("this test needs root and iproute2");
    assert!(host.ip().is_private());
    assert!(host.url("/a").ends_with(":8080/a"));
    let server = host.serve(dir.path()).expect("server");

    let whole = get(&host, "/hello.txt", "");
    assert!(whole.starts_with("HTTP/1.1 200"), "{whole}");
    assert!(whole.contains("Content-Length: 11"), "{whole}");
    assert!(whole.ends_with("hello world"), "{whole}");

    let part = get(&host, "/hello.txt", "Range: bytes=6-\r\n");
    assert!(part.starts_with("HTTP/1.1 206"), "{part}");
    assert!(part.contains("Content-Range: bytes 6-10/11"), "{part}");
    assert!(part.ends_with("world"), "{part}");

    assert!(get(&host, "/hello.txt", "Range: bytes=99-\r\n").starts_with("HTTP/1.1 416"));
    assert!(get(&host, "/missing", "").starts_with("HTTP/1.1 404"));
    assert!(get(&host, "/../../etc/passwd", "").starts_with("HTTP/1.1 404"));
    assert!(get(&host, "/status/503", "").starts_with("HTTP/1.1 503"));
    let redirect = get(&host, "/redirect?to=http%3A%2F%2Fexample.test%2Fx", "");
    assert!(redirect.starts_with("HTTP/1.1 302"), "{redirect}");
    assert!(
        redirect.contains("Location: http://example.test/x"),
        "{redirect}"
    );
    let slow = get(&host, "/slow/hello.txt?rate=100", "");
    assert!(slow.ends_with("hello world"), "{slow}");
    assert_eq!(server.requests().len(), 8, "{:?}", server.requests());
    assert!(server.requests()[1].contains("range=bytes=6- status=206"));

    let name = host.name().to_string();
    assert!(namespaces().contains(&name));
    drop(server);
    drop(host);
    assert!(
        !namespaces().contains(&name),
        "namespace {name} left behind"
    );
}

#[test]
fn die_sends_a_prefix_then_the_server_exits() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("f"), "0123456789").expect("write");
    let host = NetnsHost::start("die").expect("this test needs root and iproute2");
    let mut server = host.serve(dir.path()).expect("server");
    let answer = get(&host, "/die/f?after=4", "");
    assert!(answer.contains("Content-Length: 10"), "{answer}");
    assert!(answer.ends_with("\r\n\r\n0123"), "{answer}");
    assert!(
        server.wait_exit(Duration::from_secs(5)),
        "server still running"
    );
    // A restarted server serves a resume past the cut normally.
    let _again = host.serve(dir.path()).expect("restart");
    let resumed = get(&host, "/die/f?after=4", "Range: bytes=4-\r\n");
    assert!(resumed.ends_with("456789"), "{resumed}");
}

#[test]
fn parallel_hosts_get_distinct_addresses() {
    let a = NetnsHost::start("a").expect("host a");
    let b = NetnsHost::start("b").expect("host b");
    assert_ne!(a.ip(), b.ip());
    assert_ne!(a.name(), b.name());
}

#[test]
fn images_are_what_qemu_img_says() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = dir.path().join("base.qcow2");
    make_qcow2(&base, 1 << 20).expect("qcow2");
    let overlay = dir.path().join("overlay.qcow2");
    make_qcow2_with_backing(&overlay, &base, 1 << 20).expect("overlay");
    let info = Command::new("qemu-img")
        .arg("info")
        .arg(&overlay)
        .output()
        .expect("qemu-img");
    assert!(String::from_utf8_lossy(&info.stdout).contains("backing file"));

    let iso = dir.path().join("x.iso");
    make_iso(&iso).expect("iso");
    let bytes = std::fs::read(&iso).expect("read");
    assert_eq!(&bytes[0x8001..0x8006], b"CD001");
    assert_eq!(bytes.len(), 64 * 1024);
}
