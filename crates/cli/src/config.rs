//! Profiles: the config file (a small INI/TOML subset) and how flags override it.
//!
//! Format: `[name]` section headers, `key = "value"` lines (quotes optional,
//! TOML-style `\"` and `\\` escapes inside double quotes), `#`/`;` comment lines.
//! Rewriting the file keeps every section and key but drops comments.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

pub const DEFAULT_PROFILE: &str = "default";
pub const DEFAULT_URL: &str = "http://localhost:8080/client/api";
const PROFILE_KEYS: &[&str] = &["url", "apikey", "secretkey"];

/// Where the server is and how to sign for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub url: String,
    /// `(apikey, secretkey)`; `None` sends unsigned requests.
    pub keys: Option<(String, String)>,
}

/// Values from flags or environment, which beat the profile.
#[derive(Debug, Default, Clone, Copy)]
pub struct Overrides<'a> {
    pub url: Option<&'a str>,
    pub apikey: Option<&'a str>,
    pub secretkey: Option<&'a str>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Section {
    name: String,
    entries: Vec<(String, String)>,
}

/// The parsed file; section `""` holds keys that come before any header.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ConfigFile {
    sections: Vec<Section>,
}

/// `explicit`, else `$STRATO_CONFIG`, else `~/.config/strato/config.toml`.
pub fn path(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("STRATO_CONFIG").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .context("cannot find the config file: neither STRATO_CONFIG nor HOME is set")?;
    Ok(PathBuf::from(home).join(".config/strato/config.toml"))
}

/// Picks the profile and applies the overrides. Only the default profile may be
/// missing from the file.
pub fn resolve(
    file: &ConfigFile,
    path: &Path,
    profile: &str,
    over: Overrides<'_>,
) -> anyhow::Result<Target> {
    if profile != DEFAULT_PROFILE && file.section(profile).is_none() {
        bail!("profile `{profile}` not found in {}", path.display());
    }
    let pick = |flag: Option<&str>, key: &str| {
        flag.filter(|v| !v.is_empty())
            .or_else(|| file.get(profile, key).filter(|v| !v.is_empty()))
            .map(str::to_string)
    };
    let url = pick(over.url, "url").unwrap_or_else(|| DEFAULT_URL.to_string());
    let keys = match (
        pick(over.apikey, "apikey"),
        pick(over.secretkey, "secretkey"),
    ) {
        (Some(a), Some(s)) => Some((a, s)),
        (None, None) => None,
        (Some(_), None) => bail!("an API key is set but no secret key (profile `{profile}`)"),
        (None, Some(_)) => bail!("a secret key is set but no API key (profile `{profile}`)"),
    };
    Ok(Target { url, keys })
}

/// Sets one of `url`, `apikey`, `secretkey` in a profile, refusing other names.
pub fn set_profile_key(
    file: &mut ConfigFile,
    profile: &str,
    key: &str,
    value: &str,
) -> anyhow::Result<()> {
    let key = key.to_ascii_lowercase();
    if !PROFILE_KEYS.contains(&key.as_str()) {
        bail!("unknown profile key `{key}` (expected one of url, apikey, secretkey)");
    }
    if key == "url" {
        reqwest::Url::parse(value).with_context(|| format!("invalid url `{value}`"))?;
    }
    file.set(profile, &key, value);
    Ok(())
}

impl ConfigFile {
    /// Reads `path`; a missing file is an empty config.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        match fs::read_to_string(path) {
            Ok(text) => Self::parse(&text).with_context(|| format!("in {}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let mut file = Self::default();
        let mut current = String::new();
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(rest) = line.strip_prefix('[') {
                let Some(name) = rest.strip_suffix(']') else {
                    bail!("line {}: unterminated section header", n + 1);
                };
                current = unquote(name.trim()).with_context(|| format!("line {}", n + 1))?;
                file.ensure_section(&current);
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                bail!("line {}: expected `key = value` or `[section]`", n + 1);
            };
            let value = unquote(value.trim()).with_context(|| format!("line {}", n + 1))?;
            file.set(&current, key.trim(), &value);
        }
        Ok(file)
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        for s in &self.sections {
            if !s.name.is_empty() {
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(&format!("[{}]\n", quote_name(&s.name)));
            }
            for (k, v) in &s.entries {
                out.push_str(&format!("{k} = {}\n", quote(v)));
            }
        }
        out
    }

    /// Writes atomically with mode 0600 (parent directory created 0700).
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir)
                .with_context(|| format!("cannot create directory {}", dir.display()))?;
        }
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        write_private(&tmp, self.render().as_bytes())
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))
    }

    pub fn get(&self, section: &str, key: &str) -> Option<&str> {
        let s = self.section(section)?;
        s.entries
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    pub fn set(&mut self, section: &str, key: &str, value: &str) {
        let s = self.ensure_section(section);
        match s
            .entries
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
        {
            Some(slot) => slot.1 = value.to_string(),
            None => s.entries.push((key.to_string(), value.to_string())),
        }
    }

    /// Adds an empty section unless it exists.
    pub fn add_section(&mut self, name: &str) {
        self.ensure_section(name);
    }

    fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    fn ensure_section(&mut self, name: &str) -> &mut Section {
        let idx = match self.sections.iter().position(|s| s.name == name) {
            Some(i) => i,
            None => {
                self.sections.push(Section {
                    name: name.to_string(),
                    entries: Vec::new(),
                });
                self.sections.len() - 1
            }
        };
        &mut self.sections[idx]
    }
}

fn quote(value: &str) -> String {
    let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{escaped}\"")
}

fn quote_name(name: &str) -> String {
    let bare = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare { name.to_string() } else { quote(name) }
}

/// Strips `"..."` (with `\"`, `\\`, `\n`, `\t` escapes) or `'...'`; bare text is kept.
fn unquote(text: &str) -> anyhow::Result<String> {
    if let Some(inner) = text.strip_prefix('\'') {
        return match inner.find('\'') {
            Some(end) => Ok(inner[..end].to_string()),
            None => bail!("unterminated quote"),
        };
    }
    let Some(inner) = text.strip_prefix('"') else {
        return Ok(text.to_string());
    };
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Ok(out),
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(c @ ('"' | '\\')) => out.push(c),
                Some(c) => bail!("unknown escape `\\{c}`"),
                None => bail!("unterminated quote"),
            },
            c => out.push(c),
        }
    }
    bail!("unterminated quote")
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        opts.mode(0o600);
        let mut f = opts.open(path)?;
        // A leftover file keeps its old mode on open: tighten it before writing.
        f.set_permissions(fs::Permissions::from_mode(0o600))?;
        f.write_all(bytes)?;
        f.sync_all()
    }
    #[cfg(not(unix))]
    {
        let mut f = opts.open(path)?;
        f.write_all(bytes)?;
        f.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
# my clouds
[default]
url = http://localhost:8080/client/api
apikey = "AbC"
secretkey = 'x=y"z'

[lab-2]
URL = "http://lab:8080/client/api"
"#;

    #[test]
    fn parses_sections_and_quotes() -> anyhow::Result<()> {
        let f = ConfigFile::parse(SAMPLE)?;
        assert_eq!(f.get("default", "apikey"), Some("AbC"));
        assert_eq!(f.get("default", "secretkey"), Some("x=y\"z"));
        assert_eq!(f.get("lab-2", "url"), Some("http://lab:8080/client/api"));
        assert_eq!(f.get("lab-2", "apikey"), None);
        assert!(ConfigFile::parse("[x\n").is_err());
        assert!(ConfigFile::parse("novalue\n").is_err());
        assert!(ConfigFile::parse("a = \"open\n").is_err());
        Ok(())
    }

    #[test]
    fn file_round_trip_with_private_mode() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("sub/config.toml");
        let mut f = ConfigFile::parse(SAMPLE)?;
        set_profile_key(&mut f, "new one", "SecretKey", "s\\e\"c=ret")?;
        set_profile_key(&mut f, "default", "apikey", "changed")?;
        assert!(set_profile_key(&mut f, "default", "password", "x").is_err());
        assert!(set_profile_key(&mut f, "default", "url", "not a url").is_err());
        f.save(&path)?;
        let back = ConfigFile::load(&path)?;
        assert_eq!(back, f);
        assert_eq!(back.get("new one", "secretkey"), Some("s\\e\"c=ret"));
        assert_eq!(back.get("default", "apikey"), Some("changed"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path)?.permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(
            ConfigFile::load(&dir.path().join("missing"))?,
            ConfigFile::default()
        );
        Ok(())
    }

    #[test]
    fn overrides_beat_profile() -> anyhow::Result<()> {
        let f = ConfigFile::parse(SAMPLE)?;
        let p = Path::new("cfg");
        let t = resolve(&f, p, "default", Overrides::default())?;
        assert_eq!(t.url, DEFAULT_URL);
        assert_eq!(t.keys, Some(("AbC".into(), "x=y\"z".into())));
        let over = Overrides {
            url: Some("http://other/client/api"),
            apikey: Some("K"),
            secretkey: Some("S"),
        };
        let t = resolve(&f, p, "lab-2", over)?;
        assert_eq!(t.url, "http://other/client/api");
        assert_eq!(t.keys, Some(("K".into(), "S".into())));
        let t = resolve(&f, p, "lab-2", Overrides::default())?;
        assert_eq!(t.keys, None);
        let half = Overrides {
            apikey: Some("K"),
            ..Overrides::default()
        };
        assert!(resolve(&f, p, "lab-2", half).is_err());
        assert!(resolve(&f, p, "nope", Overrides::default()).is_err());
        let empty = ConfigFile::default();
        assert_eq!(
            resolve(&empty, p, "default", Overrides::default())?.url,
            DEFAULT_URL
        );
        Ok(())
    }
}
