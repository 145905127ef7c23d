//! The report Lambda's configuration, read once at start-up.

use std::num::NonZeroUsize;
use std::time::Duration;

use logofill_core::config::{parse_log_level, ConfigError, Env, EnvVar};
use logofill_core::report::{AllowedOrigins, ReportOptions};

pub const QUEUE_URL: EnvVar = EnvVar {
    name: "LOGOFILL_QUEUE_URL",
    default: None,
    meaning: "URL of the SQS queue reports go to (a URL ending in .fifo selects FIFO mode)",
};
pub const ALLOWED_ORIGINS: EnvVar = EnvVar {
    name: "LOGOFILL_ALLOWED_ORIGINS",
    default: None,
    meaning: "page origins allowed to report from a browser, comma-separated (https://jobs.example.com), or * for any",
};
pub const DEDUP_TTL_SECS: EnvVar = EnvVar {
    name: "LOGOFILL_DEDUP_TTL_SECS",
    default: Some("600"),
    meaning: "seconds an instance remembers an enqueued company id and drops repeats",
};
pub const DEDUP_CAPACITY: EnvVar = EnvVar {
    name: "LOGOFILL_DEDUP_CAPACITY",
    default: Some("100000"),
    meaning: "most company ids an instance remembers (least recently seen go first)",
};
pub const RETRY_AFTER_SECS: EnvVar = EnvVar {
    name: "LOGOFILL_RETRY_AFTER_SECS",
    default: Some("30"),
    meaning: "Retry-After seconds sent with a 503 when the queue cannot take messages",
};
pub const LOG_LEVEL: EnvVar = EnvVar {
    name: "LOGOFILL_LOG_LEVEL",
    default: Some("info"),
    meaning: "log level: error, warn, info, debug or trace",
};

/// Every variable the report Lambda reads (besides the AWS SDK's standard ones).
pub const REPORT_ENV_VARS: &[EnvVar] = &[
    QUEUE_URL,
    ALLOWED_ORIGINS,
    DEDUP_TTL_SECS,
    DEDUP_CAPACITY,
    RETRY_AFTER_SECS,
    LOG_LEVEL,
];

#[derive(Debug, Clone)]
pub struct ReportSettings {
    pub queue_url: String,
    pub report: ReportOptions,
    pub log_level: tracing::Level,
}

impl ReportSettings {
    pub fn from_env(env: &dyn Env) -> Result<Self, ConfigError> {
        let queue_url = QUEUE_URL.parse_with(env, |raw| {
            if raw.starts_with("https://") || raw.starts_with("http://") {
                Ok(raw.to_string())
            } else {
                Err("expected the queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME), not a name or ARN".into())
            }
        })?;
        let allowed_origins = ALLOWED_ORIGINS.parse_with(env, AllowedOrigins::parse)?;
        let mut report = ReportOptions::new(allowed_origins);
        report.dedup_ttl = Duration::from_secs(DEDUP_TTL_SECS.number(env, 0u64, 86_400)?);
        report.dedup_capacity =
            NonZeroUsize::new(DEDUP_CAPACITY.number(env, 1usize, 10_000_000)?).expect("at least 1");
        report.retry_after_secs = RETRY_AFTER_SECS.number(env, 1u32, 3600)?;
        let log_level = LOG_LEVEL.parse_with(env, parse_log_level)?;
        Ok(ReportSettings {
            queue_url,
            report,
            log_level,
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

    #[test]
    fn reads_a_complete_config_with_defaults() {
        let s = ReportSettings::from_env(&env(&[
            ("LOGOFILL_QUEUE_URL", "http://127.0.0.1:5000/123/q"),
            ("LOGOFILL_ALLOWED_ORIGINS", "https://jobs.example.com"),
        ]))
        .unwrap();
        assert_eq!(s.report.dedup_ttl, Duration::from_secs(600));
        assert_eq!(s.report.dedup_capacity.get(), 100_000);
        assert_eq!(s.log_level, tracing::Level::INFO);
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        let base = [
            ("LOGOFILL_QUEUE_URL", "http://127.0.0.1:5000/123/q"),
            ("LOGOFILL_ALLOWED_ORIGINS", "*"),
        ];
        for (var, value) in [
            ("LOGOFILL_QUEUE_URL", "my-queue"),
            ("LOGOFILL_ALLOWED_ORIGINS", "jobs.example.com"),
            ("LOGOFILL_DEDUP_TTL_SECS", "-1"),
            ("LOGOFILL_DEDUP_CAPACITY", "0"),
            ("LOGOFILL_RETRY_AFTER_SECS", "soon"),
            ("LOGOFILL_LOG_LEVEL", "loud"),
        ] {
            let mut e = env(&base);
            e.insert(var, value);
            let err = ReportSettings::from_env(&e).unwrap_err().to_string();
            assert!(err.starts_with(var), "{var}: {err}");
        }
        let err = ReportSettings::from_env(&env(&[("LOGOFILL_ALLOWED_ORIGINS", "*")])).unwrap_err();
        assert!(
            err.to_string().starts_with("LOGOFILL_QUEUE_URL is not set"),
            "{err}"
        );
    }
}
