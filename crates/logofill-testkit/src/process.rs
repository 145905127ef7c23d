//! Memory and CPU of a running child process (a Lambda binary, a render helper), read from
//! `/proc` (Linux), for benches that report what a process cost.

use std::time::Duration;

/// Peak resident memory (VmHWM) in bytes and CPU time (user + system) of process `pid`.
pub fn usage(pid: u32) -> Option<(u64, Duration)> {
    let hwm = status_bytes(pid, "VmHWM:")?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_comm = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    let hz = 100; // USER_HZ on Linux
    Some((hwm, Duration::from_millis(ticks * 1000 / hz)))
}

/// Resident memory (VmRSS) of process `pid` now, in bytes.
pub fn resident(pid: u32) -> Option<u64> {
    status_bytes(pid, "VmRSS:")
}

/// A `kB` line of `/proc/<pid>/status`, in bytes.
fn status_bytes(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: u64 = status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb * 1024)
}
