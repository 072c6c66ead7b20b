//! What confinement refuses, worded for the model.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfineError {
    #[error("`{0}` is outside the workspace; only paths inside {1} can be used")]
    Outside(String, String),
    #[error("the path is empty")]
    Empty,
    #[error("`{0}` contains a NUL byte")]
    Nul(String),
    #[error("cannot resolve `{path}`: {detail}")]
    Io { path: String, detail: String },
}

/// What a path is, without following a final symlink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Missing,
    File,
    Dir,
    Symlink,
    /// A FIFO, socket or device.
    Special,
}

/// A file operation's failure, worded for the model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("{0} does not exist; use list_dir or glob to find the right path")]
    NotFound(String),
    #[error(
        "refused: `{0}` leads outside the workspace (a symbolic link or a path swapped for one)"
    )]
    Escapes(String),
    #[error("refused: {0} is {1}, not a regular file; only regular files are read or written")]
    NotRegular(String, &'static str),
    #[error(
        "refused: {0} has {1} hard links, and one of them may be a file outside the workspace; \
         the user can allow this with [files] read_hard_links = true"
    )]
    HardLinked(String, u64),
    #[error("refused: {0} is a symbolic link; write the file it points to instead")]
    Symlink(String),
    #[error("refused: {path} is protected: {why}")]
    Protected { path: String, why: String },
    #[error(
        "refused: {path} leads somewhere else now ({now}) than when it was checked; nothing was \
         written"
    )]
    Moved { path: String, now: String },
    #[error("cannot access {0}: {1}")]
    Io(String, String),
}

impl FileError {
    /// An I/O failure on `shown`, told apart: a path cap-std refused as leaving the directory,
    /// a missing one, anything else.
    pub(super) fn of_io(shown: String, e: &std::io::Error) -> FileError {
        // cap-std's refusal of a path that would leave the directory.
        if e.to_string().contains("outside of the filesystem") {
            FileError::Escapes(shown)
        } else if e.kind() == std::io::ErrorKind::NotFound {
            FileError::NotFound(shown)
        } else {
            FileError::Io(shown, e.to_string())
        }
    }
}

/// A file type's name for a refusal.
pub(super) fn kind_name(ft: cap_std::fs::FileType) -> &'static str {
    use cap_std::fs::FileTypeExt as _;
    if ft.is_fifo() {
        "a named pipe (FIFO)"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_char_device() || ft.is_block_device() {
        "a device"
    } else if ft.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}
