//! logofill-render: every render of fetched bytes runs here, within a budget that holds for
//! inputs nobody anticipated.
//!
//! The image crate refuses what it can see coming (pixels, allocations, SVG structure) from
//! headers, before decoding. That cannot cover a runaway loop or allocation inside a decoder
//! for an input no check anticipated, and inside one process nothing can stop such a loop or
//! reclaim such an allocation: a thread cannot be killed, an abort ends every record of the
//! batch. So the budget is enforced by the kernel, on another process:
//!
//! - A [`RenderPool`] keeps warm helper processes (the same binary re-executed with
//!   [`HELPER_ARG`]; every binary that renders calls [`serve_if_helper`] first thing in
//!   `main`). Each render is one request over a pipe: the source bytes in, the encoded
//!   variants out.
//! - The helper limits itself before reading any input: `RLIMIT_AS` to what it has mapped plus
//!   the render memory, `RLIMIT_CPU` re-armed per render, no core files, an empty environment.
//! - The parent holds the wall-clock deadline: a helper that has not answered in time is
//!   killed. A helper that aborts (allocation refused, stack overflow, a decoder crash) is
//!   reaped and its death named. Both become [`RenderError::BudgetExceeded`], permanent for
//!   that source; the next render gets a fresh helper and the other records never notice.
//!
//! Why a process and not a thread or `catch_unwind`: only a process can be killed at a
//! deadline and have every byte it allocated returned at once; the pipe costs microseconds
//! against a median render of milliseconds (see `make bench-image`).
//!
//! [`Renderer`] is what callers hold: sandboxed in production and in the CLI, or in-process
//! (the twin, on a blocking thread) for unit tests that need no helper binary.

mod error;
mod helper;
mod pool;
mod wire;

use std::sync::Arc;

pub use error::{BudgetLimit, RenderError};
pub use helper::{serve_if_helper, serve_if_helper_with, HELPER_ARG};
pub use logofill_image::{Pipeline, PipelineOptions, RenderedSet};
pub use pool::{HelperCommand, PoolStats, RenderBudget, RenderPool, HELPER_START_TIMEOUT};

/// Renders fetched bytes: in a helper process under a budget, or in-process.
#[derive(Clone)]
pub struct Renderer {
    /// Used in-process for placeholders (our own SVG) and for in-process renders.
    pipeline: Arc<Pipeline>,
    pool: Option<RenderPool>,
}

impl Renderer {
    /// Renders through `pool`; `pipeline` must have the same options (it renders placeholders,
    /// which are logofill's own SVG and need no budget).
    pub fn sandboxed(pipeline: Arc<Pipeline>, pool: RenderPool) -> Self {
        Renderer {
            pipeline,
            pool: Some(pool),
        }
    }

    /// Renders in this process on a blocking thread, with the pipeline's own limits only: for
    /// tests and tools that trust their inputs.
    pub fn in_process(pipeline: Arc<Pipeline>) -> Self {
        Renderer {
            pipeline,
            pool: None,
        }
    }

    pub fn pipeline(&self) -> &Arc<Pipeline> {
        &self.pipeline
    }

    pub fn pool(&self) -> Option<&RenderPool> {
        self.pool.as_ref()
    }

    /// Decode, fit and encode `bytes`. Runs off the caller's thread either way.
    pub async fn render(&self, name: &str, bytes: Vec<u8>) -> Result<RenderedSet, RenderError> {
        match &self.pool {
            Some(pool) => pool.render(name, bytes).await,
            None => {
                let pipeline = self.pipeline.clone();
                let owned = name.to_string();
                tokio::task::spawn_blocking(move || pipeline.render(&owned, &bytes))
                    .await
                    .map_err(|e| RenderError::Unavailable {
                        detail: format!("the render thread failed: {e}"),
                    })?
                    .map_err(RenderError::from_image)
            }
        }
    }
}
