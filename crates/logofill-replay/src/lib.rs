//! logofill's dead-letter queue tools: `stats`, `peek`, `move`, `export`, `import`.
//!
//! The one rule: a message leaves the dead-letter queue only after its new home (the target
//! queue, or an fsynced archive line) has confirmed it. Everything else (filters, rate,
//! progress, dry runs) is built around that order of calls, in [`mover`] and [`archive`].
//! The queues are reached through core's queue port, `logofill_core::queue::QueueService`:
//! `logofill_aws::Sqs` in production, `logofill_core::queue::MemoryQueues` in the tests,
//! where faults can be injected per entry and per call.

pub mod archive;
pub mod error;
pub mod filter;
pub mod holds;
pub mod inspect;
pub mod message;
pub mod mover;
pub mod pace;

pub use error::ReplayError;
pub use filter::{parse_duration, Filter};
pub use logofill_core::queue::{Operation, QueueService, MAX_BATCH_ENTRIES};
pub use mover::{run_move, MoveOptions, MoveSummary, StopReason};
