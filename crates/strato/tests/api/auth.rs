//! Signatures, expiry, sessions, login and logout.

use crate::common::{Client, TestCloud, signed};

#[tokio::test]
async fn signed_requests_work_and_tampering_is_401() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let r = admin.call("listAccounts", &[]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.inner()["count"].as_i64().unwrap_or(0) >= 1);

    // Change one parameter after signing.
    let q = admin
        .signed_query("listAccounts", &[("name", "admin")])
        .replace("name=admin", "name=other");
    let r = admin.get(&q).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.text,
        r#"{"listaccountsresponse":{"uuidList":[],"errorcode":401,"errortext":"unable to verify user credentials and/or request signature"}}"#
    );
    assert!(r.headers.get("x-description").is_none());

    // Wrong secret, unknown key, no signature: the same answer.
    for c in [
        Client::new(&admin.url, &admin.api_key, "wrong"),
        Client::new(&admin.url, "no-such-key", &admin.secret),
    ] {
        assert_eq!(c.call("listAccounts", &[]).await.status, 401);
    }
    let r = admin.get("command=listAccounts&response=json").await;
    assert_eq!(r.status, 401);
    // Unknown command on an API-key request: 401 under errorresponse.
    let r = admin.call("noSuchCommand", &[]).await;
    assert_eq!(r.status, 401);
    assert!(r.text.starts_with(r#"{"errorresponse":"#), "{}", r.text);
    cloud.stop().await;
}

#[tokio::test]
async fn signature_version_3_checks_expiry() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let call = |expires: String| {
        let params = vec![
            ("command".to_string(), "listAccounts".to_string()),
            ("apiKey".to_string(), admin.api_key.clone()),
            ("response".to_string(), "json".to_string()),
            ("signatureVersion".to_string(), "3".to_string()),
            ("expires".to_string(), expires),
        ];
        signed(&params, &admin.secret)
    };
    let future = (chrono::Utc::now() + chrono::Duration::minutes(10))
        .format("%Y-%m-%dT%H:%M:%S+0000")
        .to_string();
    assert_eq!(admin.get(&call(future)).await.status, 200);
    let past = (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339();
    let r = admin.get(&call(past)).await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(admin.get(&call("not-a-date".into())).await.status, 401);
    cloud.stop().await;
}

#[tokio::test]
async fn login_session_and_logout() {
    let cloud = TestCloud::start().await;
    let (session, r) = Client::login(&cloud.url(), "admin", "password", Some("/")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let body = r.inner();
    assert_eq!(body["username"], "admin");
    assert_eq!(body["type"], "1");
    assert_eq!(body["registered"], "false");
    let cookie = r
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("sessionkey="));
    assert!(cookie.is_some_and(|c| c.contains("HttpOnly") && c.contains("SameSite=Lax")));
    assert_eq!(session.call("listUsers", &[]).await.status, 200);

    // The default check needs the key as parameter AND cookie.
    let http = reqwest::Client::new();
    let jsession = crate::common::set_cookie(&r.headers, "JSESSIONID").expect("cookie");
    let key = body["sessionkey"].as_str().expect("key");
    let no_cookie = http
        .get(format!(
            "{}?command=listUsers&response=json&sessionkey={key}",
            cloud.url()
        ))
        .header("Cookie", format!("JSESSIONID={jsession}"))
        .send()
        .await
        .expect("req");
    assert_eq!(no_cookie.status().as_u16(), 401);
    // ...and that failure ended the session.
    assert_eq!(session.call("listUsers", &[]).await.status, 401);

    let (session, _) = Client::login(&cloud.url(), "admin", "password", None).await;
    let out = session.call("logout", &[]).await;
    assert_eq!(out.text, r#"{"logoutresponse":{"description":"success"}}"#);
    assert_eq!(session.call("listUsers", &[]).await.status, 401);
    cloud.stop().await;
}

#[tokio::test]
async fn bad_logins_say_nothing_more() {
    let cloud = TestCloud::start().await;
    let (_, wrong) = Client::login(&cloud.url(), "admin", "nope", None).await;
    let (_, unknown) = Client::login(&cloud.url(), "nobody", "nope", None).await;
    assert_eq!(wrong.status, 531);
    assert_eq!(wrong.text, unknown.text, "no hint whether the user exists");
    assert!(!wrong.text.contains("cserrorcode"));
    // GET login: 405 with a bare text body.
    let r = reqwest::get(format!(
        "{}?command=login&username=admin&password=password",
        cloud.url()
    ))
    .await
    .expect("req");
    assert_eq!(r.status().as_u16(), 405);
    assert_eq!(
        r.text().await.expect("body"),
        "Please use HTTP POST to authenticate using this API"
    );
    // The system user cannot log in.
    let (_, sys) = Client::login(&cloud.url(), "system", "", None).await;
    assert_eq!(sys.status, 531);
    cloud.stop().await;
}

#[tokio::test]
async fn logout_without_session_is_431() {
    let cloud = TestCloud::start().await;
    let r = reqwest::get(format!("{}?command=logout&response=json", cloud.url()))
        .await
        .expect("req");
    assert_eq!(r.status().as_u16(), 431);
    assert!(r.text().await.expect("body").contains("Session not found"));
    cloud.stop().await;
}
