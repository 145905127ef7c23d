//! The helper side: the same binary, started with [`HELPER_ARG`], renders one request at a
//! time from its standard input and answers on its standard output, under kernel limits it
//! sets on itself before the first byte of untrusted input is read.
//!
//! - `RLIMIT_AS`: the address space mapped once ready, plus the configured render memory. An
//!   allocation past it fails, Rust reports "memory allocation of N bytes failed" on stderr
//!   and aborts; the parent reads that as the memory limit.
//! - `RLIMIT_CPU`: re-armed before every render to the CPU time used so far plus the per-render
//!   allowance, so a warm helper does not accumulate a debt; the kernel ends a render that spins
//!   past it with SIGXCPU even if the parent's clock were stuck.
//! - `RLIMIT_CORE` 0: an abort writes no core file.
//! - The environment is cleared by the parent, so a compromised decoder finds no credentials.
//!
//! The helper has one thread and no async runtime: its whole address space is the render's.

use std::io::{self, BufReader, BufWriter, Write};

use logofill_image::{ImageError, Pipeline, PipelineOptions, RenderedSet};

use crate::wire::{self, HelperOptions};

/// The first argument that turns a logofill binary into a render helper.
pub const HELPER_ARG: &str = "__logofill-render-helper";

/// Exit status of a helper whose parent broke the protocol (not an input's fault).
pub(crate) const EXIT_PROTOCOL: i32 = 70;

/// Call first thing in `main` of every binary that renders through a [`crate::RenderPool`]
/// built with [`crate::HelperCommand::current_exe`]. When the process was started as a helper
/// it serves renders until its input closes and then exits; otherwise it returns at once.
pub fn serve_if_helper() {
    serve_if_helper_with(|pipeline, name, bytes| pipeline.render(name, bytes));
}

/// [`serve_if_helper`] with another render function: the crate's test helper uses it to
/// misbehave on purpose (spin, allocate without end, overflow its stack, abort).
pub fn serve_if_helper_with<F>(render: F)
where
    F: Fn(&Pipeline, &str, &[u8]) -> Result<RenderedSet, ImageError>,
{
    if std::env::args_os().nth(1).as_deref() != Some(std::ffi::OsStr::new(HELPER_ARG)) {
        return;
    }
    let code = match serve(render) {
        Ok(()) => 0,
        Err(e) => {
            let _ = writeln!(io::stderr(), "logofill render helper: {e}");
            EXIT_PROTOCOL
        }
    };
    std::process::exit(code);
}

fn serve<F>(render: F) -> io::Result<()>
where
    F: Fn(&Pipeline, &str, &[u8]) -> Result<RenderedSet, ImageError>,
{
    let stdin = io::stdin();
    let mut input = BufReader::new(stdin.lock());
    let stdout = io::stdout();
    let mut output = BufWriter::new(stdout.lock());

    let config = wire::read_config(&mut input)?;
    let pipeline = pipeline_for(&config)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
    limits::apply(&config)?;
    output.write_all(&[wire::READY])?;
    output.flush()?;

    while let Some((name, bytes)) = wire::read_request(&mut input, config.max_input_bytes)? {
        limits::arm_cpu(config.cpu_seconds)?;
        let mut reply = Vec::new();
        match render(&pipeline, &name, &bytes) {
            Ok(set) => wire::write_rendered(&mut reply, &set)?,
            Err(e) => wire::write_refused(&mut reply, e.code(), &e.to_string(), !e.is_retryable())?,
        }
        drop(bytes);
        output.write_all(&(reply.len() as u64).to_le_bytes())?;
        output.write_all(&reply)?;
        output.flush()?;
    }
    Ok(())
}

/// The pipeline the parent asked for.
pub(crate) fn pipeline_for(config: &HelperOptions) -> Result<Pipeline, ImageError> {
    let mut options = PipelineOptions {
        sizes: config.sizes.clone(),
        trim: config.trim.clone(),
        webp_quality: config.webp_quality,
        ..PipelineOptions::default()
    };
    options.limits.max_input_bytes = config.max_input_bytes;
    options.limits.max_pixels = config.max_pixels;
    options.limits.max_decode_alloc = config.max_decode_alloc;
    Pipeline::new(options)
}

mod limits {
    use std::io;

    use crate::wire::HelperOptions;

    pub(super) fn apply(config: &HelperOptions) -> io::Result<()> {
        set(libc::RLIMIT_CORE, 0, 0)?;
        let mapped = mapped_bytes()?;
        let ceiling = mapped.saturating_add(config.memory_bytes);
        set(libc::RLIMIT_AS, ceiling, ceiling)?;
        Ok(())
    }

    /// Lets the next render use `seconds` of CPU from now on (soft limit only: an unprivileged
    /// process may raise its soft limit again, up to the unchanged hard limit).
    pub(super) fn arm_cpu(seconds: u64) -> io::Result<()> {
        let used = cpu_seconds_used()?;
        let mut current = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes into the struct we pass.
        if unsafe { libc::getrlimit(libc::RLIMIT_CPU, &mut current) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let soft = used.saturating_add(seconds.max(1)).saturating_add(1);
        let soft = if current.rlim_max == libc::RLIM_INFINITY {
            soft
        } else {
            soft.min(current.rlim_max)
        };
        set(libc::RLIMIT_CPU, soft, current.rlim_max)
    }

    #[cfg(target_env = "gnu")]
    type Resource = libc::__rlimit_resource_t;
    #[cfg(not(target_env = "gnu"))]
    type Resource = libc::c_int;

    fn set(resource: Resource, soft: u64, hard: u64) -> io::Result<()> {
        let limit = libc::rlimit {
            rlim_cur: soft as libc::rlim_t,
            rlim_max: hard as libc::rlim_t,
        };
        // SAFETY: setrlimit reads the struct we pass.
        if unsafe { libc::setrlimit(resource, &limit) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// User + system CPU seconds this process has used, rounded up.
    fn cpu_seconds_used() -> io::Result<u64> {
        // SAFETY: getrusage writes into the zeroed struct we pass.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let micros = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) as u64 * 1_000_000
            + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) as u64;
        Ok(micros.div_ceil(1_000_000))
    }

    /// `VmSize` of this process: everything mapped (binary, libraries, stack, heap so far).
    fn mapped_bytes() -> io::Result<u64> {
        let status = std::fs::read_to_string("/proc/self/status")?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmSize:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
            .ok_or_else(|| io::Error::other("no VmSize in /proc/self/status"))
    }
}
