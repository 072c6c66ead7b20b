//! Which model each request goes to: the human's `/model` choice, `[routing]`, and fallback
//! to the route's next model when a provider is down before it answered (see
//! [`crate::core::routing`] for the rules, which are pure).

use std::collections::VecDeque;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Actor;
use crate::config::ActiveProvider;
use crate::context::Ledger;
use crate::core::machine::{Effect, gates};
use crate::core::routing::{self, Purpose, Target};
use crate::core::turn;
use crate::core::turn::TurnProgress;
use crate::pipeline;
use crate::protocol::{Event, NoticeLevel};
use crate::provider::{ModelClient, ProviderError};

/// The clients resolved so far, by model, so a route taken again costs nothing.
#[derive(Default)]
pub(super) struct Models {
    /// The model this run started with: where requests go when no route or choice says
    /// otherwise.
    pub base: Option<Target>,
    clients: HashMap<Target, (ActiveProvider, Arc<dyn ModelClient>)>,
    /// The route of the request in flight (a `/model` choice applies to it).
    pub route: String,
    /// The models left to try for the request in flight if its provider is down.
    pub fallbacks: VecDeque<Target>,
    /// The request in flight fell back: send it again as it is, without routing anew.
    pub falling_back: bool,
    /// Models said to be unusable, so each is said once.
    warned: BTreeSet<Target>,
    /// Models found down, and when: passed over until `[routing] cooldown` has gone by, when
    /// the next request tries them again.
    down: HashMap<Target, Instant>,
    /// Times the request in flight was sent again after its stream reported an outage.
    retries: u32,
    /// The request in flight waits this long before it is sent (a retry's backoff).
    pub delay: Option<Duration>,
    /// Models whose cool-down ended: their next request is a probe, sent once.
    probing: BTreeSet<Target>,
    /// The request in flight is such a probe: it is not tried again.
    probe_in_flight: bool,
}

fn target_of(p: &ActiveProvider) -> Target {
    Target {
        provider: p.name.clone(),
        model: p.model.clone(),
    }
}

impl Actor {
    /// The running pipeline stage's name, if any.
    pub(super) fn stage_name(&self) -> Option<String> {
        let p = self.state.pipeline.as_ref()?;
        let i = p.run.current()?;
        (p.run.statuses[i] == pipeline::StageStatus::Running)
            .then(|| p.run.pipeline.stages[i].name.clone())
    }

    /// Where the next request (a turn's or a compaction's) goes.
    pub(super) fn choice(&self, compact: bool) -> routing::Choice {
        self.choice_for(compact, gates::running_step(&self.state).is_some())
    }

    /// Where a request goes; `step`: it runs an approved plan step (a worker's does).
    pub(super) fn choice_for(&self, compact: bool, step: bool) -> routing::Choice {
        let stage = self.stage_name();
        let purpose = Purpose {
            gear: self.state.gear,
            stage: stage.as_deref(),
            step,
            compact,
        };
        let base = self
            .models
            .base
            .clone()
            .unwrap_or_else(|| target_of(&self.deps.provider));
        routing::choose(
            &self.deps.routing.routes,
            &self.state.switched,
            &base,
            purpose,
        )
    }

    /// What a request is recorded as being for.
    pub(super) fn origin(&self, purpose: &'static str) -> turn::Origin {
        turn::Origin {
            gear: self.state.gear,
            stage: self.stage_name(),
            purpose,
        }
    }

    /// A ready client for `target`, resolved once.
    pub(super) fn resolve(
        &mut self,
        target: &Target,
    ) -> Result<(ActiveProvider, Arc<dyn ModelClient>), String> {
        if *target == target_of(&self.deps.provider) {
            return Ok((self.deps.provider.clone(), self.deps.client.clone()));
        }
        if let Some(found) = self.models.clients.get(target) {
            return Ok(found.clone());
        }
        let switch = self
            .deps
            .switch
            .clone()
            .ok_or("this run cannot switch models")?;
        let found = switch(&target.provider, &target.model)?;
        self.models.clients.insert(target.clone(), found.clone());
        Ok(found)
    }

    /// The first model of `chain` that can be used, with the ones skipped said once each;
    /// `None` when none can.
    fn first_usable(
        &mut self,
        route: &str,
        chain: &[Target],
    ) -> Option<(ActiveProvider, Arc<dyn ModelClient>, usize)> {
        let now = Instant::now();
        let cooldown = self.deps.routing.cooldown();
        let ended: Vec<Target> = self
            .models
            .down
            .iter()
            .filter(|(_, since)| now.duration_since(**since) >= cooldown)
            .map(|(t, _)| t.clone())
            .collect();
        for t in ended {
            self.models.down.remove(&t);
            self.models.probing.insert(t);
        }
        // A model found down lately is passed over, unless every model of the route is.
        let up: Vec<usize> = (0..chain.len())
            .filter(|i| !self.models.down.contains_key(&chain[*i]))
            .collect();
        let order: Vec<usize> = if up.is_empty() {
            (0..chain.len()).collect()
        } else {
            up
        };
        for i in order {
            let t = &chain[i];
            match self.resolve(t) {
                Ok((active, client)) => return Some((active, client, i)),
                Err(why) => {
                    if self.models.warned.insert(t.clone()) {
                        self.warn(format!(
                            "{t} ({route}) cannot be used: {why}; its requests go to the next \
                             model of the route, or the session's"
                        ));
                    }
                }
            }
        }
        None
    }

    /// Before a turn's request: the route's model becomes the session's (recorded, so the
    /// status bar and the log say which model answered). False when the store failed.
    pub(super) async fn take_route(&mut self) -> bool {
        if std::mem::take(&mut self.models.falling_back) {
            return true;
        }
        self.models.retries = 0;
        let choice = self.choice(false);
        self.models.route.clone_from(&choice.route);
        let (active, client) = match self.first_usable(&choice.route, &choice.chain) {
            Some((active, client, i)) => {
                self.models.fallbacks = choice.chain[i + 1..].iter().cloned().collect();
                (active, client)
            }
            // No model of the route can be used (said when it was found out): the session's.
            None => {
                self.models.fallbacks.clear();
                let base = self.models.base.clone();
                match base.and_then(|b| self.resolve(&b).ok()) {
                    Some(found) => found,
                    None => return true,
                }
            }
        };
        if target_of(&active) == target_of(&self.deps.provider) {
            return true;
        }
        let route = choice.route;
        self.use_model(active, client, route, true).await
    }

    /// Whether the request about to go is a probe of a model whose cool-down just ended
    /// (sent once, without retries); remembered for the outage that may answer it.
    pub(super) fn take_probe(&mut self) -> bool {
        let probe = self.models.probing.remove(&target_of(&self.deps.provider));
        self.models.probe_in_flight = probe;
        probe
    }

    /// The model and client for a compaction: its route's first usable model, else the
    /// session's.
    pub(super) fn compaction_model(&mut self) -> (ActiveProvider, Arc<dyn ModelClient>) {
        let choice = self.choice(true);
        match self.first_usable(&choice.route, &choice.chain) {
            Some((active, client, _)) => (active, client),
            None => (self.deps.provider.clone(), self.deps.client.clone()),
        }
    }

    /// A request failed: when its provider was down before it answered and the route has
    /// another model, the failure is recorded and the same request goes to that one.
    pub(super) fn fall_back(
        &mut self,
        progress: &TurnProgress,
        e: &ProviderError,
    ) -> Option<Vec<Effect>> {
        if !e.is_outage() || progress.answered() {
            return None;
        }
        // An outage the stream itself reported is tried again, as an HTTP 5xx is, before the
        // route's next model.
        let policy = crate::provider::HttpPolicy::from_provider(&self.deps.provider);
        let probe = std::mem::take(&mut self.models.probe_in_flight);
        if !probe
            && matches!(e, ProviderError::Api { .. })
            && self.models.retries < policy.max_retries
        {
            self.models.retries += 1;
            let delay = policy.backoff * 2u32.pow(self.models.retries - 1);
            let origin = self.origin("turn");
            let mut events: Vec<Event> =
                turn::usage_event(progress, &self.deps.provider, &origin, Some(e.kind()))
                    .into_iter()
                    .collect();
            tracing::warn!(
                attempt = self.models.retries,
                "outage in the stream, retrying"
            );
            events.push(Event::Notice {
                level: NoticeLevel::Warning,
                text: format!(
                    "{e}; trying again in {:.1} s ({} of {})",
                    delay.as_secs_f64(),
                    self.models.retries,
                    policy.max_retries
                ),
            });
            self.models.delay = Some(delay);
            self.models.falling_back = true;
            return Some(vec![
                Effect::Record(events),
                Effect::Request { may_compact: false },
            ]);
        }
        self.models.retries = 0;
        self.models
            .down
            .insert(target_of(&self.deps.provider), Instant::now());
        while let Some(next) = self.models.fallbacks.pop_front() {
            let Ok((active, client)) = self.resolve(&next) else {
                continue;
            };
            let origin = self.origin("turn");
            let from = target_of(&self.deps.provider);
            let mut events: Vec<Event> =
                turn::usage_event(progress, &self.deps.provider, &origin, Some(e.kind()))
                    .into_iter()
                    .collect();
            tracing::warn!(%from, to = %next, "provider down, falling back");
            events.push(Event::ModelFellBack {
                from: from.to_string(),
                to: next.to_string(),
                reason: e.to_string(),
            });
            events.push(Event::ModelChanged {
                provider: active.name.clone(),
                model: active.model.clone(),
                route: Some(self.models.route.clone()),
                routed: true,
            });
            self.set_model(active, client);
            self.models.falling_back = true;
            return Some(vec![
                Effect::Record(events),
                Effect::Request { may_compact: false },
            ]);
        }
        None
    }

    /// Switches the model for the route in effect: the very next request goes to it, with
    /// its window, prices and compaction threshold. Refused, saying why, when it cannot be
    /// used.
    pub(super) async fn switch_model(&mut self, target: Target) {
        if target == target_of(&self.deps.provider) {
            return;
        }
        match self.resolve(&target) {
            Ok((active, client)) => {
                let route = self.choice(false).route;
                self.use_model(active, client, route, false).await;
            }
            Err(why) => self.refuse(format!("cannot switch to {target}: {why}"), None),
        }
    }

    /// Records the change, and the next request goes to `client` with `active`'s figures.
    async fn use_model(
        &mut self,
        active: ActiveProvider,
        client: Arc<dyn ModelClient>,
        route: String,
        routed: bool,
    ) -> bool {
        let event = Event::ModelChanged {
            provider: active.name.clone(),
            model: active.model.clone(),
            route: Some(route),
            routed,
        };
        if !self.record(vec![event]).await {
            return false;
        }
        self.set_model(active, client);
        self.report_context();
        true
    }

    fn set_model(&mut self, active: ActiveProvider, client: Arc<dyn ModelClient>) {
        // Another model caches nothing of this one's prefix: the next request starts anew,
        // with the memory and skills as they are now.
        if target_of(&active) != target_of(&self.deps.provider) {
            self.frozen = None;
        }
        self.deps.provider = active;
        self.deps.client = client;
        // The new model counts tokens its own way: calibrate afresh.
        self.ledger = Ledger::default();
    }

    /// At the start of a session, before any run: every model `[routing]` names and every
    /// model the human chose in this (resumed) session is checked, and one that cannot be
    /// used (its provider gone, its key missing) is said now, not in the middle of a run.
    /// Then the route in effect takes over.
    pub(super) async fn check_models(&mut self) {
        let base = target_of(&self.deps.provider);
        let found = (self.deps.provider.clone(), self.deps.client.clone());
        self.models.clients.insert(base.clone(), found);
        self.models.base = Some(base);
        let mut named = routing::named(&self.deps.routing.routes);
        named.extend(
            self.state
                .switched
                .iter()
                .map(|(route, t)| (route.clone(), t.clone())),
        );
        for (route, t) in named {
            let Err(why) = self.resolve(&t) else {
                continue;
            };
            if !self.models.warned.insert(t.clone()) {
                continue;
            }
            let what = if self.state.switched.get(&route) == Some(&t) {
                format!("this session last used {t} ({route})")
            } else {
                format!("[routing] {route} names {t}")
            };
            let base = self.models.base.as_ref().map(ToString::to_string);
            self.warn(format!(
                "{what}, which cannot be used now ({why}); it goes on with {}",
                base.unwrap_or_default()
            ));
        }
        self.take_route().await;
    }
}
