//! How big a simulated host is, and CloudStack's way of saying so in an `addHost` URL.
//!
//! Defaults follow CloudStack's simulator (`MockAgentManagerImpl`): 4 cores × 8000 MHz,
//! 8 GiB RAM, 1 TiB local storage, x86_64. The last path segment of the URL may override
//! them: `http://sim/c0/h0/cpuspeed=4000&cpucore=8&memory=17179869184&localstorage=...&arch=aarch64`
//! (keys case-insensitive, memory and storage in bytes). A last segment without `=`
//! (`h0`) changes nothing.

/// Size and architecture of one simulated host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostCapacity {
    pub cpu_cores: u32,
    pub cpu_speed_mhz: u64,
    pub memory_bytes: u64,
    pub local_storage_bytes: u64,
    pub arch: String,
}

impl Default for HostCapacity {
    fn default() -> Self {
        Self {
            cpu_cores: 4,
            cpu_speed_mhz: 8000,
            memory_bytes: 8 << 30,
            local_storage_bytes: 1 << 40,
            arch: "x86_64".into(),
        }
    }
}

/// A bad simulator URL or override.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CapacityError {
    #[error("invalid simulator host URL {url:?}: {reason}")]
    Url { url: String, reason: String },
    #[error("invalid simulator host setting {key}={value:?}: {reason}")]
    Value {
        key: String,
        value: String,
        reason: &'static str,
    },
}

impl HostCapacity {
    /// Applies `key=value&key=value` overrides (a URL's last path segment). A segment
    /// without `=` is not an override list and changes nothing; unknown keys are
    /// ignored as CloudStack does; a bad or zero number is an error.
    pub fn with_overrides(mut self, segment: &str) -> Result<Self, CapacityError> {
        if !segment.contains('=') {
            return Ok(self);
        }
        for pair in segment.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = key.trim().to_ascii_lowercase();
            let value = value.trim();
            match key.as_str() {
                "cpuspeed" => self.cpu_speed_mhz = positive(&key, value)?,
                "cpucore" => {
                    self.cpu_cores = u32::try_from(positive(&key, value)?).map_err(|_| {
                        CapacityError::Value {
                            key: key.clone(),
                            value: value.to_owned(),
                            reason: "too large",
                        }
                    })?;
                }
                "memory" => self.memory_bytes = positive(&key, value)?,
                "localstorage" => self.local_storage_bytes = positive(&key, value)?,
                "arch" => {
                    if value.is_empty() {
                        return Err(CapacityError::Value {
                            key,
                            value: value.to_owned(),
                            reason: "must not be empty",
                        });
                    }
                    self.arch = value.to_owned();
                }
                _ => {}
            }
        }
        Ok(self)
    }
}

fn positive(key: &str, value: &str) -> Result<u64, CapacityError> {
    let bad = |reason| CapacityError::Value {
        key: key.to_owned(),
        value: value.to_owned(),
        reason,
    };
    match value.parse::<u64>() {
        Ok(0) => Err(bad("must be greater than zero")),
        Ok(n) => Ok(n),
        Err(_) => Err(bad("not a whole number")),
    }
}

/// Checks an `addHost` URL for a Simulator cluster (scheme `http`, host name starting
/// with `sim`, as CloudStack's `SimulatorDiscoverer`) and returns the host's capacity
/// with the overrides of its last path segment applied.
pub fn parse_sim_url(raw: &str) -> Result<HostCapacity, CapacityError> {
    let bad = |reason: &str| CapacityError::Url {
        url: raw.to_owned(),
        reason: reason.to_owned(),
    };
    let url = url::Url::parse(raw).map_err(|e| bad(&e.to_string()))?;
    if url.scheme() != "http" {
        return Err(bad("the scheme must be http"));
    }
    if !url.host_str().is_some_and(|h| h.starts_with("sim")) {
        return Err(bad("the host part must start with \"sim\""));
    }
    let last = url
        .path_segments()
        .and_then(|mut segments| segments.next_back())
        .unwrap_or("");
    // The query string is where a browser-escaped `&` list might end up.
    let overrides = match url.query() {
        Some(q) if !last.contains('=') => q.to_owned(),
        _ => last.to_owned(),
    };
    HostCapacity::default().with_overrides(&overrides)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_cloudstack() {
        let c = HostCapacity::default();
        assert_eq!((c.cpu_cores, c.cpu_speed_mhz), (4, 8000));
        assert_eq!(c.memory_bytes, 8 * 1024 * 1024 * 1024);
        assert_eq!(c.local_storage_bytes, 1024u64.pow(4));
        assert_eq!(c.arch, "x86_64");
    }

    #[test]
    fn plain_url_keeps_defaults() -> Result<(), CapacityError> {
        assert_eq!(parse_sim_url("http://sim/c0/h0")?, HostCapacity::default());
        assert_eq!(parse_sim_url("http://sim-host/")?, HostCapacity::default());
        Ok(())
    }

    #[test]
    fn last_segment_overrides_case_insensitively() -> Result<(), CapacityError> {
        let c = parse_sim_url(
            "http://sim/c0/CPUSPEED=2000&cpucore=16&Memory=17179869184&localstorage=1000&arch=aarch64&colour=blue",
        )?;
        assert_eq!(c.cpu_speed_mhz, 2000);
        assert_eq!(c.cpu_cores, 16);
        assert_eq!(c.memory_bytes, 16 << 30);
        assert_eq!(c.local_storage_bytes, 1000);
        assert_eq!(c.arch, "aarch64");
        Ok(())
    }

    #[test]
    fn query_string_overrides_are_accepted_too() -> Result<(), CapacityError> {
        let c = parse_sim_url("http://sim/c0/h0?cpucore=2")?;
        assert_eq!(c.cpu_cores, 2);
        Ok(())
    }

    #[test]
    fn bad_urls_and_values_are_errors() {
        for url in [
            "https://sim/c0/h0",
            "http://other/c0/h0",
            "not a url",
            "http://sim/c0/memory=lots",
            "http://sim/c0/cpucore=0",
            "http://sim/c0/cpucore=99999999999",
            "http://sim/c0/arch=",
        ] {
            assert!(parse_sim_url(url).is_err(), "{url} should be refused");
        }
    }
}
