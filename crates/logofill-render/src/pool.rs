//! The parent side: a pool of warm helper processes, one render at a time each.
//!
//! A render takes an idle helper (or starts one), writes the request, and waits for the answer
//! under the wall-clock deadline. A helper that answers goes back to the pool; one that misses
//! the deadline is killed, and one that dies is reaped and its death read (signal, the last
//! lines of its stderr) to name the limit it hit. Either way the next render starts a fresh
//! helper, and nothing of the failed render stays in the worker's own memory.
//!
//! The pool never holds more helpers than it has slots, so the memory the renders can take is
//! `slots x (helper base + render memory)`, which is what the worker's admission adds up.

use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt as _;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use logofill_image::{ImageError, PipelineOptions, RenderedSet};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::Semaphore;

use crate::error::{BudgetLimit, RenderError};
use crate::helper::{EXIT_PROTOCOL, HELPER_ARG};
use crate::wire::{self, HelperOptions, Reply};

/// How long a new helper may take to start and apply its limits.
pub const HELPER_START_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest reply accepted from a helper (all variants of one set, with headroom).
const MAX_REPLY_BYTES: u64 = 64 * 1024 * 1024;
/// How much of a dying helper's stderr is kept to tell why it died.
const STDERR_TAIL_BYTES: usize = 4096;

/// How to start a helper: a program that calls [`crate::serve_if_helper`] first thing.
#[derive(Debug, Clone)]
pub struct HelperCommand {
    program: PathBuf,
    env: Vec<(OsString, OsString)>,
}

impl HelperCommand {
    /// The running binary itself (the Lambda's `bootstrap`, the `logofill` CLI).
    pub fn current_exe() -> std::io::Result<Self> {
        Ok(Self::program(std::env::current_exe()?))
    }

    /// Another binary that serves as a helper (the crate's own `logofill-render-helper`).
    pub fn program(program: impl Into<PathBuf>) -> Self {
        HelperCommand {
            program: program.into(),
            env: Vec::new(),
        }
    }

    /// Sets one environment variable of the helper; it gets no other (its environment is
    /// cleared, so a compromised decoder finds no credentials there).
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }
}

/// The budget of one render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderBudget {
    /// Wall clock from sending the request to the last byte of the answer.
    pub timeout: Duration,
    /// Address space a helper may add for one render, on top of what it maps at start.
    pub memory_bytes: u64,
}

impl RenderBudget {
    /// The CPU-seconds backstop: the deadline rounded up, plus one second.
    fn cpu_seconds(&self) -> u64 {
        self.timeout.as_millis().div_ceil(1000) as u64 + 1
    }
}

/// Counters for logs and benchmarks.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    pub renders: u64,
    pub helpers_started: u64,
    /// Helpers killed at the deadline or found dead.
    pub helpers_lost: u64,
}

/// Warm render helpers, shared by every record of the process. Cheap to clone.
#[derive(Clone)]
pub struct RenderPool {
    inner: Arc<Inner>,
}

struct Inner {
    command: HelperCommand,
    config: HelperOptions,
    budget: RenderBudget,
    slots: usize,
    permits: Semaphore,
    idle: Mutex<Vec<Helper>>,
    renders: AtomicU64,
    started: AtomicU64,
    lost: AtomicU64,
}

impl RenderPool {
    /// A pool of at most `slots` helpers rendering with `options` (sizes, trim, the input,
    /// pixel and decode limits, WebP quality; the other limits are the pipeline's defaults) within
    /// `budget`. Helpers start on first use.
    pub fn new(
        command: HelperCommand,
        options: &PipelineOptions,
        budget: RenderBudget,
        slots: usize,
    ) -> Self {
        let slots = slots.max(1);
        RenderPool {
            inner: Arc::new(Inner {
                command,
                config: HelperOptions {
                    sizes: options.sizes.clone(),
                    trim: options.trim.clone(),
                    max_input_bytes: options.limits.max_input_bytes,
                    max_pixels: options.limits.max_pixels,
                    max_decode_alloc: options.limits.max_decode_alloc,
                    webp_quality: options.webp_quality,
                    memory_bytes: budget.memory_bytes,
                    cpu_seconds: budget.cpu_seconds(),
                },
                budget,
                slots,
                permits: Semaphore::new(slots),
                idle: Mutex::new(Vec::new()),
                renders: AtomicU64::new(0),
                started: AtomicU64::new(0),
                lost: AtomicU64::new(0),
            }),
        }
    }

    pub fn budget(&self) -> RenderBudget {
        self.inner.budget
    }

    pub fn slots(&self) -> usize {
        self.inner.slots
    }

    pub fn stats(&self) -> PoolStats {
        PoolStats {
            renders: self.inner.renders.load(Ordering::Relaxed),
            helpers_started: self.inner.started.load(Ordering::Relaxed),
            helpers_lost: self.inner.lost.load(Ordering::Relaxed),
        }
    }

    /// Starts every helper now, so the first renders do not pay for it (start-up of a
    /// Lambda, a benchmark's warm-up).
    pub async fn warm_up(&self) -> Result<(), RenderError> {
        let mut fresh = Vec::new();
        let have = self.inner.idle.lock().map(|v| v.len()).unwrap_or(0);
        for _ in have..self.inner.slots {
            fresh.push(self.spawn().await?);
        }
        if let Ok(mut idle) = self.inner.idle.lock() {
            idle.extend(fresh);
        }
        Ok(())
    }

    /// Ends every idle helper cleanly (closes its input, waits for it to exit), so its CPU time
    /// and exit are accounted to this process. Renders still running keep their helpers,
    /// which end when dropped.
    pub async fn shutdown(&self) {
        let helpers: Vec<Helper> = self
            .inner
            .idle
            .lock()
            .map(|mut v| v.drain(..).collect())
            .unwrap_or_default();
        for helper in helpers {
            helper.close().await;
        }
    }

    /// Renders `bytes` in a helper. `name` (a URL or a path) only appears in messages.
    pub async fn render(&self, name: &str, bytes: Vec<u8>) -> Result<RenderedSet, RenderError> {
        let limit = self.inner.config.max_input_bytes;
        if bytes.len() as u64 > limit {
            return Err(RenderError::from_image(ImageError::InputTooLarge {
                name: name.to_string(),
                bytes: bytes.len() as u64,
                limit,
            }));
        }
        let _permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(|_| RenderError::Unavailable {
                detail: "the render pool is closed".into(),
            })?;
        self.inner.renders.fetch_add(1, Ordering::Relaxed);
        let idle = self.inner.idle.lock().ok().and_then(|mut v| v.pop());
        let mut helper = match idle {
            Some(h) => h,
            None => self.spawn().await?,
        };
        let timeout = self.inner.budget.timeout;
        match tokio::time::timeout(timeout, helper.exchange(name, &bytes)).await {
            Ok(Ok(reply)) => {
                if let Ok(mut idle) = self.inner.idle.lock() {
                    idle.push(helper);
                }
                match reply {
                    Reply::Rendered(set) => Ok(set),
                    Reply::Refused {
                        code,
                        message,
                        permanent,
                    } => Err(RenderError::Refused {
                        code,
                        message,
                        permanent,
                    }),
                }
            }
            Ok(Err(io)) => {
                self.inner.lost.fetch_add(1, Ordering::Relaxed);
                let (status, tail) = helper.reap().await;
                let limit = classify(status, &tail, &self.inner.budget);
                tracing::warn!(
                    input = %name,
                    limit = limit.code(),
                    status = ?status,
                    io_error = %io,
                    stderr = %String::from_utf8_lossy(&tail).trim(),
                    "render helper died; starting a new one for the next render"
                );
                Err(RenderError::BudgetExceeded {
                    name: name.to_string(),
                    limit,
                })
            }
            Err(_elapsed) => {
                self.inner.lost.fetch_add(1, Ordering::Relaxed);
                helper.kill().await;
                tracing::warn!(input = %name, timeout_ms = timeout.as_millis() as u64, "render over its deadline; helper killed");
                Err(RenderError::BudgetExceeded {
                    name: name.to_string(),
                    limit: BudgetLimit::Time(timeout),
                })
            }
        }
    }

    async fn spawn(&self) -> Result<Helper, RenderError> {
        let helper = Helper::spawn(&self.inner.command, &self.inner.config).await?;
        self.inner.started.fetch_add(1, Ordering::Relaxed);
        Ok(helper)
    }
}

/// Names the limit a dead helper hit, from how it ended and what it last wrote.
fn classify(status: Option<ExitStatus>, stderr: &[u8], budget: &RenderBudget) -> BudgetLimit {
    let text = String::from_utf8_lossy(stderr);
    if text.contains("memory allocation of") || text.contains("capacity overflow") {
        return BudgetLimit::Memory(budget.memory_bytes);
    }
    if text.contains("has overflowed its stack") {
        return BudgetLimit::Stack;
    }
    match status {
        Some(s) if s.signal() == Some(libc::SIGXCPU) => BudgetLimit::Cpu(budget.cpu_seconds()),
        // The kernel's OOM killer, in a container whose memory ran out first.
        Some(s) if s.signal() == Some(libc::SIGKILL) => BudgetLimit::Memory(budget.memory_bytes),
        Some(s) if s.signal().is_some() => {
            BudgetLimit::Crash(format!("signal {}", s.signal().unwrap_or_default()))
        }
        Some(s) if s.code() == Some(EXIT_PROTOCOL) => {
            BudgetLimit::Crash("it refused the request".into())
        }
        Some(s) => BudgetLimit::Crash(format!("exit status {}", s.code().unwrap_or_default())),
        None => BudgetLimit::Crash("it stopped answering".into()),
    }
}

/// One helper process and its pipes.
struct Helper {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    stderr_tail: Arc<Mutex<Vec<u8>>>,
    stderr_task: tokio::task::JoinHandle<()>,
}

impl Helper {
    async fn spawn(command: &HelperCommand, config: &HelperOptions) -> Result<Helper, RenderError> {
        let unavailable = |detail: String| RenderError::Unavailable { detail };
        let mut child = Command::new(&command.program)
            .arg(HELPER_ARG)
            .env_clear()
            .envs(command.env.iter().cloned())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| unavailable(format!("cannot start {}: {e}", command.program.display())))?;
        let (Some(mut stdin), Some(stdout), Some(mut stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(unavailable("the helper's pipes were not set up".into()));
        };
        let stderr_tail = Arc::new(Mutex::new(Vec::new()));
        let tail = stderr_tail.clone();
        let stderr_task = tokio::spawn(async move {
            let mut buf = [0u8; 1024];
            while let Ok(n) = stderr.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                if let Ok(mut t) = tail.lock() {
                    t.extend_from_slice(&buf[..n]);
                    let excess = t.len().saturating_sub(STDERR_TAIL_BYTES);
                    t.drain(..excess);
                }
            }
        });
        let mut stdout = BufReader::new(stdout);
        let handshake = async {
            let mut frame = Vec::new();
            wire::write_config(&mut frame, config)?;
            stdin.write_all(&frame).await?;
            stdin.flush().await?;
            let tag = stdout.read_u8().await?;
            if tag != wire::READY {
                return Err(std::io::Error::other(format!(
                    "unexpected first byte {tag:#x}"
                )));
            }
            Ok::<_, std::io::Error>(())
        };
        let helper = match tokio::time::timeout(HELPER_START_TIMEOUT, handshake).await {
            Ok(Ok(())) => Helper {
                child,
                stdin,
                stdout,
                stderr_tail,
                stderr_task,
            },
            Ok(Err(e)) => {
                let _ = child.start_kill();
                let _ = child.wait().await;
                let tail = stderr_tail.lock().map(|t| t.clone()).unwrap_or_default();
                return Err(unavailable(format!(
                    "{} did not start as a render helper: {e}; {}",
                    command.program.display(),
                    String::from_utf8_lossy(&tail).trim()
                )));
            }
            Err(_) => {
                let _ = child.start_kill();
                let _ = child.wait().await;
                return Err(unavailable(format!(
                    "{} did not start within {} s",
                    command.program.display(),
                    HELPER_START_TIMEOUT.as_secs()
                )));
            }
        };
        Ok(helper)
    }

    async fn exchange(&mut self, name: &str, bytes: &[u8]) -> std::io::Result<Reply> {
        let mut header = Vec::with_capacity(name.len() + 16);
        wire::write_request(&mut header, name, bytes);
        self.stdin.write_all(&header).await?;
        self.stdin.write_all(bytes).await?;
        self.stdin.flush().await?;
        let len = self.stdout.read_u64_le().await?;
        if len > MAX_REPLY_BYTES || len == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("reply of {len} bytes"),
            ));
        }
        let mut payload = vec![0u8; len as usize];
        self.stdout.read_exact(&mut payload).await?;
        let mut r = payload.as_slice();
        let tag = wire::get_u8(&mut r)?;
        wire::read_reply(tag, &mut r)
    }

    /// Waits (briefly) for a helper that broke the exchange to end, and returns how it ended
    /// with the tail of its stderr.
    async fn reap(mut self) -> (Option<ExitStatus>, Vec<u8>) {
        let status = match tokio::time::timeout(Duration::from_secs(2), self.child.wait()).await {
            Ok(Ok(status)) => Some(status),
            _ => {
                let _ = self.child.start_kill();
                let _ = self.child.wait().await;
                None
            }
        };
        let _ = tokio::time::timeout(Duration::from_millis(500), &mut self.stderr_task).await;
        let tail = self
            .stderr_tail
            .lock()
            .map(|t| t.clone())
            .unwrap_or_default();
        (status, tail)
    }

    /// Closes the helper's input, which ends its loop, and waits for it to exit.
    async fn close(self) {
        let Helper {
            mut child,
            stdin,
            stderr_task,
            ..
        } = self;
        drop(stdin);
        if tokio::time::timeout(Duration::from_secs(2), child.wait())
            .await
            .is_err()
        {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
        stderr_task.abort();
    }

    async fn kill(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
        self.stderr_task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget() -> RenderBudget {
        RenderBudget {
            timeout: Duration::from_millis(2500),
            memory_bytes: 64 << 20,
        }
    }

    #[test]
    fn deaths_are_named_by_the_limit_they_hit() {
        let signal = |n| Some(ExitStatus::from_raw(n));
        let b = budget();
        assert_eq!(
            classify(
                signal(libc::SIGABRT),
                b"memory allocation of 8 bytes failed\n",
                &b
            ),
            BudgetLimit::Memory(64 << 20)
        );
        assert_eq!(
            classify(
                signal(libc::SIGABRT),
                b"\nthread 'main' has overflowed its stack\nfatal runtime error: stack overflow\n",
                &b
            ),
            BudgetLimit::Stack
        );
        assert_eq!(
            classify(signal(libc::SIGXCPU), b"", &b),
            BudgetLimit::Cpu(4)
        );
        assert_eq!(
            classify(signal(libc::SIGSEGV), b"", &b),
            BudgetLimit::Crash("signal 11".into())
        );
        assert_eq!(
            classify(Some(ExitStatus::from_raw(EXIT_PROTOCOL << 8)), b"", &b),
            BudgetLimit::Crash("it refused the request".into())
        );
    }
}
