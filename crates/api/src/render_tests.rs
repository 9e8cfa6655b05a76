use strato_common::ApiError;

use super::*;
use crate::response::{Obj, Reply};

fn zone(name: &str) -> Obj {
    Obj::new("zone")
        .str("id", "z1")
        .str("name", name)
        .bool("securitygroupsenabled", false)
}

#[test]
fn list_json_and_xml() {
    let r = Reply::list(2, vec![zone("a"), zone("b<&>")]);
    assert_eq!(
        reply(Format::Json, "listzonesresponse", &r, true),
        r#"{"listzonesresponse":{"count":2,"zone":[{"id":"z1","name":"a","securitygroupsenabled":false},{"id":"z1","name":"b<&>","securitygroupsenabled":false}]}}"#
    );
    assert_eq!(
        reply(Format::Xml, "listzonesresponse", &r, true),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><listzonesresponse cloud-stack-version=\"4.22.0.0\"><count>2</count>\
<zone><id>z1</id><name>a</name><securitygroupsenabled>false</securitygroupsenabled></zone>\
<zone><id>z1</id><name>b&lt;&amp;&gt;</name><securitygroupsenabled>false</securitygroupsenabled></zone></listzonesresponse>"
    );
}

#[test]
fn empty_list_and_page_past_end() {
    assert_eq!(
        reply(
            Format::Json,
            "listzonesresponse",
            &Reply::list(0, vec![]),
            true
        ),
        r#"{"listzonesresponse":{}}"#
    );
    assert_eq!(
        reply(
            Format::Json,
            "listzonesresponse",
            &Reply::list(3, vec![]),
            true
        ),
        r#"{"listzonesresponse":{"count":3}}"#
    );
}

#[test]
fn object_success_and_error() {
    assert_eq!(
        reply(
            Format::Json,
            "createzoneresponse",
            &Reply::Object(zone("a")),
            true
        ),
        r#"{"createzoneresponse":{"zone":{"id":"z1","name":"a","securitygroupsenabled":false}}}"#
    );
    assert_eq!(
        reply(Format::Json, "deletezoneresponse", &Reply::success(), true),
        r#"{"deletezoneresponse":{"success":true}}"#
    );
    let e = ApiError::param("bad");
    assert_eq!(
        error(Format::Json, "listzonesresponse", &e, false),
        r#"{"listzonesresponse":{"uuidList":[],"errorcode":431,"cserrorcode":4350,"errortext":"bad"}}"#
    );
    assert_eq!(
        error(
            Format::Xml,
            "errorresponse",
            &ApiError::unauthorized(),
            false
        ),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><errorresponse><errorcode>401</errorcode>\
<errortext>unable to verify user credentials and/or request signature</errortext></errorresponse>"
    );
}

#[test]
fn job_result_success_says_details_in_json_only() {
    let jobresult = Obj::new("jobresult")
        .bool("success", true)
        .str("displaytext", "done");
    let r = Reply::Flat(vec![(
        "jobresult".into(),
        crate::response::Node::Obj(jobresult),
    )]);
    assert_eq!(
        reply(Format::Json, "queryasyncjobresultresponse", &r, false),
        r#"{"queryasyncjobresultresponse":{"jobresult":{"success":true,"details":"done"}}}"#
    );
    assert!(
        reply(Format::Xml, "queryasyncjobresultresponse", &r, false).contains(
            "<jobresult><success>true</success><displaytext>done</displaytext></jobresult>"
        )
    );
}
