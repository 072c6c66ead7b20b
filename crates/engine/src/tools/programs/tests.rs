use super::*;

/// An invocation as text, a word not known before running as `?`.
fn shown<'a>(invocation: impl IntoIterator<Item = &'a Option<String>>) -> String {
    invocation
        .into_iter()
        .map(|w| w.clone().unwrap_or_else(|| "?".into()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn seen(command: &str) -> Vec<String> {
    programs(command).invocations.iter().map(shown).collect()
}

#[test]
fn wrappers_redirections_assignments_and_options_are_seen_through() {
    for (command, program) in [
        ("git push origin main > /dev/null", "git push origin main"),
        ("git push 2>&1", "git push"),
        ("sh -c 'git push origin main'", "git push origin main"),
        ("bash -lc \"git push\"", "git push"),
        ("env git push", "git push"),
        ("env -u X A=1 git push", "git push"),
        ("git -C . push", "git push"),
        ("git -c core.x=1 --git-dir=.git push", "git push"),
        ("GIT_TRACE=0 git push", "git push"),
        ("command git push", "git push"),
        ("exec git push", "git push"),
        ("nice -n 5 nohup git push", "git push"),
        ("timeout -s KILL 10 git push", "git push"),
        ("time git push", "git push"),
        ("sudo -u me git push", "git push"),
        ("/usr/bin/git push", "git push"),
        ("$PWD/bin/git push", "git push"),
        ("echo $(git push)", "git push"),
        ("x=`git push`", "git push"),
        ("if true; then git push; fi", "git push"),
        ("for b in a; do git push; done", "git push"),
        ("(cd sub && git push)", "git push"),
        ("eval git push", "git push"),
        ("cat > out <<EOF\n$(git push)\nEOF", "git push"),
    ] {
        let got = seen(command);
        assert!(got.iter().any(|g| g == program), "{command:?} → {got:?}");
    }
    // From input: the arguments are unknown, so `git ?` may be a push.
    assert_eq!(seen("echo push | xargs git"), ["echo push", "git ?"]);
    assert_eq!(seen("command -v git"), Vec::<String>::new());
    assert_eq!(seen("git status --short"), ["git status --short"]);
}

#[test]
fn what_cannot_be_seen_through_is_opaque() {
    for command in [
        "$GIT push",
        "echo git push | sh",
        "bash ./deploy.sh",
        "eval \"$CMD\"",
        "sh -c \"$X\"",
        "git push 'unterminated",
    ] {
        let p = programs(command);
        assert!(!p.opaque.is_empty(), "{command:?} → {p:?}");
    }
    assert!(programs("git push; ls -la | grep x").opaque.is_empty());
}

fn starts(command: &str) -> Vec<String> {
    programs(command).starts().map(|i| shown(&i)).collect()
}

#[test]
fn a_program_may_start_at_any_word_or_inside_a_string_argument() {
    for (command, program) in [
        ("find . -exec git push \\;", "git push ;"),
        ("flock /tmp/l /usr/bin/git push", "git push"),
        ("strace -f git push", "git push"),
        ("watch -n1 'git push'", "git push"),
        ("ssh host \"cd app && git push\"", "git push"),
        ("env -S 'git push'", "git push"),
        ("env -u HOME -iS'git push origin'", "git push origin"),
        ("env --split-string='git push' -f", "git push -f"),
        ("echo x | xargs -I{} git {}", "git ? ?"),
    ] {
        let got = starts(command);
        assert!(got.iter().any(|g| g == program), "{command:?} → {got:?}");
    }
    // A message is read as words too, but what does not parse there is not opaque.
    let p = programs("git commit -m \"it's done\"");
    assert!(p.opaque.is_empty(), "{p:?}");
}

#[test]
fn a_substitution_inside_an_expansion_or_a_sourced_script_is_opaque() {
    for command in [
        "echo ${x:-$(git push)}",
        "echo \"${x:-`git push`}\"",
        "echo $(( $(git push) ))",
        ". ./deploy.sh",
        "source deploy.sh",
        "env -S \"$CMD\"",
    ] {
        let p = programs(command);
        assert!(!p.opaque.is_empty(), "{command:?} → {p:?}");
    }
    for plain in ["echo $((1 + 2))", "echo ${HOME}/x", "echo \"$USER\""] {
        assert!(programs(plain).opaque.is_empty(), "{plain:?}");
    }
}
