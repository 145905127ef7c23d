//! `export` and `import`: the dead-letter queue as a JSON Lines file, and back.
//!
//! One line per message, everything needed to send it again byte for byte: body, message
//! attributes (binary ones in base64), the system attributes, ids and times. With `--delete`,
//! a batch is removed from the DLQ only after its lines are written, flushed and `fsync`ed,
//! and the file itself is created new (never overwritten) with its directory synced, so after
//! a crash every message is in the file, the DLQ, or both.
//!
//! `import` reads and checks the whole file before it sends anything, within a size limit per
//! file and per line, and with the worker's own body parser. On a FIFO target each
//! message gets the dedup id `move` would give it (the run id from the message's original
//! DLQ and the target), so exporting then importing a message that a `move` already sent
//! within five minutes does not duplicate it.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use logofill_core::company::shown;
use logofill_core::units::{Bytes, ExactBytes};
use logofill_core::QueueMessage;
use serde::{Deserialize, Serialize};

use crate::error::ReplayError;
use crate::holds::{handles, release, Holds};
use crate::message::{dedup_id, default_run_id, validate_run_id, BodyInfo};
use crate::mover::{fifo_group, StopReason};
use crate::pace::Pacer;
use logofill_core::queue::{AttributeValue, ReceivedMessage};
use logofill_core::queue::{OutgoingMessage, QueueService, MAX_BATCH_ENTRIES};

/// Version of the archive line format.
pub const ARCHIVE_VERSION: u32 = 1;

/// One line of an archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivedMessage {
    pub v: u32,
    pub message_id: String,
    /// The dead-letter queue the message was exported from.
    pub source_queue: String,
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub md5_of_body: Option<String>,
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    #[serde(default)]
    pub message_attributes: BTreeMap<String, AttributeValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_received_at: Option<String>,
    pub exported_at: String,
}

impl ArchivedMessage {
    pub fn of(m: &ReceivedMessage, source_queue: &str) -> Self {
        let rfc = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
        ArchivedMessage {
            v: ARCHIVE_VERSION,
            message_id: m.message_id.clone(),
            source_queue: source_queue.to_owned(),
            body: m.body.clone(),
            md5_of_body: m.md5_of_body.clone(),
            attributes: m.attributes.clone(),
            message_attributes: m.message_attributes.clone(),
            sent_at: m.sent_at().map(rfc),
            first_received_at: m.first_received_at().map(rfc),
            exported_at: rfc(Utc::now()),
        }
    }

    /// As a received message (no receipt handle), for the helpers shared with `move`.
    fn as_message(&self) -> ReceivedMessage {
        ReceivedMessage {
            message_id: self.message_id.clone(),
            receipt_handle: String::new(),
            body: self.body.clone(),
            md5_of_body: self.md5_of_body.clone(),
            attributes: self.attributes.clone(),
            message_attributes: self.message_attributes.clone(),
        }
    }
}

fn io_error(path: &Path, source: std::io::Error) -> ReplayError {
    ReplayError::Io {
        path: path.display().to_string(),
        source,
    }
}

#[derive(Debug, Clone)]
pub struct ExportOptions {
    pub dlq: String,
    pub out: PathBuf,
    pub delete: bool,
    pub max: Option<u64>,
    pub wait: Duration,
    pub visibility: Duration,
}

#[derive(Debug, Serialize)]
pub struct ExportSummary {
    pub dlq: String,
    pub file: String,
    pub exported: u64,
    pub deleted: u64,
    /// Written to the file but still in the DLQ (delete refused or lost).
    pub not_deleted: u64,
    pub stopped: Option<StopReason>,
    pub unreleased: u64,
    pub error: Option<String>,
}

/// Create the archive: new file only, and its directory entry made durable.
fn create_archive(path: &Path) -> Result<File, ReplayError> {
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                ReplayError::usage(format!(
                    "{} already exists; an archive is never overwritten, choose a new file name",
                    path.display()
                ))
            } else {
                io_error(path, e)
            }
        })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all(); // not supported everywhere; the file's own fsync still holds
    }
    Ok(file)
}

pub async fn export<Q: QueueService>(
    queue: &Q,
    opts: &ExportOptions,
    stop: &AtomicBool,
    progress: &mut dyn FnMut(&ExportSummary),
) -> Result<ExportSummary, ReplayError> {
    queue.queue_info(&opts.dlq).await?;
    let file = create_archive(&opts.out)?;
    let mut writer = BufWriter::new(file);
    let mut report = ExportSummary {
        dlq: opts.dlq.clone(),
        file: opts.out.display().to_string(),
        exported: 0,
        deleted: 0,
        not_deleted: 0,
        stopped: None,
        unreleased: 0,
        error: None,
    };
    let mut holds = Holds::new(&opts.dlq, opts.visibility);
    let mut seen = std::collections::HashSet::new();
    loop {
        if stop.load(Ordering::SeqCst) {
            report.stopped = Some(StopReason::Interrupted);
            break;
        }
        let remaining = opts.max.map(|m| m.saturating_sub(report.exported));
        if remaining == Some(0) {
            report.stopped = Some(StopReason::MaxReached);
            break;
        }
        if let Err(e) = holds.keep_alive(queue).await {
            report.error = Some(e.to_string());
            report.stopped = Some(StopReason::Error);
            break;
        }
        let want = remaining.map_or(MAX_BATCH_ENTRIES, |r| {
            r.min(MAX_BATCH_ENTRIES as u64) as usize
        });
        let received = match queue
            .receive(&opts.dlq, want, opts.wait, opts.visibility)
            .await
        {
            Ok(r) => r,
            Err(e) => {
                report.error = Some(e.to_string());
                report.stopped = Some(StopReason::Error);
                break;
            }
        };
        if received.is_empty() {
            report.stopped = Some(StopReason::Drained);
            break;
        }
        let (fresh, repeats): (Vec<_>, Vec<_>) = received
            .into_iter()
            .partition(|m| !seen.contains(&m.message_id));
        for m in repeats {
            holds.hold(m);
        }
        if fresh.is_empty() {
            report.stopped = Some(StopReason::OnlySeenLeft);
            break;
        }
        let written = (|| -> std::io::Result<()> {
            for m in &fresh {
                serde_json::to_writer(&mut writer, &ArchivedMessage::of(m, &opts.dlq))?;
                writer.write_all(b"\n")?;
            }
            writer.flush()?;
            writer.get_ref().sync_data()
        })();
        if let Err(e) = written {
            // Not known to be on disk: these stay in the DLQ.
            let _ = release(queue, &opts.dlq, &fresh).await;
            report.error = Some(io_error(&opts.out, e).to_string());
            report.stopped = Some(StopReason::Error);
            break;
        }
        report.exported += fresh.len() as u64;
        for m in &fresh {
            seen.insert(m.message_id.clone());
        }
        if opts.delete {
            match queue.delete_batch(&opts.dlq, &handles(&fresh)).await {
                Ok(refused) => {
                    report.deleted += (fresh.len() - refused.len()) as u64;
                    report.not_deleted += refused.len() as u64;
                }
                Err(e) => {
                    report.not_deleted += fresh.len() as u64;
                    report.error = Some(e.to_string());
                    report.stopped = Some(StopReason::Error);
                    progress(&report);
                    break;
                }
            }
        } else {
            for m in fresh {
                holds.hold(m);
            }
        }
        progress(&report);
    }
    let released = holds.release_all(queue).await;
    report.unreleased = released.pending as u64;
    if let (Some(e), None) = (released.error, &report.error) {
        report.error = Some(e.to_string());
    }
    Ok(report)
}

/// Largest archive `import` reads. The whole file is checked (and held) before anything is
/// sent, so its size is the tool's memory: 256 MiB is about a million typical DLQ lines.
pub const MAX_ARCHIVE_BYTES: u64 = 256 * 1024 * 1024;

/// Longest line of an archive, without its newline: twice SQS's largest message (1 MiB),
/// room for the JSON escaping of the body and its message attributes.
pub const MAX_ARCHIVE_LINE_BYTES: usize = 2 * 1024 * 1024;

/// One message of an archive, with the line of the file it was read from (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveLine {
    pub line: usize,
    pub message: ArchivedMessage,
}

/// Read and check a whole archive: its size, each line's length, the line format, and each
/// body with the worker's own parser, so `import` never sends what the worker would only
/// dead-letter again. The error names the file, the line and the limit, and nothing is sent.
pub fn read_archive(path: &Path) -> Result<Vec<ArchiveLine>, ReplayError> {
    let file = File::open(path).map_err(|e| io_error(path, e))?;
    let size = file.metadata().map_err(|e| io_error(path, e))?.len();
    if size > MAX_ARCHIVE_BYTES {
        return Err(ReplayError::usage(format!(
            "{} is {}, over the {} archive limit; split it (`split -l`) and import the parts; nothing was sent",
            path.display(),
            ExactBytes(size),
            Bytes(MAX_ARCHIVE_BYTES)
        )));
    }
    // The size was checked above, but the file may grow (or be a pipe): never read past it.
    let mut reader = BufReader::new(file).take(MAX_ARCHIVE_BYTES + 1);
    let refuse = |line: usize, what: String| {
        ReplayError::usage(format!(
            "{} line {line}: {what}; nothing was sent",
            path.display()
        ))
    };
    let mut out = Vec::new();
    let mut read: u64 = 0;
    let mut buf = Vec::new();
    for line in 1.. {
        buf.clear();
        let n = (&mut reader)
            .take(MAX_ARCHIVE_LINE_BYTES as u64 + 2)
            .read_until(b'\n', &mut buf)
            .map_err(|e| io_error(path, e))?;
        if n == 0 {
            break;
        }
        read += n as u64;
        if read > MAX_ARCHIVE_BYTES {
            return Err(refuse(
                line,
                format!(
                    "the file grew over the {} archive limit",
                    Bytes(MAX_ARCHIVE_BYTES)
                ),
            ));
        }
        let ended = buf.last() == Some(&b'\n');
        if ended {
            buf.pop();
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
        }
        if buf.len() > MAX_ARCHIVE_LINE_BYTES {
            return Err(refuse(
                line,
                format!(
                    "the line is longer than the {} line limit",
                    ExactBytes(MAX_ARCHIVE_LINE_BYTES as u64)
                ),
            ));
        }
        let text =
            std::str::from_utf8(&buf).map_err(|e| refuse(line, format!("not UTF-8 text ({e})")))?;
        if text.trim().is_empty() {
            continue;
        }
        let m: ArchivedMessage = serde_json::from_str(text)
            .map_err(|e| refuse(line, format!("not an archived message ({e})")))?;
        if m.v != ARCHIVE_VERSION {
            return Err(refuse(
                line,
                format!(
                    "archive version {} is not supported (this build reads {ARCHIVE_VERSION})",
                    m.v
                ),
            ));
        }
        QueueMessage::from_body(&m.body).map_err(|e| {
            refuse(
                line,
                format!(
                    "message {} has a body the worker cannot read ({e}); remove the line or fix the body",
                    shown(&m.message_id)
                ),
            )
        })?;
        out.push(ArchiveLine { line, message: m });
    }
    Ok(out)
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub file: PathBuf,
    pub to: String,
    pub rate: Option<f64>,
    pub run_id: Option<String>,
    pub dry_run: bool,
}

#[derive(Debug, Serialize)]
pub struct ImportFailure {
    pub line: usize,
    pub message_id: String,
    pub code: String,
    pub detail: String,
}

#[derive(Debug, Serialize)]
pub struct ImportSummary {
    pub file: String,
    pub target: String,
    pub target_fifo: bool,
    pub dry_run: bool,
    pub messages: u64,
    pub sent: u64,
    pub failed: u64,
    /// Not attempted because the run stopped first.
    pub not_sent: u64,
    pub failures: Vec<ImportFailure>,
    pub by_company: BTreeMap<String, u64>,
    pub stopped: Option<StopReason>,
    pub error: Option<String>,
}

pub async fn import<Q: QueueService>(
    queue: &Q,
    opts: &ImportOptions,
    stop: &AtomicBool,
    progress: &mut dyn FnMut(&ImportSummary),
) -> Result<ImportSummary, ReplayError> {
    if let Some(run_id) = &opts.run_id {
        validate_run_id(run_id).map_err(ReplayError::Usage)?;
    }
    let messages = read_archive(&opts.file)?;
    let target = queue.queue_info(&opts.to).await?;
    let mut report = ImportSummary {
        file: opts.file.display().to_string(),
        target: opts.to.clone(),
        target_fifo: target.fifo,
        dry_run: opts.dry_run,
        messages: messages.len() as u64,
        sent: 0,
        failed: 0,
        not_sent: 0,
        failures: Vec::new(),
        by_company: BTreeMap::new(),
        stopped: None,
        error: None,
    };
    for entry in &messages {
        *report
            .by_company
            .entry(BodyInfo::of(&entry.message.body).company_key().to_owned())
            .or_default() += 1;
    }
    if opts.dry_run {
        report.not_sent = report.messages;
        return Ok(report);
    }
    let mut pacer = Pacer::new(opts.rate);
    let step = pacer.batch_size(MAX_BATCH_ENTRIES);
    let mut next = 0;
    while next < messages.len() {
        if stop.load(Ordering::SeqCst) {
            report.stopped = Some(StopReason::Interrupted);
            break;
        }
        let chunk = &messages[next..(next + step).min(messages.len())];
        let entries: Vec<OutgoingMessage> = chunk
            .iter()
            .enumerate()
            .map(|(i, entry)| {
                let a = &entry.message;
                let m = a.as_message();
                let run_id = opts
                    .run_id
                    .clone()
                    .unwrap_or_else(|| default_run_id(&a.source_queue, &opts.to));
                OutgoingMessage {
                    entry_id: i.to_string(),
                    body: a.body.clone(),
                    attributes: a.message_attributes.clone(),
                    group_id: target.fifo.then(|| fifo_group(&m, &BodyInfo::of(&a.body))),
                    dedup_id: target.fifo.then(|| dedup_id(&run_id, &a.message_id)),
                }
            })
            .collect();
        pacer.admit(entries.len()).await;
        match queue.send_batch(&opts.to, &entries).await {
            Ok(refused) => {
                for (i, entry) in chunk.iter().enumerate() {
                    match refused.iter().find(|f| f.entry_id == i.to_string()) {
                        Some(f) => {
                            report.failed += 1;
                            report.failures.push(ImportFailure {
                                // The file's line, blank lines counted, as an editor shows it.
                                line: entry.line,
                                message_id: entry.message.message_id.clone(),
                                code: f.code.clone(),
                                detail: f.message.clone(),
                            });
                        }
                        None => report.sent += 1,
                    }
                }
            }
            Err(e) => {
                report.error = Some(e.to_string());
                report.stopped = Some(StopReason::Error);
                break;
            }
        }
        next += chunk.len();
        progress(&report);
    }
    if report.stopped.is_none() {
        report.stopped = Some(StopReason::Drained);
    }
    report.not_sent = report.messages - report.sent - report.failed;
    Ok(report)
}
