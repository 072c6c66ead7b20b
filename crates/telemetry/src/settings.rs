//! Where and how to export, from the standard OpenTelemetry variables: the protocol of each
//! signal, and the endpoint each will reach (said by `gearshift telemetry test` and in the
//! warnings). The OTLP exporter reads the endpoint and header variables itself, by the same
//! rules as [`Settings::endpoint`].

use crate::translate::Options;

/// The OTLP transports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Grpc,
    HttpProtobuf,
    HttpJson,
}

impl Protocol {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Grpc => "grpc",
            Protocol::HttpProtobuf => "http/protobuf",
            Protocol::HttpJson => "http/json",
        }
    }
}

/// The three signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Traces,
    Metrics,
    Logs,
}

impl Signal {
    pub const ALL: [Signal; 3] = [Signal::Traces, Signal::Metrics, Signal::Logs];

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Traces => "traces",
            Signal::Metrics => "metrics",
            Signal::Logs => "logs",
        }
    }

    /// Its part of the variables' names: `TRACES`, `METRICS`, `LOGS`.
    #[must_use]
    pub fn var(self) -> &'static str {
        match self {
            Signal::Traces => "TRACES",
            Signal::Metrics => "METRICS",
            Signal::Logs => "LOGS",
        }
    }
}

/// What export runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub options: Options,
    /// By signal, in [`Signal::ALL`]'s order.
    pub protocols: [Protocol; 3],
    /// By signal: where it goes.
    pub endpoints: [String; 3],
    /// `OTEL_SERVICE_NAME`, else `gearshift`.
    pub service_name: String,
    /// Events waiting for the export thread before new ones are dropped (and counted).
    pub queue: usize,
    /// `OTEL_EXPORTER_OTLP_TIMEOUT` (milliseconds): how long one HTTP export may take.
    pub timeout: std::time::Duration,
    /// By signal: exported at all (`OTEL_{TRACES,METRICS,LOGS}_EXPORTER=none` and
    /// `OTEL_SDK_DISABLED=true` say not).
    pub exported: [bool; 3],
    /// `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta`: counters send what changed
    /// since the last export rather than their totals.
    pub delta: bool,
    /// By signal: `OTEL_BSP_MAX_QUEUE_SIZE` (traces) or `OTEL_BLRP_MAX_QUEUE_SIZE` (logs) is
    /// set, and that batch queue is the variable's to size.
    pub own_queues: [bool; 3],
}

impl Settings {
    /// Reads the variables through `env`; a protocol that is none of the three is an error
    /// naming its variable.
    pub fn from_env(
        options: Options,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Settings, String> {
        let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let mut protocols = [Protocol::HttpProtobuf; 3];
        let mut endpoints: [String; 3] = Default::default();
        for (i, signal) in Signal::ALL.into_iter().enumerate() {
            let own = format!("OTEL_EXPORTER_OTLP_{}_PROTOCOL", signal.var());
            let protocol = match var(&own) {
                Some(v) => parse_protocol(&own, &v)?,
                None => match var("OTEL_EXPORTER_OTLP_PROTOCOL") {
                    Some(v) => parse_protocol("OTEL_EXPORTER_OTLP_PROTOCOL", &v)?,
                    None => Protocol::HttpProtobuf,
                },
            };
            protocols[i] = protocol;
            let own = format!("OTEL_EXPORTER_OTLP_{}_ENDPOINT", signal.var());
            endpoints[i] = match (var(&own), var("OTEL_EXPORTER_OTLP_ENDPOINT"), protocol) {
                (Some(e), _, _) => e,
                (None, Some(e), Protocol::Grpc) => e,
                (None, Some(e), _) => format!("{}/v1/{}", e.trim_end_matches('/'), signal.as_str()),
                (None, None, Protocol::Grpc) => "http://localhost:4317".into(),
                (None, None, _) => format!("http://localhost:4318/v1/{}", signal.as_str()),
            };
        }
        let disabled =
            var("OTEL_SDK_DISABLED").is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        let exported = Signal::ALL.map(|signal| {
            !disabled
                && var(&format!("OTEL_{}_EXPORTER", signal.var()))
                    .is_none_or(|v| !v.trim().eq_ignore_ascii_case("none"))
        });
        let delta = match var("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE")
            .map(|v| v.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("cumulative") => false,
            Some("delta") => true,
            Some(other) => {
                return Err(format!(
                    "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: `{}` is not cumulative \
                     or delta",
                    other
                        .chars()
                        .filter(|c| !c.is_control())
                        .take(40)
                        .collect::<String>()
                ));
            }
        };
        // The service's name: its own variable, else the resource's attribute, else ours.
        let from_resource = var("OTEL_RESOURCE_ATTRIBUTES").and_then(|attrs| {
            attrs.split(',').find_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                (k.trim() == "service.name").then(|| v.trim().to_string())
            })
        });
        Ok(Settings {
            options,
            protocols,
            endpoints,
            exported,
            delta,
            own_queues: [
                var("OTEL_BSP_MAX_QUEUE_SIZE").is_some(),
                false,
                var("OTEL_BLRP_MAX_QUEUE_SIZE").is_some(),
            ],
            service_name: var("OTEL_SERVICE_NAME")
                .or(from_resource)
                .unwrap_or_else(|| "gearshift".into()),
            queue: 2048,
            timeout: std::time::Duration::from_millis(
                var("OTEL_EXPORTER_OTLP_TIMEOUT")
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(10_000),
            ),
        })
    }

    /// Where `signal` goes, and how: `http/protobuf http://collector:4318/v1/traces` — said
    /// in notices, which sessions keep, so without a user, password or query string.
    #[must_use]
    pub fn endpoint(&self, signal: Signal) -> String {
        let i = signal as usize;
        format!(
            "{} {}",
            self.protocols[i].as_str(),
            shown(&self.endpoints[i])
        )
    }
}

/// An endpoint as it may be shown: `https://user:pw@host/p?key=v` is `https://host/p`.
fn shown(endpoint: &str) -> String {
    let without_query = endpoint.split(['?', '#']).next().unwrap_or("");
    let (scheme, rest) = without_query
        .split_once("://")
        .unwrap_or(("", without_query));
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let mut out = String::new();
    if !scheme.is_empty() {
        out.push_str(scheme);
        out.push_str("://");
    }
    out.push_str(host);
    if rest.contains('/') {
        out.push('/');
        out.push_str(path);
    }
    out.chars().filter(|c| !c.is_control()).collect()
}

fn parse_protocol(var: &str, value: &str) -> Result<Protocol, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "grpc" => Ok(Protocol::Grpc),
        "http/protobuf" => Ok(Protocol::HttpProtobuf),
        "http/json" => Ok(Protocol::HttpJson),
        other => Err(format!(
            "{var}: `{}` is not grpc, http/protobuf or http/json",
            other
                .chars()
                .filter(|c| !c.is_control())
                .take(40)
                .collect::<String>()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(vars: &[(&str, &str)]) -> Result<Settings, String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        Settings::from_env(Options::default(), &|name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn the_standard_variables_choose_protocol_and_endpoint_per_signal() {
        let s = with(&[]).unwrap();
        assert_eq!(
            s.endpoint(Signal::Traces),
            "http/protobuf http://localhost:4318/v1/traces"
        );
        assert_eq!(s.service_name, "gearshift");
        let s = with(&[
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
            ("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "http/json"),
            ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://m:9/custom"),
            ("OTEL_SERVICE_NAME", "team-gearshift"),
        ])
        .unwrap();
        assert_eq!(s.endpoint(Signal::Traces), "grpc http://collector:4317");
        assert_eq!(s.endpoint(Signal::Metrics), "grpc http://m:9/custom");
        assert_eq!(
            s.endpoint(Signal::Logs),
            "http/json http://collector:4317/v1/logs"
        );
        assert_eq!(s.service_name, "team-gearshift");
        assert_eq!(s.exported, [true; 3]);
        assert!(!s.delta);
    }

    #[test]
    fn signals_can_be_off_the_service_named_by_the_resource_and_credentials_never_shown() {
        let s = with(&[
            ("OTEL_METRICS_EXPORTER", "none"),
            ("OTEL_RESOURCE_ATTRIBUTES", "team=a, service.name=cli-tools"),
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "https://u:s3cret@c.example:4318/v1/traces?api-key=K",
            ),
            ("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "Delta"),
        ])
        .unwrap();
        assert_eq!(s.exported, [true, false, true]);
        assert_eq!(s.service_name, "cli-tools");
        assert!(s.delta);
        assert_eq!(
            s.endpoint(Signal::Traces),
            "http/protobuf https://c.example:4318/v1/traces"
        );
        let off = with(&[("OTEL_SDK_DISABLED", "true")]).unwrap();
        assert_eq!(off.exported, [false; 3]);
        let bad = with(&[(
            "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
            "sometimes",
        )]);
        assert!(bad.unwrap_err().contains("is not cumulative or delta"));
    }

    #[test]
    fn an_unknown_protocol_is_an_error_naming_its_variable() {
        let e = with(&[("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "carrier-pigeon")]).unwrap_err();
        assert_eq!(
            e,
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: `carrier-pigeon` is not grpc, http/protobuf or http/json"
        );
    }
}
