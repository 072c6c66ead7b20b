//! The providers and routed models: each key variable set, and with `--network` one cheap
//! request each.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use super::Check;
use crate::config::LoadedConfig;

pub(super) fn providers(
    out: &mut Vec<Check>,
    loaded: &LoadedConfig,
    env: &BTreeMap<String, String>,
    workspace: &Path,
    network: bool,
) {
    let config = &loaded.config;
    let key = |var: &str| env.get(var).filter(|v| !v.is_empty()).cloned();
    let mut targets: Vec<(String, String, String)> = Vec::new();
    match config.active_provider() {
        Ok(p) => targets.push(("default".into(), p.name.clone(), p.model)),
        Err(e) => {
            out.push(Check::broken("provider", e.to_string(), "choose one: `--provider NAME`, `provider = \"…\"` in your config, or export a key such as OPENAI_API_KEY"));
        }
    }
    for (route, t) in crate::core::routing::named(&config.routing.routes) {
        targets.push((route, t.provider, t.model));
    }
    let mut seen = std::collections::BTreeSet::new();
    for (route, provider, model) in targets {
        if !seen.insert((provider.clone(), model.clone())) {
            continue;
        }
        let label = format!("{provider}/{model} ({route})");
        let active = match config.provider_named(&provider, Some(&model)) {
            Ok(a) => a,
            Err(e) => {
                out.push(Check::broken(
                    "provider",
                    format!("{label}: {e}"),
                    "define the provider in [providers], or correct the route",
                ));
                continue;
            }
        };
        if let Some(var) = &active.api_key_env
            && key(var).is_none()
        {
            out.push(Check::broken(
                "provider",
                format!("{label}: its key variable {var} is not set"),
                format!("export {var}=… (in your shell's profile), or route it to a model you have a key for"),
            ));
            continue;
        }
        if network {
            out.push(ping(&label, &active, env, workspace));
        } else {
            let has = if active.api_key_env.is_some() {
                "key set"
            } else {
                "needs no key"
            };
            out.push(Check::ok(
                "provider",
                format!("{label}: {has} (`--network` sends it one request)"),
            ));
        }
    }
}

/// One cheap request to `active` (a one-token reply), with a short timeout.
fn ping(
    label: &str,
    active: &crate::config::ActiveProvider,
    env: &BTreeMap<String, String>,
    workspace: &Path,
) -> Check {
    let client = match crate::provider::client_for(active, &|var| env.get(var).cloned(), workspace)
    {
        Ok(c) => c,
        Err(e) => {
            return Check::broken(
                "provider",
                format!("{label}: {e}"),
                "correct the provider's settings",
            );
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return Check::warn("provider", format!("{label}: not tried ({e})"), "try again"),
    };
    let request = crate::provider::ChatRequest {
        model: active.model.clone(),
        system: String::new(),
        messages: vec![std::sync::Arc::new(crate::provider::ChatMessage::User {
            text: "Reply with OK.".into(),
        })],
        tools: Vec::new(),
        max_output_tokens: 16,
        reasoning: crate::provider::ReasoningRequest::default(),
        source: String::new(),
        think_tags: false,
        probe: true,
    };
    let answered = runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(15), async {
            use crate::provider::StreamEvent;
            let mut stream = client.stream(request);
            while let Some(event) = stream.next().await {
                match event {
                    Ok(StreamEvent::Retried(_)) => {}
                    Ok(_) => return Ok(()),
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        })
        .await
    });
    match answered {
        Ok(Ok(())) => Check::ok("provider", format!("{label}: answered")),
        Ok(Err(e)) => Check::broken(
            "provider",
            format!("{label}: {e}"),
            "check the key, the model's name and the provider's status page",
        ),
        Err(_) => Check::broken(
            "provider",
            format!("{label}: no answer within 15 s"),
            "check your network and the provider's status page",
        ),
    }
}
