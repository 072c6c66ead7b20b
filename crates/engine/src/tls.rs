//! The process's TLS provider, for every HTTP client it builds (providers, MCP, doctor).

/// Makes rustls with ring the process's TLS provider, once, before any HTTP client is built
/// (reqwest is built without a provider of its own).
pub fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Another part of the process may have installed one first: either serves.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
