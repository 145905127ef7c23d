//! The cross-crate tests of logofill: one test binary, a module per subject, against real
//! protocol peers started by logofill-testkit (moto_server for S3 and SQS, fixture sites, the
//! discovery corpus server). A test belongs here when no single crate is its subject: the
//! worker with the real S3 store, fetcher, pipeline and render helpers together, discovery
//! on the labelled corpus through the worker, the deployment template and the configuration
//! reference held to both binaries. A crate's own behaviour is tested in that crate.
//!
//! One binary, so the modules share one build and link and run as threads of one process
//! under `cargo test` (each test in its own process under nextest): nothing here may set
//! process-wide state (environment variables, a global tracing subscriber, the working
//! directory); configuration is passed explicitly, and scratch folders carry a free port in
//! their name as well as the process id.

mod corpus_run;
mod discovery_corpus;
mod docs_configuration;
mod infra_env;
mod worker_outcomes;

/// Three documented variables (one required, two with defaults) for the tests of the checks
/// that hold the template and docs/configuration.md to the binaries' variable lists.
pub fn sample_env_vars() -> [logofill_core::config::EnvVar; 3] {
    use logofill_core::config::EnvVar;
    [
        EnvVar {
            name: "LOGOFILL_A",
            default: None,
            meaning: "a",
        },
        EnvVar {
            name: "LOGOFILL_B",
            default: Some("600"),
            meaning: "b",
        },
        EnvVar {
            name: "LOGOFILL_C",
            default: Some("x"),
            meaning: "c",
        },
    ]
}
