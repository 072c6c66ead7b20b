//! The workspace's files and folders for `@` completion, at any size: an ignore-aware walk
//! on its own threads feeds nucleo's matcher (helix's), which ranks them on its own threads
//! as they arrive. The event loop only sets the query and takes the best rows when the
//! matcher says it has news ([`FileIndex::tick`]); nothing here runs on the draw path.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use nucleo::pattern::{CaseMatching, Normalization};
use nucleo::{Config, Nucleo, Utf32Str};

/// The rows the popup is offered at most (the best matches).
pub const ROWS: usize = 200;

/// How long a tick waits for the matcher before leaving it to finish in the background.
const TICK_MS: u64 = 2;

/// Folders deeper than this are not walked.
const MAX_DEPTH: usize = 16;

/// What wakes the event loop when the matcher has news; called once until the next tick.
pub type Wake = Arc<dyn Fn() + Send + Sync>;

/// The files of one walk of the workspace and their ranking for the current query.
pub struct FileIndex {
    /// Each item's path is its one matcher column; the item holds the path itself only when
    /// the column cannot give it back exactly (a path that is not ASCII).
    nucleo: Nucleo<Option<Box<str>>>,
    /// The query the rows are for.
    query: String,
    /// The best rows, as the matcher last gave them.
    rows: Vec<String>,
    /// The query the matcher had finished ranking for when `rows` were taken: while it is
    /// not `query`, the rows belong to an older query (see [`FileIndex::ranked`]).
    rows_for: Option<String>,
    /// What the last tick saw of the walk: its count and whether it was done.
    seen: (u32, bool),
    /// Set by the walk when it ends.
    walked: Arc<AtomicBool>,
    /// Set when this index goes: a walk still running stops.
    dropped: Arc<AtomicBool>,
    /// Set once news was announced, cleared by the tick that takes it: one wake-up waits at
    /// most, however many files the walk adds meanwhile.
    announced: Arc<AtomicBool>,
}

impl std::fmt::Debug for FileIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileIndex")
            .field("items", &self.nucleo.snapshot().item_count())
            .field("query", &self.query)
            .field("walked", &self.walked())
            .finish_non_exhaustive()
    }
}

/// A walk feeding one [`FileIndex`]; [`Walk::run`] blocks until the tree is listed.
pub struct Walk {
    root: PathBuf,
    injector: nucleo::Injector<Option<Box<str>>>,
    walked: Arc<AtomicBool>,
    dropped: Arc<AtomicBool>,
    wake: Wake,
}

impl FileIndex {
    /// An empty index and the walk that fills it from `root`. `wake` is called whenever the
    /// matcher has something new for [`FileIndex::tick`].
    #[must_use]
    pub fn new(root: &Path, wake: Wake) -> (Self, Walk) {
        let announced = Arc::new(AtomicBool::new(false));
        let wake: Wake = {
            let announced = Arc::clone(&announced);
            Arc::new(move || {
                if !announced.swap(true, Ordering::AcqRel) {
                    wake();
                }
            })
        };
        let nucleo = Nucleo::new(
            Config::DEFAULT.match_paths(),
            Arc::clone(&wake),
            Some(threads()),
            1,
        );
        let walked = Arc::new(AtomicBool::new(false));
        let dropped = Arc::new(AtomicBool::new(false));
        let walk = Walk {
            root: root.to_path_buf(),
            injector: nucleo.injector(),
            walked: Arc::clone(&walked),
            dropped: Arc::clone(&dropped),
            wake,
        };
        let index = Self {
            nucleo,
            query: String::new(),
            rows: Vec::new(),
            rows_for: None,
            seen: (0, false),
            walked,
            dropped,
            announced,
        };
        (index, walk)
    }

    /// An index of exactly `paths`, ranked before it returns (for tests and fixtures).
    #[must_use]
    pub fn of(paths: &[&str]) -> Self {
        let (mut index, walk) = Self::new(Path::new("."), Arc::new(|| {}));
        for path in paths {
            push(&walk.injector, path);
        }
        walk.walked.store(true, Ordering::Release);
        index.settle();
        index
    }

    /// Whether the walk has listed the whole tree.
    #[must_use]
    pub fn walked(&self) -> bool {
        self.walked.load(Ordering::Acquire)
    }

    /// How many files and folders are listed so far.
    #[must_use]
    pub fn count(&self) -> u32 {
        self.nucleo.snapshot().item_count()
    }

    /// The query the rows are for.
    #[must_use]
    pub fn query(&self) -> &str {
        &self.query
    }

    /// The best rows for the query, best first: none while the matcher is still ranking
    /// for a query other than the one the rows were taken for.
    #[must_use]
    pub fn rows(&self) -> &[String] {
        if self.ranked() { &self.rows } else { &[] }
    }

    /// Whether the rows are the matcher's answer for the current query (the walk may still
    /// add to them).
    #[must_use]
    pub fn ranked(&self) -> bool {
        self.rows_for.as_deref() == Some(self.query.as_str())
    }

    /// Ranks for `query` from now on (the rows follow on a later tick when the matcher needs
    /// longer than a moment).
    pub fn set_query(&mut self, query: &str) {
        if query == self.query {
            return;
        }
        // Typing on narrows what already matched; anything else ranks everything again (as
        // does any of the pattern syntax's special characters, whose meaning a longer
        // query can change: `^`, `$`, `!`, `'`, `\`, a space).
        let special = |q: &str| q.contains(['^', '$', '!', '\'', '\\', ' ']);
        let append = query.starts_with(&self.query) && !special(query) && !special(&self.query);
        self.nucleo
            .pattern
            .reparse(0, query, CaseMatching::Smart, Normalization::Smart, append);
        query.clone_into(&mut self.query);
        self.tick();
    }

    /// Takes what the matcher and the walk have done since the last tick; whether anything
    /// shown changed (the rows, the count, the walk's end).
    pub fn tick(&mut self) -> bool {
        self.announced.store(false, Ordering::Release);
        let status = self.nucleo.tick(TICK_MS);
        let snapshot = self.nucleo.snapshot();
        let n = snapshot.matched_item_count().min(ROWS as u32);
        let rows: Vec<String> = snapshot.matched_items(..n).map(|i| path_of(&i)).collect();
        let ranked_before = self.ranked();
        if !status.running {
            self.rows_for = Some(self.query.clone());
        }
        let seen = (snapshot.item_count(), self.walked());
        let changed = status.changed
            || rows != self.rows
            || seen != self.seen
            || ranked_before != self.ranked();
        self.rows = rows;
        self.seen = seen;
        changed
    }

    /// Whether `path` (a file, or a folder with or without its `/`) is listed.
    #[must_use]
    pub fn contains(&self, path: &str) -> bool {
        let wanted = |listed: &str| listed == path || listed.strip_suffix('/') == Some(path);
        let snapshot = self.nucleo.snapshot();
        (0..snapshot.item_count())
            .filter_map(|i| snapshot.get_item(i))
            .any(
                |item| match (item.data, item.matcher_columns[0].slice(..)) {
                    (Some(listed), _) => wanted(listed),
                    (None, Utf32Str::Ascii(bytes)) => std::str::from_utf8(bytes).is_ok_and(wanted),
                    (None, Utf32Str::Unicode(_)) => false,
                },
            )
    }

    /// Ticks until the matcher is idle: blocks up to a second, so for tests, fixtures and
    /// benchmarks only.
    pub fn settle(&mut self) {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(1);
        while self.nucleo.tick(10).running && std::time::Instant::now() < until {}
        self.tick();
    }
}

impl Drop for FileIndex {
    fn drop(&mut self) {
        self.dropped.store(true, Ordering::Release);
    }
}

impl Walk {
    /// Lists the tree (`.gitignore`d and hidden entries left out, `.git` with them) into the
    /// index, in parallel; stops early when the index is gone.
    pub fn run(self) {
        let root = self.root.clone();
        ignore::WalkBuilder::new(&root)
            .hidden(true)
            // A `.gitignore` counts in a project that is not (yet) a git repository too.
            .require_git(false)
            .max_depth(Some(MAX_DEPTH))
            .threads(threads())
            .build_parallel()
            .run(|| {
                let injector = self.injector.clone();
                let dropped = Arc::clone(&self.dropped);
                let root = root.clone();
                Box::new(move |entry| {
                    if dropped.load(Ordering::Relaxed) {
                        return ignore::WalkState::Quit;
                    }
                    let Ok(entry) = entry else {
                        return ignore::WalkState::Continue;
                    };
                    let Ok(rel) = entry.path().strip_prefix(&root) else {
                        return ignore::WalkState::Continue;
                    };
                    if rel.as_os_str().is_empty() {
                        return ignore::WalkState::Continue;
                    }
                    let rel = rel.to_string_lossy();
                    if entry.file_type().is_some_and(|t| t.is_dir()) {
                        push(&injector, &format!("{rel}/"));
                    } else {
                        push(&injector, &rel);
                    }
                    ignore::WalkState::Continue
                })
            });
        self.walked.store(true, Ordering::Release);
        (self.wake)();
    }
}

/// Threads for the walk and for the matcher: the machine's, four at most.
fn threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().min(4))
}

/// Adds one path: as the matcher's column, and as the item too when the column would not
/// give it back exactly.
fn push(injector: &nucleo::Injector<Option<Box<str>>>, path: &str) {
    let data = (!path.is_ascii()).then(|| Box::from(path));
    injector.push(data, |_, columns| columns[0] = path.into());
}

/// A listed item's path.
fn path_of(item: &nucleo::Item<'_, Option<Box<str>>>) -> String {
    item.data
        .as_deref()
        .map_or_else(|| item.matcher_columns[0].to_string(), str::to_string)
}

#[cfg(test)]
mod tests;
