//! Where gearshift keeps its files.
//!
//! `--home DIR` (or `GEARSHIFT_HOME`) puts everything under one directory, which is what tests
//! and portable installs want; otherwise the platform's standard config, data and state
//! directories are used (XDG on Linux), via the `directories` crate.

use std::path::{Path, PathBuf};

use directories::ProjectDirs;

use super::ConfigError;

/// Every path gearshift reads or writes outside the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// The `--home` directory, when one is in use.
    pub home: Option<PathBuf>,
    /// The user's `config.toml`.
    pub config_file: PathBuf,
    /// The directory holding the user's `config.toml`, `themes/` and `skills/`.
    pub config_dir: PathBuf,
    /// The SQLite session store.
    pub db_file: PathBuf,
    /// Log files.
    pub log_dir: PathBuf,
    /// Sessions exported from the browser.
    pub export_dir: PathBuf,
    /// The workspaces the user trusted (`gearshift trust`), outside every workspace.
    pub trust_file: PathBuf,
}

impl Paths {
    /// Everything under one directory.
    #[must_use]
    pub fn under_home(home: &Path) -> Paths {
        Paths {
            home: Some(home.to_path_buf()),
            config_file: home.join("config.toml"),
            config_dir: home.to_path_buf(),
            db_file: home.join("gearshift.db"),
            log_dir: home.join("logs"),
            export_dir: home.join("exports"),
            trust_file: home.join("trusted-workspaces.toml"),
        }
    }

    /// `--home` wins over `GEARSHIFT_HOME`, which wins over the platform directories.
    pub fn resolve(home_flag: Option<&Path>, env_home: Option<&str>) -> Result<Paths, ConfigError> {
        if let Some(home) = home_flag {
            return Ok(Paths::under_home(home));
        }
        if let Some(home) = env_home.filter(|h| !h.is_empty()) {
            return Ok(Paths::under_home(Path::new(home)));
        }
        let dirs = ProjectDirs::from("dev", "gearshift", "gearshift").ok_or_else(|| {
            ConfigError::Invalid(
                "cannot find your home directory; pass --home DIR or set GEARSHIFT_HOME".into(),
            )
        })?;
        let state = dirs
            .state_dir()
            .unwrap_or_else(|| dirs.data_local_dir())
            .to_path_buf();
        Ok(Paths {
            home: None,
            config_file: dirs.config_dir().join("config.toml"),
            config_dir: dirs.config_dir().to_path_buf(),
            db_file: dirs.data_dir().join("gearshift.db"),
            log_dir: state.join("logs"),
            export_dir: dirs.data_dir().join("exports"),
            trust_file: dirs.data_dir().join("trusted-workspaces.toml"),
        })
    }

    /// Everything of gearshift's outside the workspace that a command must never write: the
    /// config directory (config, themes, skills, pipelines), the data directory (database,
    /// trust record, exports) and the logs. The sandbox keeps them read-only should they lie
    /// somewhere writable.
    #[must_use]
    pub fn own(&self) -> Vec<PathBuf> {
        let mut own = vec![
            self.config_dir.clone(),
            self.log_dir.clone(),
            self.config_file.clone(),
            self.db_file.clone(),
            self.trust_file.clone(),
        ];
        for file in [&self.db_file, &self.trust_file] {
            if let Some(dir) = file.parent() {
                own.push(dir.to_path_buf());
            }
        }
        own.push(self.export_dir.clone());
        own.sort();
        own.dedup();
        own
    }

    /// Where sessions' transcripts for hooks are kept (`SESSION.jsonl`, Claude Code's format),
    /// beside the database.
    #[must_use]
    pub fn transcript_dir(&self) -> PathBuf {
        self.db_file
            .parent()
            .map_or_else(|| PathBuf::from("transcripts"), |d| d.join("transcripts"))
    }

    /// Model facts imported by `gearshift models import` (`[models."NAME"]` entries), read
    /// between the built-in catalog and the user's `config.toml`.
    #[must_use]
    pub fn models_file(&self) -> PathBuf {
        self.config_dir.join("models.toml")
    }

    /// The workspace's own config file, which patches the user's.
    #[must_use]
    pub fn project_config(workspace: &Path) -> PathBuf {
        workspace.join(".gearshift").join("config.toml")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_flag_beats_env_and_puts_everything_under_it() {
        let p = Paths::resolve(Some(Path::new("/tmp/a")), Some("/tmp/b")).unwrap();
        assert_eq!(p.config_file, Path::new("/tmp/a/config.toml"));
        assert_eq!(p.db_file, Path::new("/tmp/a/gearshift.db"));
        assert_eq!(p.log_dir, Path::new("/tmp/a/logs"));
        let p = Paths::resolve(None, Some("/tmp/b")).unwrap();
        assert_eq!(p.db_file, Path::new("/tmp/b/gearshift.db"));
    }
}
