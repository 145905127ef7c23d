//! Time as a port, so TTLs and timestamps are testable without sleeping.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// Where the domain gets its time from.
pub trait Clock: Send + Sync {
    /// Monotonic time since an arbitrary fixed point; only differences mean anything.
    fn monotonic(&self) -> Duration;
    /// Wall-clock time, for timestamps that leave the process.
    fn now_utc(&self) -> DateTime<Utc>;
}

/// The real clock.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    start: Instant,
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock {
            start: Instant::now(),
        }
    }
}

impl Clock for SystemClock {
    fn monotonic(&self) -> Duration {
        self.start.elapsed()
    }
    fn now_utc(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to. Shared by reference (`&ManualClock` is a `Clock`).
#[derive(Debug)]
pub struct ManualClock {
    millis: AtomicU64,
    epoch: DateTime<Utc>,
}

impl ManualClock {
    pub fn new(epoch: DateTime<Utc>) -> Self {
        ManualClock {
            millis: AtomicU64::new(0),
            epoch,
        }
    }
    pub fn advance(&self, by: Duration) {
        self.millis
            .fetch_add(by.as_millis() as u64, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn monotonic(&self) -> Duration {
        Duration::from_millis(self.millis.load(Ordering::SeqCst))
    }
    fn now_utc(&self) -> DateTime<Utc> {
        self.epoch + chrono::Duration::milliseconds(self.millis.load(Ordering::SeqCst) as i64)
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn monotonic(&self) -> Duration {
        (**self).monotonic()
    }
    fn now_utc(&self) -> DateTime<Utc> {
        (**self).now_utc()
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn monotonic(&self) -> Duration {
        (**self).monotonic()
    }
    fn now_utc(&self) -> DateTime<Utc> {
        (**self).now_utc()
    }
}
