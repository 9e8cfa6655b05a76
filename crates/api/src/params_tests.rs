use proptest::prelude::*;
use strato_common::ErrorCode;

use super::*;
use crate::spec::{ParamSpec, ParamType::*, Roles, SUCCESS, command};

const SPEC: CommandSpec = command(
    "testCommand",
    "for tests",
    Roles::ALL,
    &[&[
        ParamSpec::new("name", String, "").required(),
        ParamSpec::new("id", Uuid, ""),
        ParamSpec::new("count", Integer, ""),
        ParamSpec::new("size", Long, ""),
        ParamSpec::new("flag", Boolean, ""),
        ParamSpec::new("ids", List, ""),
        ParamSpec::new("details", Map, ""),
        ParamSpec::new("startdate", Date, ""),
        ParamSpec::new("enddate", Date, ""),
        ParamSpec::new("short", String, "").length(4),
    ]],
    SUCCESS,
);

fn raw(pairs: &[(&str, &str)]) -> RawParams {
    RawParams::from_pairs(
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
    )
}

#[test]
fn query_beats_body_and_last_query_wins() {
    let p = RawParams::resolve(
        vec![("a".into(), "1".into()), ("a".into(), "2".into())],
        vec![
            ("a".into(), "body".into()),
            ("b".into(), "x".into()),
            ("b".into(), "y".into()),
        ],
    );
    assert_eq!(p.get("a"), Some("2"));
    assert_eq!(p.get("b"), Some("x"));
    let first = RawParams::first_wins(vec![("a".into(), "1".into()), ("a".into(), "2".into())]);
    assert_eq!(first.get("a"), Some("1"));
}

#[test]
fn names_are_case_insensitive_and_types_checked() {
    let args = parse(
        &SPEC,
        &raw(&[
            ("NAME", "x"),
            ("Id", "6F9619FF-8B86-D011-B42D-00CF4FC964FF"),
            ("count", "7"),
            ("flag", "TRUE"),
            ("ids", "a,,b"),
            ("details[0].cpuNumber", "2"),
            ("details[0].memory", "512"),
            ("details[3].cpuNumber", "4"),
            ("startdate", "2024-01-02"),
            ("enddate", "2024-01-02"),
            ("unknown", "ignored"),
        ]),
    )
    .expect("valid");
    assert_eq!(args.str("name"), Some("x"));
    assert_eq!(
        args.uuid("id"),
        Some("6f9619ff-8b86-d011-b42d-00cf4fc964ff")
    );
    assert_eq!(args.int("count"), Some(7));
    assert_eq!(args.bool("flag"), Some(true));
    assert_eq!(args.list("ids").map(|l| l.len()), Some(2));
    let m = args.map("details").expect("map");
    assert_eq!(m.len(), 2);
    assert_eq!(m[0].get("cpuNumber").map(|s| s.as_str()), Some("2"));
    assert_eq!(
        args.date("startdate").map(|d| d.to_rfc3339()),
        Some("2024-01-02T00:00:00+00:00".into())
    );
    assert_eq!(
        args.date("enddate").map(|d| d.to_rfc3339()),
        Some("2024-01-02T23:59:59+00:00".into())
    );
}

#[test]
fn errors_name_the_parameter() {
    let e = parse(&SPEC, &raw(&[])).expect_err("missing");
    assert_eq!(e.code, ErrorCode::ParamError);
    assert_eq!(
        e.text,
        "Unable to execute API command testcommand due to missing parameter name"
    );
    let e = parse(&SPEC, &raw(&[("name", " ")])).expect_err("empty");
    assert!(e.text.contains("name"), "{}", e.text);
    let e = parse(&SPEC, &raw(&[("name", "x"), ("id", "nope")])).expect_err("uuid");
    assert!(e.text.contains("parameter id"), "{}", e.text);
    let e = parse(&SPEC, &raw(&[("name", "x"), ("size", "")])).expect_err("long");
    assert!(e.text.contains("parameter size"), "{}", e.text);
    let e = parse(&SPEC, &raw(&[("name", "x"), ("short", "toolong")])).expect_err("length");
    assert!(e.text.contains("parameter short"), "{}", e.text);
    let e = parse(&SPEC, &raw(&[("name", "a\u{1}b")])).expect_err("control");
    assert!(e.text.contains("name"), "{}", e.text);
    let e = parse(&SPEC, &raw(&[("name", "x"), ("details[x].a", "1")])).expect_err("map");
    assert_eq!(e.code, ErrorCode::MalformedParameter);
    // A blank integer is ignored, as CloudStack does.
    let args = parse(&SPEC, &raw(&[("name", "x"), ("count", "")])).expect("blank int");
    assert_eq!(args.int("count"), None);
}

proptest! {
    #[test]
    fn parser_never_panics(pairs in proptest::collection::vec((".{0,20}", ".{0,300}"), 0..12)) {
        let raw = RawParams::resolve(pairs.clone(), pairs);
        if let Err(e) = parse(&SPEC, &raw) {
            let code = e.code.as_u16();
            prop_assert!(code == 431 || code == 430, "unexpected code {code}");
            prop_assert!(!e.text.is_empty());
        }
    }

    #[test]
    fn bracket_keys_never_panic(key in "[a-z]{0,5}\\[[^\\]]{0,5}\\]?[.a-z]{0,5}", v in ".{0,10}") {
        let _ = parse(&SPEC, &raw(&[("name", "x"), (key.as_str(), v.as_str())]));
    }
}
