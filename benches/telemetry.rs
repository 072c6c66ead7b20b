//! What telemetry costs: start-up to the first frame, the 20,000-word stream and idle memory,
//! with telemetry off, on with a collector on 127.0.0.1 (the tests' fake OTLP collector,
//! taking everything), and on with the collector down (a port nothing listens on). Runs are
//! interleaved so that drift hits every mode alike. Run: `cargo bench --bench telemetry`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod common;
#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Duration;

use common::stream;
use support::otlp::{Behaviour, Collector};

const STARTS: usize = 60;
const STREAMS: usize = 15;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let collector = Collector::start(Behaviour::Answer);
    let up = collector.endpoint();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://127.0.0.1:{}", l.local_addr().unwrap().port())
    };
    let modes: [(&str, Vec<(&str, &str)>); 3] = [
        ("off", vec![]),
        (
            "on, collector up",
            vec![
                ("GEARSHIFT_ENABLE_TELEMETRY", "1"),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", up.as_str()),
            ],
        ),
        (
            "on, collector down",
            vec![
                ("GEARSHIFT_ENABLE_TELEMETRY", "1"),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", closed.as_str()),
            ],
        ),
    ];

    // Start-up: one warm-up per mode creates the database.
    let home = tempfile::tempdir().unwrap();
    let h = home.path().to_str().unwrap();
    let args = ["--home", h, "--workspace", h];
    let mut starts = vec![Vec::new(); modes.len()];
    for (_, env) in &modes {
        let r = common::spawn_env(&args, env);
        r.first_frame();
        r.kill();
    }
    // Each round starts with another mode, so no mode always follows the same one; each
    // start waits for the last process to be gone.
    for round in 0..STARTS {
        for k in 0..modes.len() {
            let i = (round + k) % modes.len();
            let r = common::spawn_env(&args, &modes[i].1);
            let frame = r.first_frame();
            starts[i].push((frame - r.started).as_secs_f64() * 1000.0);
            r.kill();
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    // Idle memory one second after the first frame.
    let mut rss = Vec::new();
    for (_, env) in &modes {
        let r = common::spawn_env(&args, env);
        r.first_frame();
        std::thread::sleep(Duration::from_secs(1));
        let pid = r.child.process_id().unwrap();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let kb: f64 = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap();
        rss.push(kb / 1024.0);
        r.kill();
    }

    // The stream.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let body = stream::body();
    let mut lags = vec![Vec::new(); modes.len()];
    let mut cpus = vec![Vec::new(); modes.len()];
    for round in 0..STREAMS {
        for k in 0..modes.len() {
            let i = (round + k) % modes.len();
            let (lag, cpu) = stream::turn(&rt, &body, &modes[i].1);
            lags[i].push(lag.as_secs_f64() * 1000.0);
            cpus[i].push(cpu);
        }
    }

    let base = (
        median(starts[0].clone()),
        median(lags[0].clone()),
        median(cpus[0].clone()),
    );
    println!(
        "| telemetry | start to first frame, median of {STARTS} | idle RSS | last word after last byte, median of {STREAMS} | CPU for the turn, median of {STREAMS} |"
    );
    println!("|---|---|---|---|---|");
    for (i, (name, _)) in modes.iter().enumerate() {
        let (s, l, c) = (
            median(starts[i].clone()),
            median(lags[i].clone()),
            median(cpus[i].clone()),
        );
        println!(
            "| {name} | {s:.1} ms ({:+.1} %) | {:.1} MB | {l:.0} ms ({:+.1} %) | {:.0} ms ({:+.1} %) |",
            (s / base.0 - 1.0) * 100.0,
            rss[i],
            (l / base.1 - 1.0) * 100.0,
            c * 1000.0,
            (c / base.2 - 1.0) * 100.0,
        );
    }
    let got = collector.requests().len();
    println!("the collector took {got} export requests");
}
