//! What events say of the context window: the next request accounted item by item, by
//! category, with the prompt cache's share. Estimating and calibrating the counts is
//! `crate::context`'s.

use serde::{Deserialize, Serialize};

/// What a part of the request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    System,
    Memory,
    Skills,
    Tools,
    /// MCP servers' tool schemas, an item per server.
    Mcp,
    /// The summary of compacted turns.
    Summary,
    /// Earlier pipeline stages' artifacts, fed to later stages.
    Artifacts,
    User,
    Assistant,
    /// What the model thought, where the provider takes it back.
    Reasoning,
    ToolResults,
}

impl Category {
    pub const ALL: [Category; 11] = [
        Category::System,
        Category::Memory,
        Category::Skills,
        Category::Tools,
        Category::Mcp,
        Category::Summary,
        Category::Artifacts,
        Category::User,
        Category::Assistant,
        Category::Reasoning,
        Category::ToolResults,
    ];

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Category::System => "system",
            Category::Memory => "memory",
            Category::Skills => "skills",
            Category::Tools => "tools",
            Category::Mcp => "mcp",
            Category::Summary => "summary",
            Category::Artifacts => "artifacts",
            Category::User => "user",
            Category::Assistant => "assistant",
            Category::Reasoning => "reasoning",
            Category::ToolResults => "tool results",
        }
    }
}

/// Which part of the request an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "part", content = "index", rename_all = "snake_case")]
pub enum ItemId {
    System,
    /// A project memory file, by its place in the system prompt.
    Memory(usize),
    /// The skill catalog in the system prompt.
    Skills,
    Tools,
    /// An MCP server's tool schemas, by the server's place among those offered.
    Mcp(usize),
    Summary,
    /// A conversation message, by its index in the session's conversation.
    Message(usize),
    /// The reasoning of a conversation message, where it is passed back.
    Reasoning(usize),
}

/// One countable part of the next request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContextItem {
    pub id: ItemId,
    pub category: Category,
    /// Calibrated tokens.
    pub tokens: u64,
    /// One line saying what it is.
    pub label: String,
    pub pinned: bool,
    pub dropped: bool,
}

/// The next request, accounted: items in request order.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ContextReport {
    pub items: Vec<ContextItem>,
    /// The model's context window.
    pub window: u64,
    /// Kept free for the reply.
    pub reserved: u64,
    /// Whether a provider report has scaled the estimate yet.
    pub calibrated: bool,
    /// How much input the provider's prompt cache served.
    #[serde(default)]
    pub cache: CacheShare,
    /// Tokens the session's subagents held in contexts of their own — what its own did not
    /// have to (their reading, their tools' results).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub delegated: u64,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Input tokens read from the provider's prompt cache: for the last request, and the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CacheShare {
    pub last_input: u64,
    pub last_cached: u64,
    pub session_input: u64,
    pub session_cached: u64,
}

impl CacheShare {
    /// Percent of the last request's input read from cache, if one was reported.
    #[must_use]
    pub fn last_percent(&self) -> Option<u64> {
        (self.last_input > 0).then(|| self.last_cached * 100 / self.last_input)
    }

    #[must_use]
    pub fn session_percent(&self) -> Option<u64> {
        (self.session_input > 0).then(|| self.session_cached * 100 / self.session_input)
    }
}

impl ContextReport {
    /// Tokens the request takes.
    #[must_use]
    pub fn used(&self) -> u64 {
        self.items.iter().map(|i| i.tokens).sum()
    }

    /// Tokens by category, in [`Category::ALL`] order, zero ones included.
    #[must_use]
    pub fn by_category(&self) -> Vec<(Category, u64)> {
        Category::ALL
            .iter()
            .map(|c| {
                let sum = self
                    .items
                    .iter()
                    .filter(|i| i.category == *c)
                    .map(|i| i.tokens)
                    .sum();
                (*c, sum)
            })
            .collect()
    }

    /// The request and the reply reserve as a fraction of the window.
    #[must_use]
    pub fn fill(&self) -> f64 {
        if self.window == 0 {
            return 0.0;
        }
        #[allow(clippy::cast_precision_loss)]
        let f = (self.used() + self.reserved) as f64 / self.window as f64;
        f
    }

    /// Whether the request would not fit beside the reply reserve.
    #[must_use]
    pub fn over(&self) -> bool {
        self.used() + self.reserved > self.window
    }
}
