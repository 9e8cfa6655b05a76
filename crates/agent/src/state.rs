//! The agent's state directory: `hosts.json` keeps each host's guid and name (so a
//! restarted agent announces the same hosts) and what the server said about it (host id,
//! per-host token). Written atomically (temporary file + rename).
//!
//! Without a state directory everything lives in memory: guids are new at every start.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use strato_agent_proto::Welcome;

const FILE_NAME: &str = "hosts.json";
const FORMAT_VERSION: u32 = 1;

/// One host's identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedHost {
    pub guid: String,
    pub name: String,
    /// The server's id for the host, from the last `Welcome`.
    #[serde(default)]
    pub host_id: Option<String>,
    /// The per-host token from the last `Welcome`, presented on reconnect.
    #[serde(default)]
    pub token: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct StateFile {
    version: u32,
    hosts: Vec<SavedHost>,
}

/// Host identities, loaded from and saved to the state directory.
pub struct AgentState {
    path: Option<PathBuf>,
    hosts: Vec<SavedHost>,
    active: usize,
}

impl AgentState {
    /// Loads the state of `dir` (creating it), keeping the first `count` hosts active and
    /// creating new identities if there are fewer. Hosts beyond `count` stay in the file
    /// for a later start with more hosts.
    pub fn load(dir: Option<&Path>, count: usize, name_prefix: &str) -> anyhow::Result<Self> {
        let path = dir.map(|d| d.join(FILE_NAME));
        let mut hosts = match (&path, dir) {
            (Some(path), Some(dir)) => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create state directory {}", dir.display()))?;
                read(path)?
            }
            _ => Vec::new(),
        };
        let before = hosts.len();
        while hosts.len() < count {
            let guid = uuid::Uuid::new_v4().to_string();
            hosts.push(SavedHost {
                name: format!("{name_prefix}{guid}"),
                guid,
                host_id: None,
                token: None,
            });
        }
        let state = Self {
            path,
            hosts,
            active: count,
        };
        if state.hosts.len() != before {
            state.save()?;
        }
        Ok(state)
    }

    /// The hosts this run serves.
    pub fn active(&self) -> &[SavedHost] {
        &self.hosts[..self.active.min(self.hosts.len())]
    }

    /// Remembers the host ids and tokens the server handed out; saves if they changed.
    pub fn record_welcome(&mut self, welcome: &Welcome) -> anyhow::Result<()> {
        let mut changed = false;
        for accepted in &welcome.hosts {
            if let Some(host) = self.hosts.iter_mut().find(|h| h.guid == accepted.guid) {
                let id = Some(accepted.host_id.clone());
                let token = Some(accepted.token.clone());
                if host.host_id != id || host.token != token {
                    host.host_id = id;
                    host.token = token;
                    changed = true;
                }
            }
        }
        if changed { self.save() } else { Ok(()) }
    }

    fn save(&self) -> anyhow::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let file = StateFile {
            version: FORMAT_VERSION,
            hosts: self.hosts.clone(),
        };
        let json = serde_json::to_vec_pretty(&file).context("cannot encode the agent state")?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, json).with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, path)
            .with_context(|| format!("cannot replace {}", path.display()))?;
        Ok(())
    }
}

fn read(path: &Path) -> anyhow::Result<Vec<SavedHost>> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    // A damaged file is an error, not a reason to invent new hosts: the old ones would
    // stay registered on the server, disconnected, forever.
    let file: StateFile = serde_json::from_slice(&bytes).with_context(|| {
        format!(
            "{} is damaged; fix it or remove it to register new hosts",
            path.display()
        )
    })?;
    if file.version != FORMAT_VERSION {
        bail!(
            "{} has format version {}, this agent reads version {FORMAT_VERSION}",
            path.display(),
            file.version
        );
    }
    Ok(file.hosts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use strato_agent_proto::HostAccepted;

    #[test]
    fn guids_survive_a_restart_and_grow_with_count() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let first = AgentState::load(Some(dir.path()), 2, "sim-")?;
        assert_eq!(first.active().len(), 2);
        assert!(first.active()[0].name.starts_with("sim-"));
        let again = AgentState::load(Some(dir.path()), 2, "other-")?;
        assert_eq!(again.active(), first.active());
        let fewer = AgentState::load(Some(dir.path()), 1, "sim-")?;
        assert_eq!(fewer.active(), &first.active()[..1]);
        let more = AgentState::load(Some(dir.path()), 3, "sim-")?;
        assert_eq!(&more.active()[..2], first.active());
        assert_eq!(more.active().len(), 3);
        Ok(())
    }

    #[test]
    fn welcome_tokens_are_saved() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let mut state = AgentState::load(Some(dir.path()), 1, "h")?;
        let guid = state.active()[0].guid.clone();
        state.record_welcome(&Welcome {
            ping_interval_secs: 60,
            hosts: vec![HostAccepted {
                guid: guid.clone(),
                host_id: "id-1".into(),
                token: "tok".into(),
            }],
            refused: vec![],
            server_version: String::new(),
        })?;
        let reloaded = AgentState::load(Some(dir.path()), 1, "h")?;
        assert_eq!(reloaded.active()[0].token.as_deref(), Some("tok"));
        assert_eq!(reloaded.active()[0].host_id.as_deref(), Some("id-1"));
        Ok(())
    }

    #[test]
    fn a_damaged_file_is_an_error() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join(FILE_NAME), b"{not json")?;
        let err = AgentState::load(Some(dir.path()), 1, "h").err();
        assert!(err.is_some_and(|e| e.to_string().contains("damaged")));
        Ok(())
    }

    #[test]
    fn without_a_directory_nothing_is_written() -> anyhow::Result<()> {
        let a = AgentState::load(None, 2, "h")?;
        let b = AgentState::load(None, 2, "h")?;
        assert_ne!(a.active(), b.active());
        Ok(())
    }
}
