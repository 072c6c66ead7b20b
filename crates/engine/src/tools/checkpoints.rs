//! Checkpoints declared in advance (`[[checkpoints]]`): what must always stop for a human,
//! in every gear — a write to a path (`migrations/**`), new text that matches (`DROP TABLE`),
//! a command (`git push*`), a tool by name. A rule only ever adds a stop: it turns a write the
//! vibe gear would apply into a proposal, and a command the allowlist (or a skill, or an
//! earlier "always") would run into a question. Compiled once per session; pure.

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::Regex;

use super::command::Allowlist;
use serde::{Deserialize, Serialize};

/// Whether a stop's reason is a `[[checkpoints]]` rule's (not a path only a human writes,
/// which no flag passes).
#[must_use]
pub fn is_rule(why: &str) -> bool {
    why.starts_with("checkpoint `")
}

/// One `[[checkpoints]]` rule: a change or call it matches stops for a human even where the
/// gear would let it through (see [`Checkpoints`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct CheckpointRule {
    pub name: String,
    /// Why it stops, shown where it does.
    pub reason: String,
    /// Globs over the path written, relative to the workspace (`migrations/**`, `**/*.sql`).
    pub paths: Vec<String>,
    /// Commands, as `allow_commands` entries (`git push*`, `terraform apply *`).
    pub commands: Vec<String>,
    /// Regular expressions over a file's proposed new text (`DROP TABLE`, `reqwest::`).
    pub content: Vec<String>,
    /// Tool names (`mcp__db__query`).
    pub tools: Vec<String>,
}

#[derive(Debug, Default)]
pub struct Checkpoints {
    rules: Vec<Compiled>,
}

#[derive(Debug)]
struct Compiled {
    name: String,
    reason: String,
    paths: GlobSet,
    /// The path patterns as written, for [`Checkpoints::may_match_under`].
    patterns: Vec<String>,
    commands: Allowlist,
    content: Vec<Regex>,
    tools: Vec<String>,
}

impl Compiled {
    /// Why a hit stops: the rule's name and reason.
    fn why(&self) -> String {
        if self.reason.trim().is_empty() {
            format!("checkpoint `{}`", self.name)
        } else {
            format!("checkpoint `{}`: {}", self.name, self.reason.trim())
        }
    }
}

impl Checkpoints {
    /// Compiles the rules; a pattern that does not compile is an error naming its rule, so a
    /// typo never silently lets everything through.
    pub fn new(rules: &[CheckpointRule]) -> Result<Checkpoints, String> {
        let mut out = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            let name = if r.name.trim().is_empty() {
                format!("#{}", i + 1)
            } else {
                r.name.trim().to_string()
            };
            let bad = |what: &str, e: &dyn std::fmt::Display| {
                format!("[[checkpoints]] `{name}`: {what}: {e}")
            };
            if r.paths.is_empty()
                && r.commands.is_empty()
                && r.content.is_empty()
                && r.tools.is_empty()
            {
                return Err(format!(
                    "[[checkpoints]] `{name}` matches nothing: give paths, commands, content or tools"
                ));
            }
            let mut paths = GlobSetBuilder::new();
            for p in &r.paths {
                // `migrations/**` and `**/*.sql`, relative to the workspace root.
                let glob = Glob::new(p.trim_start_matches("./")).map_err(|e| bad(p, &e))?;
                paths.add(glob);
            }
            let commands = Allowlist::new(&r.commands)
                .map_err(|e| bad("commands", &e.replace("[approvals] allow_commands: ", "")))?;
            let content = r
                .content
                .iter()
                .map(|c| Regex::new(c).map_err(|e| bad(c, &e)))
                .collect::<Result<Vec<_>, _>>()?;
            let paths = paths.build().map_err(|e| bad("paths", &e))?;
            out.push(Compiled {
                name: name.clone(),
                reason: r.reason.clone(),
                paths,
                patterns: r
                    .paths
                    .iter()
                    .map(|p| p.trim_start_matches("./").to_string())
                    .collect(),
                commands,
                content,
                tools: r.tools.clone(),
            });
        }
        Ok(Checkpoints { rules: out })
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The first rule a write to `path` (relative to the workspace) stops at.
    #[must_use]
    pub fn path(&self, path: &str) -> Option<String> {
        self.rules
            .iter()
            .find(|r| r.paths.is_match(path))
            .map(Compiled::why)
    }

    /// Whether some path rule could match a file under the folder `dir` (relative to the
    /// workspace): judged by each pattern's literal folder prefix, so `**/*.sql` may match
    /// under any folder and `migrations/**` only under `migrations`.
    #[must_use]
    pub fn may_match_under(&self, dir: &str) -> bool {
        let dir = dir.trim_end_matches('/');
        self.rules.iter().flat_map(|r| &r.patterns).any(|p| {
            let literal = &p[..p.find(['*', '?', '[', '{']).unwrap_or(p.len())];
            let prefix = literal.rsplit_once('/').map_or("", |(d, _)| d);
            prefix.is_empty()
                || prefix == dir
                || prefix.starts_with(&format!("{dir}/"))
                || dir.starts_with(&format!("{prefix}/"))
        })
    }

    /// Whether any rule reads a file's new text (and so every file a command writes must be
    /// read, build outputs too).
    #[must_use]
    pub fn reads_content(&self) -> bool {
        self.rules.iter().any(|r| !r.content.is_empty())
    }

    /// The first rule the proposed new text of a file stops at: a pattern found more often
    /// in the file's text after the write than before it (text already there does not stop
    /// every later edit).
    #[must_use]
    pub fn content(&self, before: Option<&str>, after: &str) -> Option<String> {
        let added =
            |c: &Regex| c.find_iter(after).count() > before.map_or(0, |b| c.find_iter(b).count());
        self.rules
            .iter()
            .find(|r| r.content.iter().any(added))
            .map(Compiled::why)
    }

    /// The first rule `command` stops at: a rule's pattern matches one of the programs it
    /// runs, seen through wrappers, redirections, shells and substitutions (see
    /// [`super::programs`]), from any word a program may start at; or the command's text
    /// names every word of the pattern (`git -c alias.p=push p`); or, when some of it cannot
    /// be seen through, the first rule that names commands at all (a checkpoint fails closed).
    /// A false stop costs one keystroke; a missed one, the checkpoint.
    #[must_use]
    pub fn command(&self, command: &str) -> Option<String> {
        let seen = super::programs::programs(command);
        let starts: Vec<_> = seen.starts().collect();
        if let Some(rule) = self.rules.iter().find(|r| {
            starts.iter().any(|s| r.commands.may_match(s)) || r.commands.named_in(command)
        }) {
            return Some(rule.why());
        }
        let why = seen.opaque.first()?;
        self.rules
            .iter()
            .find(|r| !r.commands.is_empty())
            .map(|r| format!("{} (gearshift cannot tell what it runs: {why})", r.why()))
    }

    /// The first rule naming the tool `name`.
    #[must_use]
    pub fn tool(&self, name: &str) -> Option<String> {
        self.rules
            .iter()
            .find(|r| r.tools.iter().any(|t| t == name))
            .map(Compiled::why)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str, f: impl FnOnce(&mut CheckpointRule)) -> CheckpointRule {
        let mut r = CheckpointRule {
            name: name.into(),
            reason: format!("{name} are reviewed"),
            ..CheckpointRule::default()
        };
        f(&mut r);
        r
    }

    #[test]
    fn paths_content_commands_and_tools_each_name_their_rule() {
        let c = Checkpoints::new(&[
            rule("migrations", |r| {
                r.paths = vec!["migrations/**".into(), "**/*.sql".into()];
            }),
            rule("pushes", |r| {
                r.commands = vec!["git push*".into(), "terraform apply*".into()];
            }),
            rule("drops", |r| {
                r.content = vec![r"(?i)\bdrop\s+table\b".into()];
            }),
            rule("database", |r| r.tools = vec!["mcp__db__query".into()]),
        ])
        .unwrap();
        assert_eq!(
            c.path("migrations/001.sql").as_deref(),
            Some("checkpoint `migrations`: migrations are reviewed")
        );
        assert!(c.path("db/schema.sql").is_some());
        assert!(c.path("src/main.rs").is_none());
        assert!(
            c.command("git push origin main")
                .unwrap()
                .contains("pushes")
        );
        assert!(c.command("git push --force").is_some());
        assert!(c.command("cd app && git push").is_some(), "inside a chain");
        assert!(
            c.command("echo x | terraform apply -auto-approve")
                .is_some()
        );
        assert!(c.command("git status").is_none());
        // Seen through what hid it in the last round, each one a stop.
        for hidden in [
            "git push origin main > /dev/null",
            "git push 2>&1",
            "sh -c 'git push origin main'",
            "env git push",
            "git -C . push",
            "GIT_TRACE=0 git push",
            "command git push",
            "echo push | xargs git",
            "$PWD/bin/git push",
            "eval \"$DEPLOY\"",
            "find . -name x -exec git push \\;",
            "xargs -I{} git {} < cmds",
            "env -S 'git push'",
            "env -u HOME -iS'git push origin'",
            ". ./deploy.sh",
            "source deploy.sh",
            "echo ${x:-$(git push)}",
            "echo $(( $(git push) ))",
            "git -c alias.p=push p",
            "git -c alias.p=pu''sh p origin HEAD",
            "git -c 'alias.p=!git pu''sh' p",
            "GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=alias.p GIT_CONFIG_VALUE_0=pu''sh git p",
            "GIT_CONFIG_GLOBAL=gc git p origin",
            "watch -n1 'git push'",
            "ssh host \"cd app && git push\"",
            "flock /tmp/l git push",
            "g\\it pu''sh",
            "strace -f git push",
            "python3 -c \"import os; os.system('git push')\"",
        ] {
            assert!(c.command(hidden).is_some(), "{hidden:?} ran through");
        }
        assert!(c.command("git status > /dev/null 2>&1").is_none());
        assert!(c.command("git -c color.ui=never log --oneline").is_none());
        assert!(c.command("env FOO=1 cargo test").is_none());
        assert!(
            c.command("git pushx").is_some(),
            "`push*` is a prefix, as in the allowlist"
        );
        let dropping = "-- clean up\nDrop Table users;";
        assert!(c.content(None, dropping).unwrap().contains("drops"));
        assert!(c.content(None, "SELECT 1").is_none());
        // Already there: an edit elsewhere in the file does not stop; another drop does.
        assert!(
            c.content(Some(dropping), &format!("{dropping}\nSELECT 1;"))
                .is_none()
        );
        assert!(
            c.content(Some(dropping), &format!("{dropping}\nDROP TABLE x;"))
                .is_some()
        );
        assert!(c.tool("mcp__db__query").is_some());
        assert!(c.tool("read_file").is_none());
    }

    #[test]
    fn a_rule_that_cannot_match_or_compile_is_an_error_naming_it() {
        let e = Checkpoints::new(&[rule("empty", |_| {})]).unwrap_err();
        assert!(e.contains("`empty` matches nothing"), "{e}");
        let e = Checkpoints::new(&[rule("re", |r| r.content = vec!["(".into()])]).unwrap_err();
        assert!(e.contains("`re`"), "{e}");
        let e = Checkpoints::new(&[rule("glob", |r| r.paths = vec!["a/[".into()])]).unwrap_err();
        assert!(e.contains("`glob`"), "{e}");
    }
}
