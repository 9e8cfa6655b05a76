//! `/client/api`: transport (query string and form body), authentication, dispatch to
//! the engine, and CloudStack's envelopes and headers.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use strato_api::params::{self, RawParams};
use strato_api::render::{self, Format};
use strato_api::response::{Node, Reply};
use strato_common::{ApiError, ErrorCode};
use strato_engine::auth::{self, SessionCredentials};
use strato_engine::{Caller, Engine, jobs};

use tracing::Instrument;

use crate::cookies;

#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
    /// The integration port: no authentication, runs as SYSTEM.
    pub integration: bool,
}

pub type Shared = Arc<AppState>;

/// Splits `a=1&b=2` into decoded pairs (`+` is a space, as in forms).
pub fn decode_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let s = s.replace('+', " ");
    percent_encoding::percent_decode_str(&s)
        .decode_utf8_lossy()
        .into_owned()
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
}

/// A finished answer: body, status, and whether it is an error raised as an exception.
struct Answer {
    status: StatusCode,
    body: String,
    format: Format,
    description: Option<String>,
    cookies: Vec<String>,
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let mut resp = (self.status, self.body).into_response();
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.format.content_type()),
        );
        h.insert(
            "X-Content-Type-Options",
            HeaderValue::from_static("nosniff"),
        );
        h.insert("X-XSS-Protection", HeaderValue::from_static("1;mode=block"));
        if let Some(d) = self
            .description
            .and_then(|d| HeaderValue::from_str(&d.replace(['\r', '\n'], " ")).ok())
        {
            h.insert("X-Description", d);
        }
        for c in self.cookies {
            if let Ok(v) = HeaderValue::from_str(&c) {
                h.append(header::SET_COOKIE, v);
            }
        }
        resp
    }
}

fn status(code: ErrorCode) -> StatusCode {
    StatusCode::from_u16(code.as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn error_answer(format: Format, response_name: &str, err: &ApiError, versioned: bool) -> Answer {
    Answer {
        status: status(err.code),
        body: render::error(format, response_name, err, versioned),
        format,
        // Credential failures carry no X-Description, as in CloudStack.
        description: err.cs_code.map(|_| err.text.clone()),
        cookies: Vec::new(),
    }
}

fn ok_answer(format: Format, response_name: &str, reply: &Reply, versioned: bool) -> Answer {
    Answer {
        status: StatusCode::OK,
        body: render::reply(format, response_name, reply, versioned),
        format,
        description: None,
        cookies: Vec::new(),
    }
}

pub async fn handle(
    State(state): State<Shared>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let query = decode_pairs(query.as_deref().unwrap_or(""));
    let body = match body {
        Ok(b) => b,
        Err(rejection) => {
            // Too large or unreadable: still CloudStack's envelope, never a bare text.
            let format = Format::from_param(RawParams::from_pairs(query).get("response"));
            let err = ApiError::param(format!(
                "Unable to read the request body: {}",
                rejection.body_text()
            ));
            return error_answer(format, "errorresponse", &err, false).into_response();
        }
    };
    if state.integration {
        let raw = RawParams::first_wins(query);
        let format = match raw.get("response") {
            Some("json") => Format::Json,
            _ => Format::Xml,
        };
        return integration(&state.engine, raw, format)
            .await
            .into_response();
    }
    let body_pairs = if body.is_empty() {
        Vec::new()
    } else if is_form(&headers) {
        decode_pairs(&String::from_utf8_lossy(&body))
    } else {
        let format = Format::from_param(RawParams::from_pairs(query.clone()).get("response"));
        let err = ApiError::param(
            "Unsupported request body: POST parameters must be sent as application/x-www-form-urlencoded",
        );
        return error_answer(format, "errorresponse", &err, false).into_response();
    };
    let raw = RawParams::resolve(query, body_pairs);
    let format = Format::from_param(raw.get("response"));
    dispatch(&state.engine, &method, &headers, raw, format)
        .await
        .into_response()
}

async fn dispatch(
    engine: &Engine,
    method: &Method,
    headers: &HeaderMap,
    raw: RawParams,
    format: Format,
) -> Answer {
    let Some(name) = raw.command().map(str::to_string) else {
        return error_answer(format, "null", &ApiError::unauthorized(), false);
    };
    if name.eq_ignore_ascii_case("login") {
        return login(engine, method, &raw, format).await;
    }
    if name.eq_ignore_ascii_case("logout") {
        return logout(engine, headers, format).await;
    }
    let command = engine.registry.get(&name).copied();
    let session_id = cookies::get(headers, "JSESSIONID");
    let session_key_param = raw.get("sessionkey");
    let use_session =
        raw.get("apikey").is_none() && (session_id.is_some() || session_key_param.is_some());
    let caller = if use_session {
        let creds = SessionCredentials {
            session_id: session_id.unwrap_or(""),
            key_param: session_key_param,
            key_cookie: cookies::get(headers, "sessionkey"),
        };
        auth::verify_session(engine, &creds).await
    } else {
        match command {
            // CloudStack checks the command before the signature: unknown → 401.
            None => Err(ApiError::unauthorized()),
            Some(_) => auth::verify_signed(engine, &raw, strato_schema::now()).await,
        }
    };
    let response_name =
        command.map_or_else(|| "errorresponse".to_string(), |c| c.spec.response_name());
    let caller = match caller {
        Ok(c) => c,
        Err(e) => return error_answer(format, &response_name, &e, false),
    };
    let Some(command) = command else {
        let e = ApiError::unavailable_command(&name);
        return error_answer(format, "errorresponse", &e, true);
    };
    run(engine, caller, &command, &raw, format, &response_name, true).await
}

/// Checks the role, parses the arguments and runs (or queues) the command.
async fn run(
    engine: &Engine,
    caller: Caller,
    command: &strato_engine::Command,
    raw: &RawParams,
    format: Format,
    response_name: &str,
    versioned: bool,
) -> Answer {
    let versioned = versioned && engine.settings.expose_version_in_xml();
    let allowed = match engine.store.acquire().await {
        Ok(mut db) => {
            strato_engine::access::check_command(&mut db.c(), &caller, command.spec).await
        }
        Err(e) => Err(e.into()),
    };
    if let Err(e) = allowed {
        return error_answer(format, "errorresponse", &e, versioned);
    }
    let args = match params::parse(command.spec, raw) {
        Ok(a) => a,
        Err(e) => return error_answer(format, response_name, &e, versioned),
    };
    let span = tracing::info_span!("api", command = command.spec.name, user = %caller.user_uuid);
    if command.spec.is_async {
        return match jobs::submit(engine, &caller, command, raw, args.uuid("id"))
            .instrument(span)
            .await
        {
            Ok(job) => {
                let reply = Reply::Flat(vec![("jobid".into(), Node::Str(job))]);
                ok_answer(format, response_name, &reply, versioned)
            }
            Err(e) => error_answer(format, response_name, &e, versioned),
        };
    }
    let root = caller.is_root_admin();
    match engine
        .execute(caller, command, args, None)
        .instrument(span)
        .await
    {
        Ok(reply) => ok_answer(format, response_name, &reply, versioned),
        Err(mut e) => {
            // Internal failures are not explained to non-root callers.
            if !root
                && matches!(
                    e.code,
                    ErrorCode::Internal
                        | ErrorCode::InsufficientCapacity
                        | ErrorCode::ResourceUnavailable
                )
            {
                e.text =
                    "Internal error executing command, please contact your system administrator"
                        .into();
            }
            error_answer(format, response_name, &e, versioned)
        }
    }
}

async fn integration(engine: &Engine, raw: RawParams, format: Format) -> Answer {
    let Some(name) = raw.command().map(str::to_string) else {
        let e = ApiError::unavailable_command("");
        return error_answer(format, "errorresponse", &e, false);
    };
    let command = match engine.registry.get(&name) {
        Some(c) if !matches!(c.handler, strato_engine::registry::Handler::Authenticator) => *c,
        _ => {
            return error_answer(
                format,
                "errorresponse",
                &ApiError::unavailable_command(&name),
                false,
            );
        }
    };
    let caller = match auth::system_caller(engine).await {
        Ok(c) => c,
        Err(e) => return error_answer(format, &command.spec.response_name(), &e, false),
    };
    run(
        engine,
        caller,
        &command,
        &raw,
        format,
        &command.spec.response_name(),
        false,
    )
    .await
}

async fn login(engine: &Engine, method: &Method, raw: &RawParams, format: Format) -> Answer {
    if method != Method::POST {
        return Answer {
            status: StatusCode::METHOD_NOT_ALLOWED,
            body: "Please use HTTP POST to authenticate using this API".into(),
            format,
            description: None,
            cookies: Vec::new(),
        };
    }
    let (Some(username), Some(password)) = (raw.get("username"), raw.get("password")) else {
        let e = ApiError::new(
            ErrorCode::AccountError,
            None,
            "Failed to authenticate user; please provide valid credentials",
        );
        return error_answer(format, "loginresponse", &e, false);
    };
    let domain_id = raw.get("domainid").or_else(|| raw.get("domainId"));
    let login = match auth::login(engine, username, password, raw.get("domain"), domain_id).await {
        Ok(l) => l,
        Err(e) => return error_answer(format, "loginresponse", &e, false),
    };
    let u = &login.user;
    let mut fields = vec![
        ("username".to_string(), Node::Str(u.username.clone())),
        ("userid".into(), Node::Str(u.uuid.clone())),
        ("domainid".into(), Node::Str(u.domain_uuid.clone())),
        (
            "timeout".into(),
            Node::Int(engine.settings.session_timeout_secs()),
        ),
        ("account".into(), Node::Str(u.account_name.clone())),
        ("firstname".into(), Node::Str(u.firstname.clone())),
        ("lastname".into(), Node::Str(u.lastname.clone())),
        ("type".into(), Node::Str(u.account_type.to_string())),
    ];
    if let Some(tz) = &u.timezone {
        fields.push(("timezone".into(), Node::Str(tz.clone())));
    }
    fields.extend([
        ("registered".to_string(), Node::Str("false".into())),
        (
            "sessionkey".into(),
            Node::Str(login.session.session_key.clone()),
        ),
        ("is2faenabled".into(), Node::Str("false".into())),
        ("is2faverified".into(), Node::Str("false".into())),
        ("issuerfor2fa".into(), Node::Str("cloudstack".into())),
    ]);
    if u.role_type == "Admin" {
        fields.push(("managementserverid".into(), Node::Str(engine.msid.clone())));
    }
    let mut answer = ok_answer(format, "loginresponse", &Reply::Flat(fields), false);
    let samesite = engine
        .settings
        .session_cookie_samesite()
        .map(|s| format!(";{s}"))
        .unwrap_or_default();
    answer.cookies = vec![
        format!("JSESSIONID={}; Path=/client; HttpOnly", login.session.id),
        format!(
            "sessionkey={};Path=/client;HttpOnly{samesite}",
            login.session.session_key
        ),
    ];
    answer
}

async fn logout(engine: &Engine, headers: &HeaderMap, format: Format) -> Answer {
    let ended = match cookies::get(headers, "JSESSIONID") {
        Some(id) => auth::logout(engine, id).await,
        None => Ok(false),
    };
    match ended {
        Ok(true) => {
            let reply = Reply::Flat(vec![("description".into(), Node::Str("success".into()))]);
            let mut answer = ok_answer(format, "logoutresponse", &reply, false);
            answer.cookies = cookies::names(headers)
                .into_iter()
                .map(|n| format!("{n}=; Path=/client; Max-Age=0"))
                .collect();
            answer
        }
        Ok(false) => error_answer(
            format,
            "logoutresponse",
            &ApiError::param("Session not found for the logout process."),
            false,
        ),
        Err(e) => error_answer(format, "logoutresponse", &e, false),
    }
}
