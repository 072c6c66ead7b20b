//! What gearshift knows of the programs that run another program: wrappers (`env`, `nice`,
//! `xargs` …) and their options that take a value, and shells given a string.

use super::Word;

/// Options of a wrapper that take a value (the next word).
pub(super) fn takes_value(wrapper: &str, option: &str) -> bool {
    match wrapper {
        "env" => matches!(option, "-u" | "--unset" | "-C" | "--chdir"),
        "exec" => option == "-a",
        "nice" => matches!(option, "-n" | "--adjustment"),
        "timeout" => matches!(option, "-s" | "--signal" | "-k" | "--kill-after"),
        "time" => matches!(option, "-f" | "--format" | "-o" | "--output"),
        "sudo" | "doas" => matches!(
            option,
            "-u" | "-g" | "-h" | "-p" | "-C" | "-D" | "-r" | "-t" | "-U" | "--user" | "--group"
        ),
        "xargs" => matches!(
            option,
            "-n" | "-I"
                | "-L"
                | "-P"
                | "-d"
                | "-E"
                | "-s"
                | "-a"
                | "--max-args"
                | "--max-procs"
                | "--delimiter"
                | "--arg-file"
        ),
        "ionice" => matches!(option, "-c" | "-n" | "-p"),
        "stdbuf" => matches!(option, "-i" | "-o" | "-e"),
        "git" => matches!(
            option,
            "-C" | "-c"
                | "--git-dir"
                | "--work-tree"
                | "--namespace"
                | "--exec-path"
                | "--config-env"
        ),
        _ => false,
    }
}

pub(super) const WRAPPERS: [&str; 15] = [
    "env", "command", "builtin", "exec", "nice", "nohup", "timeout", "time", "sudo", "doas",
    "xargs", "setsid", "stdbuf", "ionice", "busybox",
];

pub(super) const SHELLS: [&str; 6] = ["sh", "bash", "zsh", "dash", "ksh", "ash"];

/// `words` without their leading options (and the values those take).
pub(super) fn skip_options(program: &str, words: Vec<(Word, String)>) -> Vec<(Word, String)> {
    let mut it = words.into_iter().peekable();
    while let Some((value, _)) = it.peek() {
        let Some(v) = value.as_deref() else { break };
        if v == "--" {
            it.next();
            break;
        }
        if !v.starts_with('-') || v == "-" {
            break;
        }
        let option = v.split_once('=').map_or(v, |(o, _)| o).to_string();
        let inline = v.contains('=');
        it.next();
        if takes_value(program, &option) && !inline {
            it.next();
        }
    }
    it.collect()
}

/// The string a shell is given with `-c` (flags may be combined: `-lc`); `None` when it
/// reads its program from input or a file, or the string is not literal.
pub(super) fn shell_string(args: &[(Word, String)]) -> Option<String> {
    let mut it = args.iter();
    while let Some((value, _)) = it.next() {
        let v = value.as_deref()?;
        if v.starts_with('-') && !v.starts_with("--") && v.contains('c') {
            return it.next()?.0.clone();
        }
        if !v.starts_with('-') {
            return None;
        }
    }
    None
}

/// The commands git itself knows (`git --list-cmds=main`, git 2.47), sorted. An alias may not
/// shadow one of them, so any other name (`git p` after `-c alias.p=push`, a config file's
/// alias, a `git-foo` program on the path) may run anything.
const GIT_COMMANDS: [&str; 171] = [
    "add",
    "am",
    "annotate",
    "apply",
    "archimport",
    "archive",
    "bisect",
    "blame",
    "branch",
    "bugreport",
    "bundle",
    "cat-file",
    "check-attr",
    "check-ignore",
    "check-mailmap",
    "check-ref-format",
    "checkout",
    "checkout--worker",
    "checkout-index",
    "cherry",
    "cherry-pick",
    "clean",
    "clone",
    "column",
    "commit",
    "commit-graph",
    "commit-tree",
    "config",
    "count-objects",
    "credential",
    "credential-cache",
    "credential-cache--daemon",
    "credential-store",
    "cvsexportcommit",
    "cvsimport",
    "cvsserver",
    "daemon",
    "describe",
    "diagnose",
    "diff",
    "diff-files",
    "diff-index",
    "diff-tree",
    "difftool",
    "difftool--helper",
    "fast-export",
    "fast-import",
    "fetch",
    "fetch-pack",
    "filter-branch",
    "fmt-merge-msg",
    "for-each-ref",
    "for-each-repo",
    "format-patch",
    "fsck",
    "fsck-objects",
    "fsmonitor--daemon",
    "gc",
    "get-tar-commit-id",
    "grep",
    "hash-object",
    "help",
    "hook",
    "http-backend",
    "http-fetch",
    "http-push",
    "imap-send",
    "index-pack",
    "init",
    "init-db",
    "instaweb",
    "interpret-trailers",
    "log",
    "ls-files",
    "ls-remote",
    "ls-tree",
    "mailinfo",
    "mailsplit",
    "maintenance",
    "merge",
    "merge-base",
    "merge-file",
    "merge-index",
    "merge-octopus",
    "merge-one-file",
    "merge-ours",
    "merge-recursive",
    "merge-recursive-ours",
    "merge-recursive-theirs",
    "merge-resolve",
    "merge-subtree",
    "merge-tree",
    "mergetool",
    "mktag",
    "mktree",
    "multi-pack-index",
    "mv",
    "name-rev",
    "notes",
    "p4",
    "pack-objects",
    "pack-redundant",
    "pack-refs",
    "patch-id",
    "pickaxe",
    "prune",
    "prune-packed",
    "pull",
    "push",
    "quiltimport",
    "range-diff",
    "read-tree",
    "rebase",
    "receive-pack",
    "reflog",
    "refs",
    "remote",
    "remote-ext",
    "remote-fd",
    "remote-ftp",
    "remote-ftps",
    "remote-http",
    "remote-https",
    "repack",
    "replace",
    "replay",
    "request-pull",
    "rerere",
    "reset",
    "restore",
    "rev-list",
    "rev-parse",
    "revert",
    "rm",
    "send-email",
    "send-pack",
    "sh-i18n--envsubst",
    "shell",
    "shortlog",
    "show",
    "show-branch",
    "show-index",
    "show-ref",
    "sparse-checkout",
    "stage",
    "stash",
    "status",
    "stripspace",
    "submodule",
    "submodule--helper",
    "svn",
    "switch",
    "symbolic-ref",
    "tag",
    "unpack-file",
    "unpack-objects",
    "update-index",
    "update-ref",
    "update-server-info",
    "upload-archive",
    "upload-archive--writer",
    "upload-pack",
    "var",
    "verify-commit",
    "verify-pack",
    "verify-tag",
    "version",
    "web--browse",
    "whatchanged",
    "worktree",
    "write-tree",
];

/// Whether `name` is a command git itself knows, and so does what its name says.
pub(super) fn is_git_command(name: &str) -> bool {
    GIT_COMMANDS.binary_search(&name).is_ok()
}
