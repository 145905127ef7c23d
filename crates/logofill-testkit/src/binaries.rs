//! The workspace's binaries, for tests and benches that run them as a user or Lambda would.
//!
//! One lookup for every binary: a package's own binaries are the ones cargo built for its
//! tests and names in `CARGO_BIN_EXE_<name>` while they run; any other package's binary is
//! found beside those, in the target folder of the same profile (`make test` builds every
//! binary first with `cargo build --workspace --bins`; a bench finds the release build).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The path of the workspace binary `name`, built in the profile of the running test.
/// Panics, naming the missing file and the command that builds it, when it is not built.
pub fn path(name: &str) -> PathBuf {
    if let Some(own) = std::env::var_os(format!("CARGO_BIN_EXE_{name}")) {
        return PathBuf::from(own);
    }
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> -> target/<profile>/<name>
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is not built; run `cargo build --workspace --bins` (make test does) before the tests",
        path.display()
    );
    path
}

/// A [`Command`] for the workspace binary `name` ([`path`]), nothing else set.
pub fn command(name: &str) -> Command {
    Command::new(path(name))
}
