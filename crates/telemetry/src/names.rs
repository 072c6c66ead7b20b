//! Every name gearshift exports, in one place: the README's tables, the example dashboard and
//! the tests are built on these. They follow Claude Code's scheme (`claude_code.token.usage`
//! becomes `gearshift.token.usage`) wherever it has a name, so its dashboards port by renaming.

/// Metrics: counters unless said otherwise.
pub mod metric {
    /// Sessions started (`start`: `new` or `resumed`).
    pub const SESSIONS: &str = "gearshift.session.count";
    /// Tokens by `type`: `input` (not from the cache), `cacheRead`, `cacheCreation`, `output`
    /// (besides reasoning), `reasoning`; the types add up to what was billed.
    pub const TOKENS: &str = "gearshift.token.usage";
    /// US dollars, where the provider has prices.
    pub const COST: &str = "gearshift.cost.usage";
    /// Model requests.
    pub const REQUESTS: &str = "gearshift.api_request.count";
    /// Failed model requests, by `error` class.
    pub const ERRORS: &str = "gearshift.api_error.count";
    /// Requests that went to the next model of a route's `fallback` list.
    pub const FALLBACKS: &str = "gearshift.fallback.count";
    /// Histogram: milliseconds from sending a request to the end of its stream.
    pub const REQUEST_DURATION: &str = "gearshift.api_request.duration";
    /// Histogram: milliseconds from sending a request to its first token.
    pub const TIME_TO_FIRST_TOKEN: &str = "gearshift.api_request.time_to_first_token";
    /// Lines by `type` (`added`, `removed`), `decision` (`applied` at once in vibe,
    /// `accepted`, `rejected`, `undone`) and `writer` (`file_tool`, `command`, `subagent`).
    pub const LINES: &str = "gearshift.lines_of_code.count";
    /// Hunks decided at review, by `decision` (`accept`, `reject`, `edit`).
    pub const HUNKS: &str = "gearshift.hunk.decision";
    /// Plan steps by `outcome`: `approved`, `rejected`, `passed`, `sent_back`, `skipped`,
    /// `failed`, `incomplete`.
    pub const STEPS: &str = "gearshift.plan_step.count";
    /// Pipeline stages by `stage` and `outcome`: `passed`, `sent_back`, `skipped`,
    /// `verify_failed`.
    pub const STAGES: &str = "gearshift.stage.count";
    /// Stops for a human by `rule`: a `[[checkpoints]]` rule's name, `protected_path`,
    /// `merge_conflict`.
    pub const CHECKPOINTS: &str = "gearshift.checkpoint.count";
    /// Commands the model asked to run, by `decision` (`accept`, `reject`) and `source`
    /// (`user`, `user_always`, `allowlist`, `skill`, `hook`, `headless`).
    pub const COMMANDS: &str = "gearshift.command.decision";
    /// Commits made by the pipeline's ship stage.
    pub const COMMITS: &str = "gearshift.commit.count";
    /// Conversations compacted.
    pub const COMPACTIONS: &str = "gearshift.compaction.count";
    /// Records this process could not export (a full queue, a collector that refused or did
    /// not answer), by `signal`.
    pub const DROPPED: &str = "gearshift.telemetry.dropped";
    /// What `gearshift telemetry test` sends (1, once): a metric no session makes.
    pub const TEST: &str = "gearshift.telemetry.test";

    /// Every metric.
    pub const ALL: [&str; 18] = [
        SESSIONS,
        TOKENS,
        COST,
        REQUESTS,
        ERRORS,
        FALLBACKS,
        REQUEST_DURATION,
        TIME_TO_FIRST_TOKEN,
        LINES,
        HUNKS,
        STEPS,
        STAGES,
        CHECKPOINTS,
        COMMANDS,
        COMMITS,
        COMPACTIONS,
        DROPPED,
        TEST,
    ];
}

/// Events, sent as log records whose `event.name` is the name.
pub mod event {
    /// A prompt: its length always, its text only with `log_user_prompts`.
    pub const USER_PROMPT: &str = "gearshift.user_prompt";
    pub const API_REQUEST: &str = "gearshift.api_request";
    pub const API_ERROR: &str = "gearshift.api_error";
    pub const TOOL_RESULT: &str = "gearshift.tool_result";
    /// A command approval decided: by whom (`source`) and how.
    pub const TOOL_DECISION: &str = "gearshift.tool_decision";
    pub const HUNK_DECISION: &str = "gearshift.hunk_decision";
    pub const STEP_DECISION: &str = "gearshift.step_decision";
    pub const STAGE_DECISION: &str = "gearshift.stage_decision";
    pub const CHECKPOINT: &str = "gearshift.checkpoint";
    pub const FALLBACK: &str = "gearshift.fallback";
    pub const COMPACTION: &str = "gearshift.compaction";
    pub const COMMIT: &str = "gearshift.commit";
    /// What `gearshift telemetry test` sends.
    pub const TEST: &str = "gearshift.telemetry.test";

    /// Every event.
    pub const ALL: [&str; 13] = [
        USER_PROMPT,
        API_REQUEST,
        API_ERROR,
        TOOL_RESULT,
        TOOL_DECISION,
        HUNK_DECISION,
        STEP_DECISION,
        STAGE_DECISION,
        CHECKPOINT,
        FALLBACK,
        COMPACTION,
        COMMIT,
        TEST,
    ];
}

/// Spans: a turn, and within it each model request and tool call; a subagent's turn is a
/// child of its parent's.
pub mod span {
    pub const TURN: &str = "gearshift.turn";
    pub const API_REQUEST: &str = "gearshift.api_request";
    pub const TOOL: &str = "gearshift.tool";
    pub const SUBAGENT: &str = "gearshift.subagent";
    /// What `gearshift telemetry test` sends.
    pub const TEST: &str = "gearshift.telemetry.test";

    /// Every span.
    pub const ALL: [&str; 5] = [TURN, API_REQUEST, TOOL, SUBAGENT, TEST];
}

/// The instrumentation scope every signal is under.
pub const SCOPE: &str = "gearshift";
