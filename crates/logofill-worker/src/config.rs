//! The worker's configuration, read once at start-up. `WORKER_ENV_VARS` is the documented
//! list `docs/configuration.md` and the deployment template are checked against.

use std::time::Duration;

use logofill_core::config::{parse_log_level, ConfigError, Env, EnvVar};

use crate::budget::{plan, MemoryPlan, PlanInputs};

pub const BUCKET: EnvVar = EnvVar {
    name: "LOGOFILL_BUCKET",
    default: None,
    meaning: "S3 bucket the logo sets are written to (objects under logos/)",
};
pub const DIRECTORY: EnvVar = EnvVar {
    name: "LOGOFILL_DIRECTORY",
    default: None,
    meaning: "company directory: file:///path/companies.jsonl, s3://bucket/prefix/ or https://host/path/{id}",
};
pub const SIZES: EnvVar = EnvVar {
    name: "LOGOFILL_SIZES",
    default: Some("64,128,256"),
    meaning: "square variant sizes in pixels, comma-separated",
};
pub const CACHE_CONTROL: EnvVar = EnvVar {
    name: "LOGOFILL_CACHE_CONTROL",
    default: Some("public, max-age=86400"),
    meaning: "Cache-Control stored on every logo object",
};
pub const PLACEHOLDER_REFRESH_SECS: EnvVar = EnvVar {
    name: "LOGOFILL_PLACEHOLDER_REFRESH_SECS",
    default: Some("604800"),
    meaning: "age after which a stored placeholder is replaced when the company is reported again",
};
pub const BLOCKED_RETRY_SECS: EnvVar = EnvVar {
    name: "LOGOFILL_BLOCKED_RETRY_SECS",
    default: Some("86400"),
    meaning: "age after which a placeholder stored because the site was blocked (a bot challenge, 401/403/429 everywhere) is replaced when the company is reported again",
};
pub const LOGO_REFRESH_SECS: EnvVar = EnvVar {
    name: "LOGOFILL_LOGO_REFRESH_SECS",
    default: Some("2592000"),
    meaning: "age after which a stored logo is looked at again by the scheduled refresh (a conditional GET of its source; replaced only if the logo changed)",
};
pub const TRIM: EnvVar = EnvVar {
    name: "LOGOFILL_TRIM",
    default: Some("1"),
    meaning: "1 removes flat or transparent margins before fitting, so the mark fills its square; 0 keeps the source canvas as drawn",
};
pub const CONCURRENCY: EnvVar = EnvVar {
    name: "LOGOFILL_CONCURRENCY",
    default: Some("4"),
    meaning: "records of one batch processed at the same time (fetches overlap; images render one at a time)",
};
pub const ALLOW_LOOPBACK_SOURCES: EnvVar = EnvVar {
    name: "LOGOFILL_ALLOW_LOOPBACK_SOURCES",
    default: Some("0"),
    meaning: "1 lets the fetcher reach 127.0.0.0/8 and ::1 (dev and tests only; never other blocked ranges)",
};
pub const FETCH_CONNECT_TIMEOUT_MS: EnvVar = EnvVar {
    name: "LOGOFILL_FETCH_CONNECT_TIMEOUT_MS",
    default: Some("3000"),
    meaning: "connect timeout of every outgoing request, in milliseconds",
};
pub const FETCH_TIMEOUT_MS: EnvVar = EnvVar {
    name: "LOGOFILL_FETCH_TIMEOUT_MS",
    default: Some("10000"),
    meaning: "total time of one fetch (all redirects and the body), in milliseconds",
};
pub const FETCH_MAX_BYTES: EnvVar = EnvVar {
    name: "LOGOFILL_FETCH_MAX_BYTES",
    default: Some("10485760"),
    meaning: "largest response body accepted, counted while streaming",
};
pub const FETCH_MAX_REDIRECTS: EnvVar = EnvVar {
    name: "LOGOFILL_FETCH_MAX_REDIRECTS",
    default: Some("3"),
    meaning: "most redirects followed per fetch, each hop re-checked",
};
pub const MAX_PIXELS: EnvVar = EnvVar {
    name: "LOGOFILL_MAX_PIXELS",
    default: Some("16000000"),
    meaning: "largest decoded image accepted, in pixels (width x height)",
};
pub const RENDER_TIMEOUT_MS: EnvVar = EnvVar {
    name: "LOGOFILL_RENDER_TIMEOUT_MS",
    default: Some("3000"),
    meaning: "wall-clock budget of one render (decode, fit, encode) in its helper process, in milliseconds; a render over it is killed and its source refused",
};
pub const RENDER_MEMORY_MB: EnvVar = EnvVar {
    name: "LOGOFILL_RENDER_MEMORY_MB",
    default: Some("auto"),
    meaning: "address space one render may add in its helper process, in MiB; auto shares AWS_LAMBDA_FUNCTION_MEMORY_SIZE out (160 when not on a Lambda)",
};
pub const CDN_DISTRIBUTION_ID: EnvVar = EnvVar {
    name: "LOGOFILL_CDN_DISTRIBUTION_ID",
    default: Some("none"),
    meaning: "CloudFront distribution in front of the bucket (E2QWRUHAPOMQZL), whose cached copies of a replaced logo set are invalidated; none invalidates nothing",
};
/// Set by Lambda itself (not in the template): the function's memory in MB.
pub const LAMBDA_MEMORY_VAR: &str = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE";
pub const LOG_LEVEL: EnvVar = EnvVar {
    name: "LOGOFILL_LOG_LEVEL",
    default: Some("info"),
    meaning: "log level: error, warn, info, debug or trace",
};

/// Every variable the worker reads (besides the AWS SDK's standard ones).
pub const WORKER_ENV_VARS: &[EnvVar] = &[
    BUCKET,
    DIRECTORY,
    SIZES,
    CACHE_CONTROL,
    PLACEHOLDER_REFRESH_SECS,
    BLOCKED_RETRY_SECS,
    LOGO_REFRESH_SECS,
    TRIM,
    CONCURRENCY,
    ALLOW_LOOPBACK_SOURCES,
    FETCH_CONNECT_TIMEOUT_MS,
    FETCH_TIMEOUT_MS,
    FETCH_MAX_BYTES,
    FETCH_MAX_REDIRECTS,
    MAX_PIXELS,
    RENDER_TIMEOUT_MS,
    RENDER_MEMORY_MB,
    CDN_DISTRIBUTION_ID,
    LOG_LEVEL,
];

/// Where company records come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectorySource {
    /// A JSON Lines file, loaded once.
    File(std::path::PathBuf),
    /// `s3://bucket/prefix/`
    S3(String),
    /// `https://host/path/{id}`
    Http(String),
}

impl DirectorySource {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if let Some(path) = raw.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(
                    "a file:// directory needs an absolute path (file:///data/companies.jsonl)"
                        .into(),
                );
            }
            Ok(DirectorySource::File(path.into()))
        } else if let Some(rest) = raw.strip_prefix("s3://") {
            if rest.is_empty() || rest.starts_with('/') {
                return Err("an s3:// directory needs a bucket (s3://bucket/prefix/)".into());
            }
            Ok(DirectorySource::S3(raw.to_string()))
        } else if raw.starts_with("https://") || raw.starts_with("http://") {
            if !raw.contains("{id}") {
                return Err(
                    "an HTTP directory is a URL template with {id} (https://host/companies/{id})"
                        .into(),
                );
            }
            Ok(DirectorySource::Http(raw.to_string()))
        } else {
            Err("expected file:///path.jsonl, s3://bucket/prefix/ or https://host/path/{id}".into())
        }
    }
}

/// Everything the worker is configured with.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub bucket: String,
    pub directory: DirectorySource,
    pub sizes: Vec<u32>,
    pub cache_control: String,
    pub placeholder_refresh: Duration,
    /// Age after which a `reason=blocked` placeholder is replaced.
    pub blocked_retry: Duration,
    /// Age after which the scheduled refresh looks at a stored logo again.
    pub logo_refresh: Duration,
    /// Trim flat or transparent margins before fitting.
    pub trim: bool,
    pub concurrency: usize,
    pub allow_loopback_sources: bool,
    pub fetch_connect_timeout: Duration,
    pub fetch_timeout: Duration,
    pub fetch_max_bytes: u64,
    pub fetch_max_redirects: u32,
    pub max_pixels: u64,
    pub render_timeout: Duration,
    /// `None` for `auto`.
    pub render_memory_mb: Option<u64>,
    /// How memory is shared out: render slots, render memory, records in flight.
    pub memory: MemoryPlan,
    /// The CloudFront distribution to invalidate replaced logo sets on; `None` for `none`.
    pub cdn_distribution_id: Option<String>,
    pub log_level: tracing::Level,
}

/// Longest CloudFront distribution id accepted (AWS's are about 14 characters).
pub const MAX_DISTRIBUTION_ID_LEN: usize = 32;

/// `none`, or a CloudFront distribution id: upper-case letters and digits, the id itself and
/// not its domain name or ARN (the two usual mistakes).
pub fn parse_distribution_id(raw: &str) -> Result<Option<String>, String> {
    if raw.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    if raw.len() > MAX_DISTRIBUTION_ID_LEN
        || !raw
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return Err(format!(
            "expected none or a CloudFront distribution id (E2QWRUHAPOMQZL: upper-case letters and digits, at most {MAX_DISTRIBUTION_ID_LEN}), not its domain name or ARN"
        ));
    }
    Ok(Some(raw.to_string()))
}

/// Parse `64,128,256`: distinct sizes from 16 to 2048, sorted.
pub fn parse_sizes(raw: &str) -> Result<Vec<u32>, String> {
    let mut sizes = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let size: u32 = part
            .parse()
            .map_err(|_| format!("{part:?} is not a whole number of pixels"))?;
        if !(16..=2048).contains(&size) {
            return Err(format!("size {size} is outside 16..=2048"));
        }
        if !sizes.contains(&size) {
            sizes.push(size);
        }
    }
    if sizes.is_empty() {
        return Err("at least one size is needed".into());
    }
    if sizes.len() > 8 {
        return Err("at most 8 sizes".into());
    }
    sizes.sort_unstable();
    Ok(sizes)
}

impl WorkerSettings {
    /// Settings with every default, for `bucket` and `directory` (dev runner, CLI, tests).
    pub fn with_defaults(bucket: &str, directory: DirectorySource) -> Self {
        let env: std::collections::HashMap<&str, &str> = [
            ("LOGOFILL_BUCKET", bucket),
            ("LOGOFILL_DIRECTORY", "file:///unused"),
        ]
        .into();
        let mut settings = Self::from_env(&env).expect("defaults are valid");
        settings.directory = directory;
        settings
    }

    pub fn from_env(env: &dyn Env) -> Result<Self, ConfigError> {
        let bucket = BUCKET.parse_with(env, |raw| {
            if raw.contains('/') || raw.starts_with("s3:") || raw.len() > 63 {
                Err("expected a bucket name (my-logos), not a URI or ARN".into())
            } else {
                Ok(raw.to_string())
            }
        })?;
        let cache_control = CACHE_CONTROL.parse_with(env, |raw| {
            if raw.chars().all(|c| c.is_ascii() && !c.is_ascii_control()) {
                Ok(raw.to_string())
            } else {
                Err("Cache-Control must be printable ASCII".into())
            }
        })?;
        let concurrency = CONCURRENCY.number(env, 1usize, 64)?;
        let fetch_max_bytes = FETCH_MAX_BYTES.number(env, 1024u64, 64 * 1024 * 1024)?;
        let render_memory_mb = RENDER_MEMORY_MB.parse_with(env, |raw| {
            if raw.eq_ignore_ascii_case("auto") {
                return Ok(None);
            }
            match raw.parse::<u64>() {
                Ok(mb) if (16..=8192).contains(&mb) => Ok(Some(mb)),
                _ => Err("expected auto or a whole number of MiB from 16 to 8192".into()),
            }
        })?;
        let lambda_mb = match env.get(LAMBDA_MEMORY_VAR) {
            None => None,
            Some(raw) => Some(
                raw.trim()
                    .parse::<u64>()
                    .map_err(|_| ConfigError::Invalid {
                        var: LAMBDA_MEMORY_VAR,
                        value: raw.clone(),
                        reason: "expected the function's memory in MB".into(),
                    })?,
            ),
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let memory = plan(PlanInputs {
            lambda_mb,
            render_memory_mb,
            fetch_max_bytes,
            concurrency,
            cores,
        })
        .map_err(|reason| ConfigError::Invalid {
            var: LAMBDA_MEMORY_VAR,
            value: lambda_mb.map(|m| m.to_string()).unwrap_or_default(),
            reason,
        })?;
        Ok(WorkerSettings {
            bucket,
            directory: DIRECTORY.parse_with(env, DirectorySource::parse)?,
            sizes: SIZES.parse_with(env, parse_sizes)?,
            cache_control,
            placeholder_refresh: Duration::from_secs(
                PLACEHOLDER_REFRESH_SECS.number(env, 0u64, 31_536_000)?,
            ),
            blocked_retry: Duration::from_secs(BLOCKED_RETRY_SECS.number(env, 0u64, 31_536_000)?),
            logo_refresh: Duration::from_secs(
                LOGO_REFRESH_SECS.number(env, 86_400u64, 31_536_000)?,
            ),
            trim: TRIM.flag(env)?,
            concurrency,
            allow_loopback_sources: ALLOW_LOOPBACK_SOURCES.flag(env)?,
            fetch_connect_timeout: Duration::from_millis(
                FETCH_CONNECT_TIMEOUT_MS.number(env, 100u64, 60_000)?,
            ),
            fetch_timeout: Duration::from_millis(FETCH_TIMEOUT_MS.number(env, 100u64, 300_000)?),
            fetch_max_bytes,
            fetch_max_redirects: FETCH_MAX_REDIRECTS.number(env, 0u32, 10)?,
            max_pixels: MAX_PIXELS.number(env, 1u64, 64_000_000)?,
            render_timeout: Duration::from_millis(RENDER_TIMEOUT_MS.number(env, 100u64, 60_000)?),
            render_memory_mb,
            memory,
            cdn_distribution_id: CDN_DISTRIBUTION_ID.parse_with(env, parse_distribution_id)?,
            log_level: LOG_LEVEL.parse_with(env, parse_log_level)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&'static str, &'static str)]) -> HashMap<&'static str, &'static str> {
        pairs.iter().copied().collect()
    }

    const BASE: [(&str, &str); 2] = [
        ("LOGOFILL_BUCKET", "logos"),
        ("LOGOFILL_DIRECTORY", "s3://records/companies/"),
    ];

    #[test]
    fn defaults() {
        let s = WorkerSettings::from_env(&env(&BASE)).unwrap();
        assert_eq!(s.sizes, [64, 128, 256]);
        assert_eq!(s.cache_control, "public, max-age=86400");
        assert_eq!(s.concurrency, 4);
        assert!(!s.allow_loopback_sources);
        assert_eq!(s.fetch_timeout, Duration::from_secs(10));
        assert_eq!(s.fetch_max_bytes, 10 * 1024 * 1024);
        assert!(s.trim, "margins are trimmed by default");
        assert_eq!(s.blocked_retry, Duration::from_secs(86_400));
        assert_eq!(s.logo_refresh, Duration::from_secs(30 * 86_400));
        assert_eq!(
            s.directory,
            DirectorySource::S3("s3://records/companies/".into())
        );
        assert_eq!(
            s.cdn_distribution_id, None,
            "no CDN invalidation by default"
        );
    }

    #[test]
    fn a_distribution_id_is_read_and_checked() {
        let mut e = env(&BASE);
        e.insert("LOGOFILL_CDN_DISTRIBUTION_ID", "E2QWRUHAPOMQZL");
        let s = WorkerSettings::from_env(&e).unwrap();
        assert_eq!(s.cdn_distribution_id.as_deref(), Some("E2QWRUHAPOMQZL"));
        e.insert("LOGOFILL_CDN_DISTRIBUTION_ID", "None");
        assert_eq!(
            WorkerSettings::from_env(&e).unwrap().cdn_distribution_id,
            None
        );
        let longest = "E".repeat(MAX_DISTRIBUTION_ID_LEN);
        assert!(parse_distribution_id(&longest).is_ok());
        assert!(parse_distribution_id(&format!("{longest}E")).is_err());
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (var, value) in [
            ("LOGOFILL_BUCKET", "s3://logos"),
            ("LOGOFILL_DIRECTORY", "companies.jsonl"),
            ("LOGOFILL_DIRECTORY", "https://api.example.com/companies"),
            ("LOGOFILL_SIZES", "64,abc"),
            ("LOGOFILL_SIZES", "8"),
            ("LOGOFILL_CONCURRENCY", "0"),
            ("LOGOFILL_ALLOW_LOOPBACK_SOURCES", "maybe"),
            ("LOGOFILL_FETCH_MAX_BYTES", "12"),
            ("LOGOFILL_LOG_LEVEL", "chatty"),
            ("LOGOFILL_RENDER_TIMEOUT_MS", "5"),
            ("LOGOFILL_RENDER_MEMORY_MB", "lots"),
            ("LOGOFILL_TRIM", "sometimes"),
            ("LOGOFILL_BLOCKED_RETRY_SECS", "-1"),
            (
                "LOGOFILL_CDN_DISTRIBUTION_ID",
                "d111111abcdef8.cloudfront.net",
            ),
            (
                "LOGOFILL_CDN_DISTRIBUTION_ID",
                "arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL",
            ),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "big"),
        ] {
            let mut e = env(&BASE);
            e.insert(var, value);
            let err = WorkerSettings::from_env(&e).unwrap_err().to_string();
            assert!(err.starts_with(var), "{var}={value}: {err}");
        }
    }

    #[test]
    fn a_lambda_too_small_for_the_configuration_stops_start_up() {
        let mut e = env(&BASE);
        e.insert("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128");
        e.insert("LOGOFILL_RENDER_MEMORY_MB", "120");
        let err = WorkerSettings::from_env(&e).unwrap_err().to_string();
        assert!(
            err.starts_with("AWS_LAMBDA_FUNCTION_MEMORY_SIZE=\"128\" is not valid"),
            "{err}"
        );
        assert!(err.contains("LOGOFILL_RENDER_MEMORY_MB"), "{err}");
        e.remove("LOGOFILL_RENDER_MEMORY_MB");
        let s = WorkerSettings::from_env(&e).unwrap();
        assert_eq!(s.memory.records_in_flight, 1);
        assert_eq!(s.render_timeout, Duration::from_millis(3000));
        assert_eq!(s.render_memory_mb, None);
    }

    #[test]
    fn sizes_are_sorted_and_deduplicated() {
        assert_eq!(parse_sizes("256, 64,128,64").unwrap(), [64, 128, 256]);
    }
}
