//! The test harness of logofill: real protocol peers on loopback, started and stopped by the
//! tests themselves, and the workspace's binaries and files found from a running test.
//!
//! One copy for every crate's tests and benches (a dev-dependency only), one module per job:
//!
//! - [`moto`]: `moto_server` (S3 and SQS) on a free 127.0.0.1 port, stopped when dropped,
//!   and the environment a child process needs to reach it.
//! - `aws` (feature `aws`): SDK clients for moto, queues (with a dead-letter queue),
//!   buckets, and the Lambda service's side of an SQS trigger (records in, partial batch
//!   responses settled).
//! - [`lambda_runtime`]: the Lambda Runtime API, so the real Lambda binaries run here as in
//!   AWS: the runtime loop, the async runtime and the SDK clients all included.
//! - [`sites`]: fixture web sites (canned pages by path, a listener that counts connections,
//!   the labelled discovery corpus served by host name).
//! - [`binaries`]: the workspace's binaries, found from the running test or bench.
//! - [`process`]: memory and CPU of a child process, from `/proc`.
//!
//! Why a crate and not a module copied into each test folder: the peers must behave the same
//! for every test that uses them (one way to start moto, one Runtime API), and a fix to one
//! reaches them all.

#[cfg(feature = "aws")]
pub mod aws;
pub mod binaries;
pub mod lambda_runtime;
pub mod moto;
pub mod process;
pub mod sites;

use std::net::TcpListener;
use std::path::{Path, PathBuf};

/// The repository root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/logofill-testkit is two levels below the root")
        .to_path_buf()
}

/// The text of a file under `tests/fixtures/` (captured Lambda events).
pub fn fixture(name: &str) -> String {
    let path = workspace_root().join("tests/fixtures").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// A port nobody is listening on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}
