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

    fn var(self) -> &'static str {
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
        Ok(Settings {
            options,
            protocols,
            endpoints,
            service_name: var("OTEL_SERVICE_NAME").unwrap_or_else(|| "gearshift".into()),
            queue: 4096,
        })
    }

    /// Where `signal` goes, and how: `http/protobuf http://collector:4318/v1/traces`.
    #[must_use]
    pub fn endpoint(&self, signal: Signal) -> String {
        let i = signal as usize;
        format!("{} {}", self.protocols[i].as_str(), self.endpoints[i])
    }
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
