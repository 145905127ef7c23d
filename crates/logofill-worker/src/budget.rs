//! How the worker shares out its Lambda's memory, decided once at start-up.
//!
//! A Lambda is killed when the whole sandbox (the worker and its render helpers) goes over
//! `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`. So the worker adds up what its concurrent work can take
//! and admits only as much as fits:
//!
//! - its own base (runtime, AWS SDK, TLS, connection pools);
//! - per render slot: a helper's base plus the render memory its `RLIMIT_AS` allows;
//! - per record in flight: one fetched body at the fetch limit (with the slack a growing buffer
//!   takes), the homepage prefix and the encoded set.
//!
//! The decoder working-set limit handed to the pipeline is what the render memory leaves after
//! an input at the fetch limit: an image too large for this Lambda is refused from its header.
//!
//! Render slots are the CPUs the Lambda has (one below 1,769 MB, where Lambda gives a full
//! vCPU), never more than the records in flight. Records in flight are what is left after the
//! renders, at least one. A configuration in which one record and one render cannot fit stops
//! start-up with a message naming the variables.

/// Resident memory of an idle worker: tokio, the Lambda runtime client, the AWS SDK with its
/// TLS stack and connection pools, the fetcher (measured at about 20 MB; kept with headroom).
pub const WORKER_BASE_BYTES: u64 = 28 * MIB;
/// Resident memory of an idle render helper (the same binary, one thread, no runtime;
/// measured at about 4 MB).
pub const HELPER_BASE_BYTES: u64 = 6 * MIB;
/// The homepage prefix read for discovery, a manifest, and the encoded variant set of a record.
pub const RECORD_OVERHEAD_BYTES: u64 = 3 * MIB;
/// Largest render memory chosen when none is configured: enough for the largest input the
/// pipeline accepts (its 80 MiB decode limit, the input itself, resize and encode buffers).
pub const MAX_AUTO_RENDER_MEMORY: u64 = 160 * MIB;
/// Smallest render memory that renders ordinary logos; below it start-up fails.
pub const MIN_RENDER_MEMORY: u64 = 48 * MIB;
/// What a render holds besides the input and the decoder's working set: resize and encode
/// buffers, the decoder's own small state, allocator slack.
pub const RENDER_SLACK_BYTES: u64 = 8 * MIB;
/// The pipeline's own decoder working-set limit; a plan only ever lowers it.
pub const MAX_DECODE_ALLOC: u64 = 80 * MIB;
/// Lambda gives one full vCPU at this much memory, proportionally less below it.
pub const LAMBDA_MB_PER_VCPU: u64 = 1769;

const MIB: u64 = 1024 * 1024;

/// What the worker may run at the same time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryPlan {
    /// The Lambda's memory, if running on one.
    pub lambda_bytes: Option<u64>,
    /// Render helpers (renders at the same time).
    pub render_slots: usize,
    /// Address space each render may add (`RLIMIT_AS` of a helper).
    pub render_memory: u64,
    /// Records of a batch processed at the same time.
    pub records_in_flight: usize,
    /// The decoder working-set limit given to the pipeline: what the render memory leaves
    /// after the input and the slack, so an image too big for this Lambda is refused from its
    /// header with a clear message instead of being ended by the ceiling.
    pub decode_limit: u64,
}

/// The inputs of the plan, as configured.
#[derive(Debug, Clone, Copy)]
pub struct PlanInputs {
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` in MB, when set.
    pub lambda_mb: Option<u64>,
    /// `LOGOFILL_RENDER_MEMORY_MB`, `None` for `auto`.
    pub render_memory_mb: Option<u64>,
    /// `LOGOFILL_FETCH_MAX_BYTES`.
    pub fetch_max_bytes: u64,
    /// `LOGOFILL_CONCURRENCY`.
    pub concurrency: usize,
    /// CPUs this process may use.
    pub cores: usize,
}

impl PlanInputs {
    /// What one record in flight can hold: a body at the limit, plus half of it again for the
    /// buffer's growth, plus the homepage, manifest and encoded set.
    pub fn record_bytes(&self) -> u64 {
        self.fetch_max_bytes + self.fetch_max_bytes / 2 + RECORD_OVERHEAD_BYTES
    }
}

pub fn plan(inputs: PlanInputs) -> Result<MemoryPlan, String> {
    let concurrency = inputs.concurrency.max(1);
    let cores = inputs.cores.max(1);
    let Some(lambda_mb) = inputs.lambda_mb else {
        // Not on a Lambda: no sandbox ceiling to fit, only the render budget itself.
        let render_memory = inputs
            .render_memory_mb
            .map_or(MAX_AUTO_RENDER_MEMORY, |mb| mb * MIB);
        return Ok(MemoryPlan {
            lambda_bytes: None,
            render_slots: cores.min(concurrency),
            render_memory,
            records_in_flight: concurrency,
            decode_limit: decode_limit(render_memory, inputs.fetch_max_bytes),
        });
    };
    let total = lambda_mb * MIB;
    let record = inputs.record_bytes();
    let vcpus = lambda_mb.div_ceil(LAMBDA_MB_PER_VCPU).max(1) as usize;
    let mut slots = cores.min(vcpus).min(concurrency);
    // One record must always fit besides the renders.
    let for_renders = total.saturating_sub(WORKER_BASE_BYTES + record);
    let too_small = |render_memory: u64| {
        format!(
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE={lambda_mb} cannot hold the worker's {} MiB base, one \
             record in flight ({} MiB for LOGOFILL_FETCH_MAX_BYTES={}) and one render of {} MiB \
             (LOGOFILL_RENDER_MEMORY_MB) with its helper's {} MiB: give the function more memory \
             or lower LOGOFILL_FETCH_MAX_BYTES or LOGOFILL_RENDER_MEMORY_MB",
            WORKER_BASE_BYTES / MIB,
            record.div_ceil(MIB),
            inputs.fetch_max_bytes,
            render_memory.div_ceil(MIB),
            HELPER_BASE_BYTES / MIB,
        )
    };
    let render_memory = match inputs.render_memory_mb {
        Some(mb) => {
            let render_memory = mb * MIB;
            while slots > 1 && slots as u64 * (HELPER_BASE_BYTES + render_memory) > for_renders {
                slots -= 1;
            }
            if HELPER_BASE_BYTES + render_memory > for_renders {
                return Err(too_small(render_memory));
            }
            render_memory
        }
        None => loop {
            let share = (for_renders / slots as u64).saturating_sub(HELPER_BASE_BYTES);
            let render_memory = share.min(MAX_AUTO_RENDER_MEMORY);
            if render_memory >= MIN_RENDER_MEMORY {
                break render_memory;
            }
            if slots == 1 {
                return Err(too_small(MIN_RENDER_MEMORY));
            }
            slots -= 1;
        },
    };
    let left = for_renders - slots as u64 * (HELPER_BASE_BYTES + render_memory);
    let records = (1 + left / record).min(concurrency as u64) as usize;
    Ok(MemoryPlan {
        lambda_bytes: Some(total),
        render_slots: slots.min(records),
        render_memory,
        records_in_flight: records,
        decode_limit: decode_limit(render_memory, inputs.fetch_max_bytes),
    })
}

/// The decoder limit that fits `render_memory` with an input at the fetch limit beside it.
fn decode_limit(render_memory: u64, fetch_max_bytes: u64) -> u64 {
    render_memory
        .saturating_sub(fetch_max_bytes + RENDER_SLACK_BYTES)
        .clamp(8 * MIB, MAX_DECODE_ALLOC)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(lambda_mb: Option<u64>, render_memory_mb: Option<u64>) -> PlanInputs {
        PlanInputs {
            lambda_mb,
            render_memory_mb,
            fetch_max_bytes: 10 * MIB,
            concurrency: 4,
            cores: 2,
        }
    }

    /// Everything the plan admits at once, the way the Lambda counts it.
    fn peak(p: &MemoryPlan, i: &PlanInputs) -> u64 {
        WORKER_BASE_BYTES
            + p.render_slots as u64 * (HELPER_BASE_BYTES + p.render_memory)
            + p.records_in_flight as u64 * i.record_bytes()
    }

    #[test]
    fn every_lambda_size_fits_what_it_admits() {
        for mb in [128u64, 192, 256, 512, 1024, 1769, 2048, 3008, 10240] {
            let i = inputs(Some(mb), None);
            let p = plan(i).unwrap();
            assert!(peak(&p, &i) <= mb * MIB, "{mb} MB: {p:?}");
            assert!(p.render_memory >= MIN_RENDER_MEMORY, "{mb} MB: {p:?}");
            assert!(p.records_in_flight >= 1 && p.render_slots >= 1);
        }
    }

    #[test]
    fn small_lambdas_render_one_at_a_time_and_big_ones_use_their_cpus() {
        let p = plan(inputs(Some(128), None)).unwrap();
        assert_eq!((p.render_slots, p.records_in_flight), (1, 1));
        assert_eq!(
            p.render_memory,
            128 * MIB - WORKER_BASE_BYTES - 18 * MIB - HELPER_BASE_BYTES
        );
        let p = plan(inputs(Some(256), None)).unwrap();
        assert_eq!(p.render_slots, 1);
        assert_eq!(p.render_memory, MAX_AUTO_RENDER_MEMORY);
        assert_eq!(p.records_in_flight, 3);
        assert_eq!(p.decode_limit, MAX_DECODE_ALLOC);
        let p = plan(inputs(Some(3008), None)).unwrap();
        assert_eq!((p.render_slots, p.records_in_flight), (2, 4));
    }

    #[test]
    fn a_configuration_that_cannot_fit_names_the_variables() {
        let err = plan(inputs(Some(128), Some(120))).unwrap_err();
        for var in [
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
            "LOGOFILL_FETCH_MAX_BYTES=10485760",
            "LOGOFILL_RENDER_MEMORY_MB",
        ] {
            assert!(err.contains(var), "{err}");
        }
        let mut i = inputs(Some(128), None);
        i.fetch_max_bytes = 64 * MIB;
        assert!(plan(i).is_err());
    }

    #[test]
    fn an_explicit_render_memory_lowers_the_slots_before_failing() {
        let mut i = inputs(Some(4096), Some(1800));
        i.cores = 4;
        let p = plan(i).unwrap();
        assert_eq!(p.render_slots, 2);
        assert!(peak(&p, &i) <= 4096 * MIB);
    }

    #[test]
    fn off_lambda_every_core_renders() {
        let p = plan(inputs(None, None)).unwrap();
        assert_eq!(p.render_slots, 2);
        assert_eq!(p.records_in_flight, 4);
        assert_eq!(p.render_memory, MAX_AUTO_RENDER_MEMORY);
    }
}
