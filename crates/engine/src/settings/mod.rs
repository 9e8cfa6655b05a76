//! Global settings: CloudStack's keys and defaults ([`catalog`]), the values an operator
//! changed (stored in `configuration`), and typed accessors for the ones Strato reads.
//!
//! Values are cached in memory; `updateConfiguration` updates the cache at once and
//! [`Settings::reload`] (run periodically) picks up changes made by other servers.

pub mod catalog;
pub mod def;

use std::collections::HashMap;
use std::sync::RwLock;

use strato_common::ApiError;
use strato_schema::Store;

pub use def::{SettingDef, SettingType};

pub struct Settings {
    changed: RwLock<HashMap<String, String>>,
}

impl Settings {
    pub async fn load(store: &Store) -> Result<Settings, ApiError> {
        let s = Settings {
            changed: RwLock::new(HashMap::new()),
        };
        s.reload(store).await?;
        Ok(s)
    }

    pub async fn reload(&self, store: &Store) -> Result<(), ApiError> {
        let values: HashMap<String, String> = store
            .acquire()
            .await?
            .c()
            .config_values()
            .await?
            .into_iter()
            .collect();
        if let Ok(mut map) = self.changed.write() {
            *map = values;
        }
        Ok(())
    }

    /// Records a value just written to the store.
    pub fn remember(&self, name: &str, value: Option<&str>) {
        if let Ok(mut map) = self.changed.write() {
            match value {
                Some(v) => map.insert(name.to_string(), v.to_string()),
                None => map.remove(name),
            };
        }
    }

    /// The current value of a known setting (its default unless changed).
    pub fn get(&self, name: &str) -> String {
        if let Ok(map) = self.changed.read()
            && let Some(v) = map.get(name)
        {
            return v.clone();
        }
        catalog::find(name)
            .map(|d| d.default.to_string())
            .unwrap_or_default()
    }

    pub fn is_changed(&self, name: &str) -> bool {
        self.changed
            .read()
            .map(|m| m.contains_key(name))
            .unwrap_or(false)
    }

    fn parsed<T: std::str::FromStr>(&self, name: &str, fallback: T) -> T {
        self.get(name)
            .trim()
            .parse()
            .ok()
            .or_else(|| catalog::find(name).and_then(|d| d.default.parse().ok()))
            .unwrap_or(fallback)
    }

    pub fn i64(&self, name: &str) -> i64 {
        self.parsed(name, 0)
    }

    pub fn f64(&self, name: &str) -> f64 {
        self.parsed(name, 0.0)
    }

    pub fn bool(&self, name: &str) -> bool {
        self.get(name).trim().eq_ignore_ascii_case("true")
    }

    // ---- the settings Strato reads -------------------------------------------------

    pub fn default_page_size(&self) -> i64 {
        self.i64("default.page.size")
    }

    pub fn integration_api_port(&self) -> u16 {
        u16::try_from(self.i64("integration.api.port")).unwrap_or(0)
    }

    pub fn session_key_locations(&self) -> SessionKeyLocations {
        match self.get("api.sessionkey.check.locations").trim() {
            "ParameterOnly" => SessionKeyLocations::ParameterOnly,
            "CookieOrParameter" => SessionKeyLocations::CookieOrParameter,
            _ => SessionKeyLocations::CookieAndParameter,
        }
    }

    /// The `SameSite` attribute of the sessionkey cookie (None = omitted).
    pub fn session_cookie_samesite(&self) -> Option<&'static str> {
        match self.get("api.sessionkey.cookie.samesite").trim() {
            "Strict" => Some("SameSite=Strict"),
            "NoneAndSecure" => Some("SameSite=None;Secure"),
            "Null" => None,
            _ => Some("SameSite=Lax"),
        }
    }

    pub fn api_key_access(&self) -> bool {
        self.bool("api.key.access")
    }

    pub fn enforce_post_and_timestamps(&self) -> bool {
        self.bool("enforce.post.requests.and.timestamps")
    }

    pub fn expose_version_in_xml(&self) -> bool {
        self.bool("expose.cloudstack.version.api.xml.response")
    }

    /// How often this server heartbeats and sweeps orphaned jobs.
    pub fn heartbeat_interval(&self) -> std::time::Duration {
        std::time::Duration::from_millis(
            self.i64("cluster.heartbeat.interval").clamp(100, 60_000) as u64
        )
    }

    /// Silence after which a management server is dead.
    pub fn heartbeat_threshold(&self) -> chrono::Duration {
        chrono::Duration::milliseconds(self.i64("cluster.heartbeat.threshold").max(1000))
    }

    /// Idle timeout of login sessions, in seconds (CloudStack's servlet default: 30 min).
    pub fn session_timeout_secs(&self) -> i64 {
        1800
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionKeyLocations {
    CookieAndParameter,
    ParameterOnly,
    CookieOrParameter,
}

/// Checks a new value against the setting's type and options.
pub fn validate(def: &SettingDef, value: &str) -> Result<(), ApiError> {
    let bad = |why: &str| {
        ApiError::param(format!(
            "Invalid value {value:?} for configuration {}: {why}",
            def.name
        ))
    };
    let v = value.trim();
    match def.ty {
        SettingType::Boolean
            if !(v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false")) =>
        {
            return Err(bad("expected true or false"));
        }
        SettingType::Integer if v.parse::<i32>().is_err() => {
            return Err(bad("expected an integer"));
        }
        SettingType::Long if v.parse::<i64>().is_err() => return Err(bad("expected an integer")),
        SettingType::Float | SettingType::Double
            if v.parse::<f64>().map(|f| !f.is_finite()).unwrap_or(true) =>
        {
            return Err(bad("expected a number"));
        }
        _ => {}
    }
    if let Some(options) = def.options
        && !options
            .split(',')
            .map(str::trim)
            .any(|o| o.eq_ignore_ascii_case(v))
    {
        return Err(bad(&format!("expected one of {options}")));
    }
    Ok(())
}
