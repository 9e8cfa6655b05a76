//! Response shapes: XML by default, JSON on request, lists, errors, headers, and the
//! recorded CloudStack samples.

use serde_json::Value;

use crate::common::TestCloud;

/// The recorded CloudStack responses shipped beside the project.
fn sample(file: &str, test: &str) -> Value {
    let path = format!(
        "{}/../../../shared/reference/cloudstack-api/samples/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let all: Value = serde_json::from_str(&text).expect("sample JSON");
    all[test].clone()
}

/// Keys present in both answers have the same JSON type, recursively into the first
/// element of arrays, and the envelope keys (response name, count, item key) agree.
/// (The samples come from older releases; fields they lack are checked against the
/// catalog by the conformance test.)
fn same_shape(ours: &Value, theirs: &Value, path: &str) {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            let envelope = path.matches('.').count() < 2;
            for (k, v) in a {
                match b.get(k) {
                    Some(w) => same_shape(v, w, &format!("{path}.{k}")),
                    None if envelope => panic!("{path}.{k} is not in the CloudStack sample"),
                    None => {}
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if let (Some(x), Some(y)) = (a.first(), b.first()) {
                same_shape(x, y, &format!("{path}[0]"));
            }
        }
        (a, b) => {
            let kind = |v: &Value| match v {
                Value::Null => "null",
                Value::Bool(_) => "bool",
                Value::Number(_) => "number",
                Value::String(_) => "string",
                Value::Array(_) => "array",
                Value::Object(_) => "object",
            };
            assert_eq!(kind(a), kind(b), "{path}: type differs");
        }
    }
}

#[tokio::test]
async fn xml_is_the_default_and_json_on_request() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let q = admin
        .signed_query("listAccounts", &[])
        .replace("&response=json", "");
    let xml = admin.get(&q).await;
    assert_eq!(
        xml.status, 401,
        "dropping response= after signing breaks the signature"
    );
    // Sign without response=.
    let params = vec![
        ("command".to_string(), "listAccounts".to_string()),
        ("apiKey".to_string(), admin.api_key.clone()),
    ];
    let xml = admin
        .get(&crate::common::signed(&params, &admin.secret))
        .await;
    assert_eq!(xml.status, 200);
    assert_eq!(xml.headers["content-type"], "text/xml; charset=UTF-8");
    assert!(xml.text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><listaccountsresponse cloud-stack-version=\"4.22.0.0\"><count>1</count><account><id>"), "{}", xml.text);
    assert!(
        xml.text.contains("<user><id>"),
        "users are repeated elements: {}",
        xml.text
    );
    let json = admin.call("listAccounts", &[]).await;
    assert_eq!(
        json.headers["content-type"],
        "application/json; charset=UTF-8"
    );
    assert_eq!(json.headers["x-content-type-options"], "nosniff");
    cloud.stop().await;
}

#[tokio::test]
async fn shapes_match_recorded_cloudstack_samples() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let ours = admin.call("listAccounts", &[]).await.json();
    same_shape(
        &ours,
        &sample("AccountService.json", "listAccounts"),
        "listAccounts",
    );
    let ours = admin.call("listUsers", &[]).await.json();
    same_shape(&ours, &sample("UserService.json", "listUsers"), "listUsers");
    let ours = admin.call("listDomains", &[]).await.json();
    same_shape(
        &ours,
        &sample("DomainService.json", "listDomains"),
        "listDomains",
    );
    let created = admin
        .call("createDomain", &[("name", "Sample")])
        .await
        .json();
    same_shape(
        &created,
        &sample("DomainService.json", "createDomain"),
        "createDomain",
    );
    let (_, login) = crate::common::Client::login(&cloud.url(), "admin", "password", None).await;
    let mut login = login.json();
    login["loginresponse"]
        .as_object_mut()
        .map(|o| o.remove("managementserverid"));
    login["loginresponse"]
        .as_object_mut()
        .map(|o| o.remove("is2faverified"));
    login["loginresponse"]
        .as_object_mut()
        .map(|o| o.remove("is2faenabled"));
    login["loginresponse"]
        .as_object_mut()
        .map(|o| o.remove("issuerfor2fa"));
    same_shape(
        &login,
        &sample("AuthenticationService.json", "login"),
        "login",
    );
    cloud.stop().await;
}

#[tokio::test]
async fn empty_list_and_paging() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let r = admin.call("listAccounts", &[("name", "nobody")]).await;
    assert_eq!(r.text, r#"{"listaccountsresponse":{}}"#);
    let r = admin
        .call("listAccounts", &[("page", "5"), ("pagesize", "10")])
        .await;
    assert_eq!(r.text, r#"{"listaccountsresponse":{"count":1}}"#);
    let e = admin.err("listAccounts", &[("page", "1")], 431).await;
    assert!(e.contains("pagesize"), "{e}");
    let e = admin
        .err(
            "listAccounts",
            &[("page", "1"), ("pagesize", "100000")],
            431,
        )
        .await;
    assert!(e.contains("500"), "{e}");
    cloud.stop().await;
}

#[tokio::test]
async fn errors_carry_code_header_and_envelope() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let r = admin.call("createDomain", &[]).await;
    assert_eq!(r.status, 431);
    assert_eq!(
        r.text,
        r#"{"createdomainresponse":{"uuidList":[],"errorcode":431,"cserrorcode":9999,"errortext":"Unable to execute API command createdomain due to missing parameter name"}}"#
    );
    assert_eq!(
        r.headers["x-description"],
        "Unable to execute API command createdomain due to missing parameter name"
    );
    cloud.stop().await;
}
