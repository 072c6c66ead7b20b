//! What a front end starts a session with: where gearshift's files are, the workspace, the
//! configuration in force and the environment ([`Context`]), and the session opened from them
//! ([`StartedSession`]). The command line builds the context from its flags; the TUI and
//! `exec` open sessions through it, and neither reaches into the other.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::config::{ActiveProvider, LoadedConfig, Paths};
use crate::core::{self, ApprovalMode, OpenRequest, OpenedSession, SessionDeps};
use crate::library::Library;
use crate::store::Store;

/// Everything a command needs to start: where things are and what the user configured.
pub struct Context {
    pub paths: Paths,
    pub workspace: PathBuf,
    pub loaded: LoadedConfig,
    pub env: BTreeMap<String, String>,
    /// What hears every session's events besides its front end (telemetry), when on.
    pub tap: Option<std::sync::Arc<dyn crate::protocol::tap::Tap>>,
}

/// Keeps the log writer alive; logs are flushed when it drops.
pub type LogGuard = tracing_appender::non_blocking::WorkerGuard;

/// A session ready to run: everything checked and opened, nothing drawn yet.
pub struct StartedSession {
    pub provider: ActiveProvider,
    /// The stored sessions, this one among them.
    pub library: Library,
    pub opened: OpenedSession,
    pub deps: SessionDeps,
    /// Keeps the log writer alive; logs are flushed when it drops.
    pub log: Option<LogGuard>,
}

/// A stored session opened to be read.
pub struct ReadSession {
    pub provider: ActiveProvider,
    pub library: Library,
    pub opened: OpenedSession,
}

impl Context {
    /// Resolves the provider (and its key), opens the store and the session, and starts
    /// logging. Every failure here is a message, before any terminal set-up.
    pub fn start_session(
        &self,
        request: &OpenRequest,
        approval_mode: ApprovalMode,
    ) -> anyhow::Result<StartedSession> {
        let config = &self.loaded.config;
        let provider = config.active_provider()?;
        let client = crate::provider::client_for(
            &provider,
            &|var| self.env.get(var).cloned(),
            &self.workspace,
        )?;
        let log = crate::logging::init(&self.paths.log_dir);
        let store = Store::open(&self.paths.db_file)?;
        let opened = core::open_session(
            &store,
            &store.reader()?,
            &self.workspace_str(),
            &provider,
            config.gear,
            request,
        )?;
        tracing::info!(session = %opened.state.id, resumed = opened.resumed, "session opened");
        let deps = SessionDeps::new(
            store.clone(),
            client,
            provider.clone(),
            config,
            &self.workspace,
            approval_mode,
        )?
        .protecting(&self.paths.own());
        let transcripts = Some(self.paths.transcript_dir());
        let deps = SessionDeps {
            transcripts,
            config_dir: Some(self.paths.config_dir.clone()),
            home_dir: self.env.get("HOME").map(PathBuf::from),
            switch: Some(self.model_switch()),
            tap: self.tap.clone(),
            ..deps
        };
        Ok(StartedSession {
            provider,
            library: Library::of(store),
            opened,
            deps,
            log,
        })
    }

    /// Session `id` to read, not to run: no provider is called, no hook or MCP server
    /// started (another workspace's session, opened read-only).
    pub fn read_session(&self, id: &str) -> anyhow::Result<ReadSession> {
        let store = Store::open(&self.paths.db_file)?;
        let opened = core::load_session(&store.reader()?, id)?;
        Ok(ReadSession {
            provider: self.loaded.config.active_provider()?,
            library: Library::of(store),
            opened,
        })
    }

    /// How the session switches models mid-run: any configured provider, with any model,
    /// its key from this process's environment.
    fn model_switch(&self) -> core::ModelSwitch {
        let config = self.loaded.config.clone();
        let env = self.env.clone();
        let workspace = self.workspace.clone();
        std::sync::Arc::new(move |provider: &str, model: &str| {
            let active = config
                .provider_named(provider, Some(model))
                .map_err(|e| e.to_string())?;
            let client =
                crate::provider::client_for(&active, &|var| env.get(var).cloned(), &workspace)
                    .map_err(|e| e.to_string())?;
            Ok((active, client))
        })
    }

    /// The workspace as stored in session records.
    #[must_use]
    pub fn workspace_str(&self) -> String {
        self.workspace.to_string_lossy().into_owned()
    }
}
