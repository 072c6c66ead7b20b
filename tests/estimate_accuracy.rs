//! The token estimator against o200k (tiktoken-rs, the ground truth) on a corpus of prose,
//! Rust, Python, TypeScript, JSON and Chinese: each within ±10 % before calibration.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use gearshift::context::estimate_tokens;

const CORPUS: &[(&str, &str)] = &[
    ("prose (Markdown)", include_str!("corpus/prose.md")),
    ("Rust", include_str!("corpus/rust.rs.txt")),
    ("Python", include_str!("corpus/python.py.txt")),
    ("TypeScript", include_str!("corpus/typescript.ts.txt")),
    ("JSON", include_str!("corpus/data.json")),
    ("Chinese", include_str!("corpus/chinese.txt")),
];

#[test]
fn estimates_are_within_ten_percent_of_o200k() {
    let bpe = tiktoken_rs::o200k_base().unwrap();
    let mut failures = Vec::new();
    for (name, text) in CORPUS {
        let exact = bpe.encode_ordinary(text).len();
        let estimate = estimate_tokens(text);
        #[allow(clippy::cast_precision_loss)]
        let ratio = estimate as f64 / exact as f64;
        println!("{name:<18} o200k {exact:>6}  estimate {estimate:>6}  ratio {ratio:.3}");
        if !(0.9..=1.1).contains(&ratio) {
            failures.push(format!("{name}: {ratio:.3}"));
        }
    }
    assert!(failures.is_empty(), "outside ±10 %: {failures:?}");
}
