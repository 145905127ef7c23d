//! logofill's dead-letter queue tools: `stats`, `peek`, `move`, `export`, `import`.
//!
//! The one rule: a message leaves the dead-letter queue only after its new home (the target
//! queue, or an fsynced archive line) has confirmed it. Everything else (filters, rate,
//! progress, dry runs) is built around that order of calls, in [`mover`] and [`archive`].
//! SQS sits behind the narrow [`queue::ReplayQueue`] port: [`sqs::SqsQueues`] in production,
//! [`memory::MemoryQueues`] in the unit tests, where faults can be injected per entry.

pub mod archive;
pub mod error;
pub mod filter;
pub mod holds;
pub mod inspect;
pub mod memory;
pub mod message;
pub mod mover;
pub mod pace;
pub mod queue;
pub mod sqs;

pub use error::{Operation, ReplayError};
pub use filter::{parse_duration, Filter};
pub use mover::{run_move, MoveOptions, MoveSummary, StopReason};
pub use queue::{ReplayQueue, MAX_BATCH};
pub use sqs::SqsQueues;
