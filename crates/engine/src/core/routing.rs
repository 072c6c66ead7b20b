//! Which model serves a request. `[routing]` maps route names to `provider/model`, with
//! fallbacks; a request looks its routes up from the most specific to the least:
//!
//! - a pipeline stage's request: the stage's name (`requirements`, `implement`, …), then
//!   `pipeline`;
//! - the plan gear running an approved step: `implement`, then `plan`; planning: `plan`;
//! - the vibe gear: `vibe`;
//! - a compaction: `compact`, then the route of the turn it summarises;
//! - and last, `default`: the session's own model.
//!
//! The human's `/model` choice applies to the route in effect when it is made (the first of
//! those names that has a route or a choice, else `default`), for the rest of the session.
//! Pure: the actor resolves the names this returns to clients.

use std::collections::BTreeMap;

use crate::config::Route;
pub use crate::config::Target;
use crate::protocol::Gear;

/// A model change in words: `deepseek/deepseek-chat ([routing] implement)` when routing
/// chose it, `openai/o3 for plan` when the human chose it for a route.
#[must_use]
pub fn describe_change(provider: &str, model: &str, route: Option<&str>, routed: bool) -> String {
    let why = match (route, routed) {
        (None | Some("default"), false) => String::new(),
        (Some(r), false) => format!(" for {r}"),
        (r, true) => format!(" ([routing] {})", r.unwrap_or("default")),
    };
    format!("{provider}/{model}{why}")
}

/// What a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Purpose<'a> {
    pub gear: Gear,
    /// The pipeline stage running, if any.
    pub stage: Option<&'a str>,
    /// The plan gear is running an approved step.
    pub step: bool,
    pub compact: bool,
}

/// The route names for a request, most specific first, `default` last.
#[must_use]
pub fn names(purpose: Purpose<'_>) -> Vec<&str> {
    let mut names = Vec::new();
    if purpose.compact {
        names.push("compact");
    }
    match purpose.gear {
        Gear::Pipeline => names.extend(purpose.stage.into_iter().chain(["pipeline"])),
        Gear::Plan if purpose.step => names.extend(["implement", "plan"]),
        Gear::Plan => names.push("plan"),
        Gear::Vibe => names.push("vibe"),
    }
    names.push("default");
    names
}

/// Where a request goes: the route in effect and its models, first choice first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub route: String,
    pub chain: Vec<Target>,
}

/// The route in effect for `purpose` and its chain: the human's choice for it, else the
/// route's model, else `base` (the session's model), then the route's fallbacks (or
/// `default`'s when it has none). Entries that do not parse are left out (config validation
/// reports them).
#[must_use]
pub fn choose(
    routes: &BTreeMap<String, Route>,
    chosen: &BTreeMap<String, Target>,
    base: &Target,
    purpose: Purpose<'_>,
) -> Choice {
    let names = names(purpose);
    let route = names
        .iter()
        .find(|n| chosen.contains_key(**n) || routes.get(**n).and_then(Route::model).is_some())
        .copied()
        .unwrap_or("default");
    let primary = chosen
        .get(route)
        .cloned()
        .or_else(|| {
            routes
                .get(route)
                .and_then(Route::model)
                .and_then(|m| Target::parse(m).ok())
        })
        .unwrap_or_else(|| base.clone());
    let own = routes.get(route).map(Route::fallback).unwrap_or_default();
    let fallback = if own.is_empty() {
        routes
            .get("default")
            .map(Route::fallback)
            .unwrap_or_default()
    } else {
        own
    };
    let mut chain = vec![primary];
    for t in fallback.iter().filter_map(|f| Target::parse(f).ok()) {
        if !chain.contains(&t) {
            chain.push(t);
        }
    }
    Choice {
        route: route.to_string(),
        chain,
    }
}

/// The routes a session's own requests take by gear and purpose (see [`names`]): an agent
/// named like one does not take it.
pub const PURPOSES: [&str; 6] = [
    "default",
    "vibe",
    "plan",
    "implement",
    "pipeline",
    "compact",
];

/// Where a subagent's requests go, as the `default` route of its session (which routes
/// nothing else): `[routing] <agent>` (unless the name is one of [`PURPOSES`]), else the
/// agent's own `model` when it names a `provider/model` (Claude Code's `sonnet` does not),
/// else `parent`'s chain — the models its parent's request went to, in order. A route with
/// fallbacks but no model gives them to whichever model serves the agent.
#[must_use]
pub fn for_agent(
    routes: &BTreeMap<String, Route>,
    agent: &str,
    model: Option<&str>,
    parent: &Choice,
) -> Route {
    let own = routes.get(agent).filter(|_| !PURPOSES.contains(&agent));
    if let Some(route) = own
        && route.model().is_some()
    {
        return route.clone();
    }
    let chain = match model.and_then(|m| Target::parse(m).ok()) {
        Some(t) => vec![t],
        None => parent.chain.clone(),
    };
    let fallback = match own.map(Route::fallback) {
        Some(f) if !f.is_empty() => f.to_vec(),
        _ => chain.iter().skip(1).map(ToString::to_string).collect(),
    };
    Route::Table(crate::config::RouteTable {
        model: chain.first().map(ToString::to_string),
        fallback,
    })
}

/// Every model `[routing]` names, with the route naming it, for checking before a run.
#[must_use]
pub fn named(routes: &BTreeMap<String, Route>) -> Vec<(String, Target)> {
    let mut out = Vec::new();
    for (name, route) in routes {
        for m in route
            .model()
            .into_iter()
            .chain(route.fallback().iter().map(String::as_str))
        {
            if let Ok(t) = Target::parse(m) {
                out.push((name.clone(), t));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RouteTable;

    fn t(s: &str) -> Target {
        Target::parse(s).unwrap()
    }

    #[test]
    fn an_agent_is_routed_by_its_name_then_its_model_then_as_its_parent() {
        let table = |model: Option<&str>, fallback: &[&str]| {
            Route::Table(RouteTable {
                model: model.map(str::to_string),
                fallback: fallback.iter().map(|f| (*f).to_string()).collect(),
            })
        };
        let parent = Choice {
            route: "plan".into(),
            chain: vec![t("a/big"), t("b/backup")],
        };
        let mut routes = BTreeMap::new();
        // Nothing for it: the parent's chain, fallbacks and all.
        assert_eq!(
            for_agent(&routes, "explorer", None, &parent),
            table(Some("a/big"), &["b/backup"])
        );
        // Claude Code's alias names no provider: still the parent's.
        assert_eq!(
            for_agent(&routes, "explorer", Some("haiku"), &parent),
            table(Some("a/big"), &["b/backup"])
        );
        // Its definition's `provider/model`.
        assert_eq!(
            for_agent(&routes, "explorer", Some("c/small"), &parent),
            table(Some("c/small"), &[])
        );
        // Fallbacks of its own, for whichever model serves it.
        routes.insert("explorer".into(), table(None, &["d/spare"]));
        assert_eq!(
            for_agent(&routes, "explorer", Some("c/small"), &parent),
            table(Some("c/small"), &["d/spare"])
        );
        // A route by its name wins.
        routes.insert("explorer".into(), Route::Model("e/cheap".into()));
        assert_eq!(
            for_agent(&routes, "explorer", Some("c/small"), &parent),
            Route::Model("e/cheap".into())
        );
        assert_eq!(
            for_agent(&routes, "reviewer", None, &parent),
            table(Some("a/big"), &["b/backup"])
        );
        // An agent named like a gear's route does not take that route.
        routes.insert("plan".into(), Route::Model("f/planner".into()));
        assert_eq!(
            for_agent(&routes, "plan", None, &parent),
            table(Some("a/big"), &["b/backup"])
        );
    }

    fn purpose(gear: Gear, stage: Option<&str>, step: bool, compact: bool) -> Purpose<'_> {
        Purpose {
            gear,
            stage,
            step,
            compact,
        }
    }

    #[test]
    fn targets_parse_with_slashes_in_the_model_and_refuse_a_bare_name() {
        assert_eq!(
            t("openrouter/anthropic/claude-sonnet-4.5").model,
            "anthropic/claude-sonnet-4.5"
        );
        assert!(
            Target::parse("gpt-5")
                .unwrap_err()
                .contains("provider/model")
        );
        assert!(Target::parse("/gpt-5").is_err());
    }

    #[test]
    fn the_most_specific_route_wins_and_the_humans_choice_beats_its_route() {
        let routes: BTreeMap<String, Route> = [
            ("plan", Route::Model("anthropic/claude-opus-4-5".into())),
            (
                "implement",
                Route::Table(RouteTable {
                    model: Some("deepseek/deepseek-chat".into()),
                    fallback: vec!["zhipu/glm-4.6".into(), "deepseek/deepseek-chat".into()],
                }),
            ),
            ("review", Route::Model("openai/gpt-5".into())),
            (
                "default",
                Route::Table(RouteTable {
                    model: None,
                    fallback: vec!["openai/gpt-4.1".into()],
                }),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let base = t("openai/gpt-4.1-mini");
        let none = BTreeMap::new();
        let planning = choose(
            &routes,
            &none,
            &base,
            purpose(Gear::Plan, None, false, false),
        );
        assert_eq!(planning.route, "plan");
        // A route without its own fallbacks takes `default`'s.
        assert_eq!(
            planning.chain,
            [t("anthropic/claude-opus-4-5"), t("openai/gpt-4.1")]
        );
        let step = choose(
            &routes,
            &none,
            &base,
            purpose(Gear::Plan, None, true, false),
        );
        assert_eq!(step.route, "implement");
        // Listed once, in order.
        assert_eq!(
            step.chain,
            [t("deepseek/deepseek-chat"), t("zhipu/glm-4.6")]
        );
        let stage = purpose(Gear::Pipeline, Some("review"), false, false);
        assert_eq!(
            choose(&routes, &none, &base, stage).chain[0],
            t("openai/gpt-5")
        );
        // A stage without a route, and vibe: the session's model.
        let design = purpose(Gear::Pipeline, Some("design"), false, false);
        assert_eq!(choose(&routes, &none, &base, design).route, "default");
        assert_eq!(choose(&routes, &none, &base, design).chain[0], base);
        // Compaction without a `compact` route: the turn's route.
        let compact = purpose(Gear::Plan, None, true, true);
        assert_eq!(choose(&routes, &none, &base, compact).route, "implement");

        // The human chose a model while planning: planning uses it, steps keep their route.
        let chosen: BTreeMap<String, Target> =
            [("plan".to_string(), t("openai/o3"))].into_iter().collect();
        let planning = choose(
            &routes,
            &chosen,
            &base,
            purpose(Gear::Plan, None, false, false),
        );
        assert_eq!(planning.chain[0], t("openai/o3"));
        let step = choose(
            &routes,
            &chosen,
            &base,
            purpose(Gear::Plan, None, true, false),
        );
        assert_eq!(step.chain[0], t("deepseek/deepseek-chat"));
        // Without routing, a choice is `default`'s, as before routing existed.
        let chosen: BTreeMap<String, Target> = [("default".to_string(), t("openai/o3"))]
            .into_iter()
            .collect();
        let vibe = purpose(Gear::Vibe, None, false, false);
        assert_eq!(
            choose(&BTreeMap::new(), &chosen, &base, vibe).chain,
            [t("openai/o3")]
        );
    }
}
