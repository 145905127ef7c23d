//! `moto_server` (PyPI `moto[server]`, installed into `.venv` by `make test`): S3 and SQS on
//! one free 127.0.0.1 port, a real protocol peer for the AWS adapters and binaries.

use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{free_port, workspace_root};

/// A running `moto_server`, killed when dropped.
pub struct MotoServer {
    child: Child,
    pub port: u16,
    pub endpoint: String,
}

impl MotoServer {
    /// The `moto_server` executable: `$LOGOFILL_MOTO_SERVER`, else `.venv/bin/moto_server`.
    pub fn executable() -> PathBuf {
        if let Ok(path) = std::env::var("LOGOFILL_MOTO_SERVER") {
            return PathBuf::from(path);
        }
        let path = workspace_root().join(".venv/bin/moto_server");
        assert!(
            path.exists(),
            "moto_server not found at {}; run `make test` (it creates .venv with moto[server]) or set LOGOFILL_MOTO_SERVER",
            path.display()
        );
        path
    }

    pub fn start() -> Self {
        for _ in 0..3 {
            let port = free_port();
            let child = Command::new(Self::executable())
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("starting moto_server");
            let mut server = MotoServer {
                child,
                port,
                endpoint: format!("http://127.0.0.1:{port}"),
            };
            if wait_for_port(port, Duration::from_secs(30)) {
                return server;
            }
            let _ = server.child.kill();
        }
        panic!("moto_server did not start listening within 30 s (three tries)");
    }

    /// Stop the server now (for fault-injection tests).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// [`client_env`] for this server.
    pub fn client_env(&self) -> Vec<(&'static str, String)> {
        client_env(&self.endpoint)
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The variables a child process (a Lambda binary, the CLI) needs to reach moto at
/// `endpoint` through the SDK's standard chain, and to read nothing else of AWS: test
/// credentials, a fixed region, no instance metadata, no shared config or credentials file.
pub fn client_env(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", endpoint.to_string()),
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("AWS_CONFIG_FILE", "/nonexistent".into()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent".into()),
    ]
}

fn wait_for_port(port: u16, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(
            &SocketAddr::from(([127, 0, 0, 1], port)),
            Duration::from_millis(200),
        )
        .is_ok()
        {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}
