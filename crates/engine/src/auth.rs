//! Authentication: API-key signatures, login sessions, logout.
//!
//! Every credential failure is the same 401 (or 531 for `login`), so a client learns
//! nothing about which part was wrong or whether the user exists.

use chrono::{DateTime, Utc};
use strato_api::params::{RawParams, is_uuid, parse_tz_date};
use strato_api::sign;
use strato_common::{ApiError, ErrorCode};
use strato_schema::session::SessionRow;
use strato_schema::user::UserRow;

use crate::caller::Caller;
use crate::events::{self, Subject};
use crate::settings::SessionKeyLocations;
use crate::{Engine, password, secrets};

fn is_active(u: &UserRow) -> bool {
    u.state == "enabled" && u.account_state == "enabled"
}

/// API-key access: the user's own setting, else the account's, else `api.key.access`.
fn api_key_allowed(engine: &Engine, u: &UserRow) -> bool {
    let explicit = |v: &Option<String>| match v.as_deref() {
        Some(s) if s.eq_ignore_ascii_case("enabled") => Some(true),
        Some(s) if s.eq_ignore_ascii_case("disabled") => Some(false),
        _ => None,
    };
    explicit(&u.api_key_access)
        .or_else(|| explicit(&u.account_api_key_access))
        .unwrap_or_else(|| engine.settings.api_key_access())
}

/// Checks an API-key request: key, signature, expiry and the user's state.
pub async fn verify_signed(
    engine: &Engine,
    raw: &RawParams,
    now: DateTime<Utc>,
) -> Result<Caller, ApiError> {
    let fail = ApiError::unauthorized;
    let api_key = raw.get("apikey").ok_or_else(fail)?;
    let signature = raw.get("signature").ok_or_else(fail)?;
    let v3 = raw.get("signatureversion").is_some_and(|v| v.trim() == "3");
    if v3 || engine.settings.enforce_post_and_timestamps() {
        if !v3 {
            return Err(fail());
        }
        let expires = raw
            .get("expires")
            .and_then(parse_tz_date)
            .ok_or_else(fail)?;
        if expires <= now {
            return Err(fail());
        }
        if engine.settings.enforce_post_and_timestamps()
            && expires > now + chrono::Duration::minutes(15)
        {
            return Err(fail());
        }
    }
    let user = engine
        .store
        .acquire()
        .await?
        .c()
        .user_by_api_key(api_key)
        .await?
        .ok_or_else(fail)?;
    let secret = user.secret_key.as_deref().ok_or_else(fail)?;
    let message = sign::string_to_sign(raw.pairs().iter().map(|(n, v)| (n.as_str(), v.as_str())));
    if !sign::verify(secret, &message, signature)
        || !is_active(&user)
        || !api_key_allowed(engine, &user)
    {
        return Err(fail());
    }
    Ok(Caller::from_user(&user))
}

/// A successful login: the new session and the user it belongs to.
pub struct Login {
    pub session: SessionRow,
    pub user: UserRow,
}

fn login_failed() -> ApiError {
    ApiError::new(
        ErrorCode::AccountError,
        None,
        "Failed to authenticate user; please provide valid credentials",
    )
}

/// Checks a username and password in a domain (path like `/Sales/`, or a domain id)
/// and opens a session.
pub async fn login(
    engine: &Engine,
    username: &str,
    password_text: &str,
    domain_path: Option<&str>,
    domain_id: Option<&str>,
) -> Result<Login, ApiError> {
    let mut db = engine.store.acquire().await?;
    let domain = match (domain_id, domain_path) {
        (Some(id), _) => {
            if !is_uuid(id) {
                return Err(ApiError::unauthorized());
            }
            db.c().domain_by_uuid(id).await?
        }
        (None, Some(path)) => db.c().domain_by_path(&normalize_domain_path(path)).await?,
        (None, None) => db.c().domain_by_path("/").await?,
    };
    let user = match domain {
        Some(d) => db.c().user_by_name(d.id, username).await?,
        None => None,
    };
    drop(db);
    // Verify even for unknown users so timing does not reveal whether a user exists.
    let hash = user
        .as_ref()
        .map_or(DUMMY_HASH, |u| u.password_hash.as_str())
        .to_string();
    let password_text = password_text.to_string();
    let matches = tokio::task::spawn_blocking(move || password::verify(&password_text, &hash))
        .await
        .unwrap_or(false);
    let user = match user {
        Some(u) if matches && is_active(&u) && u.source == "native" && u.id != 1 => u,
        _ => return Err(login_failed()),
    };
    let now = strato_schema::now();
    let session = SessionRow {
        id: secrets::session_id(),
        session_key: secrets::session_key(),
        user_id: user.id,
        created: now,
        last_seen: now,
    };
    let mut db = engine.store.acquire().await?;
    db.c().insert_session(&session).await?;
    let caller = Caller::from_user(&user);
    let subject = Subject {
        id: Some(user.uuid.clone()),
        kind: Some("User".into()),
        name: Some(user.username.clone()),
    };
    events::record(
        &mut db.c(),
        &caller,
        "USER.LOGIN",
        "INFO",
        &format!("user {} logged in", user.username),
        &subject,
    )
    .await?;
    Ok(Login { session, user })
}

/// A valid Argon2 hash of a random password, verified against when the user is unknown.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c3RyYXRvLWR1bW15LXNhbHQ$3bBnbMX0Eo3f6l0E0a7kZcT0yq9+Jg0t3qS0wJ2u0wE";

/// `Sales` → `/Sales/`; `/` stays `/`.
pub fn normalize_domain_path(path: &str) -> String {
    let inner = path.trim().trim_matches('/');
    if inner.is_empty() || inner.eq_ignore_ascii_case("ROOT") {
        "/".to_string()
    } else {
        format!("/{inner}/")
    }
}

/// Where the session key came from in a request.
pub struct SessionCredentials<'a> {
    pub session_id: &'a str,
    pub key_param: Option<&'a str>,
    pub key_cookie: Option<&'a str>,
}

/// Checks a session request per `api.sessionkey.check.locations`; a wrong key ends
/// the session, as CloudStack does.
pub async fn verify_session(
    engine: &Engine,
    creds: &SessionCredentials<'_>,
) -> Result<Caller, ApiError> {
    let mut db = engine.store.acquire().await?;
    let session = db
        .c()
        .session(creds.session_id)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    let now = strato_schema::now();
    let key = session.session_key.as_str();
    let eq = |v: Option<&str>| v.is_some_and(|v| secrets::constant_eq(v, key));
    let ok = match engine.settings.session_key_locations() {
        SessionKeyLocations::CookieAndParameter => eq(creds.key_param) && eq(creds.key_cookie),
        SessionKeyLocations::ParameterOnly => {
            eq(creds.key_param) && (creds.key_cookie.is_none() || eq(creds.key_cookie))
        }
        SessionKeyLocations::CookieOrParameter => {
            (creds.key_param.is_some() || creds.key_cookie.is_some())
                && (creds.key_param.is_none() || eq(creds.key_param))
                && (creds.key_cookie.is_none() || eq(creds.key_cookie))
        }
    };
    let idle = (now - session.last_seen).num_seconds() > engine.settings.session_timeout_secs();
    if !ok || idle {
        db.c().delete_session(&session.id).await?;
        return Err(ApiError::unauthorized());
    }
    let user = db
        .c()
        .user_by_id(session.user_id)
        .await?
        .filter(is_active)
        .ok_or_else(ApiError::unauthorized)?;
    // Refresh the idle clock at most once a minute to spare writes.
    if (now - session.last_seen).num_seconds() > 60 {
        db.c().touch_session(&session.id, now).await?;
    }
    Ok(Caller::from_user(&user))
}

/// Ends a session; false if there was none.
pub async fn logout(engine: &Engine, session_id: &str) -> Result<bool, ApiError> {
    let mut db = engine.store.acquire().await?;
    let Some(session) = db.c().session(session_id).await? else {
        return Ok(false);
    };
    db.c().delete_session(session_id).await?;
    if let Some(user) = db.c().user_by_id(session.user_id).await? {
        let caller = Caller::from_user(&user);
        let subject = Subject {
            id: Some(user.uuid.clone()),
            kind: Some("User".into()),
            name: Some(user.username.clone()),
        };
        events::record(
            &mut db.c(),
            &caller,
            "USER.LOGOUT",
            "INFO",
            &format!("user {} logged out", user.username),
            &subject,
        )
        .await?;
    }
    Ok(true)
}

/// The SYSTEM caller used by the unauthenticated integration port.
pub async fn system_caller(engine: &Engine) -> Result<Caller, ApiError> {
    let user = engine
        .store
        .acquire()
        .await?
        .c()
        .user_by_id(1)
        .await?
        .ok_or_else(|| ApiError::internal("the system user is missing; run setup-database"))?;
    Ok(Caller::from_user(&user))
}
