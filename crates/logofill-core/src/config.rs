//! Reading configuration from the environment: once, typed, failing fast.
//!
//! Each binary declares its variables as a list of [`EnvVar`] (name, default, meaning), which
//! is also what `docs/configuration.md` and the deployment template are checked against, and reads
//! them through an [`Env`] so tests can pass a map instead of mutating the process
//! environment. A bad value stops start-up with an error that names the variable.

use std::collections::HashMap;
use std::str::FromStr;

/// One documented environment variable.
#[derive(Debug, Clone, Copy)]
pub struct EnvVar {
    pub name: &'static str,
    /// `None` for a required variable.
    pub default: Option<&'static str>,
    pub meaning: &'static str,
}

/// A configuration value that is missing or cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{var} is not set; {meaning}")]
    Missing {
        var: &'static str,
        meaning: &'static str,
    },
    #[error("{var}={value:?} is not valid: {reason}")]
    Invalid {
        var: &'static str,
        value: String,
        reason: String,
    },
}

impl ConfigError {
    /// A bad setting stays bad until someone changes it: never retryable.
    pub fn is_retryable(&self) -> bool {
        false
    }
}

/// Where variables come from.
pub trait Env {
    fn get(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl Env for HashMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        HashMap::get(self, name).cloned()
    }
}

impl Env for HashMap<&str, &str> {
    fn get(&self, name: &str) -> Option<String> {
        HashMap::get(self, name).map(|v| v.to_string())
    }
}

impl EnvVar {
    /// The raw value, or the default; an empty value counts as unset.
    pub fn raw(&self, env: &dyn Env) -> Result<String, ConfigError> {
        match env.get(self.name).filter(|v| !v.trim().is_empty()) {
            Some(v) => Ok(v.trim().to_string()),
            None => self
                .default
                .map(str::to_string)
                .ok_or(ConfigError::Missing {
                    var: self.name,
                    meaning: self.meaning,
                }),
        }
    }

    /// Parse the value with `parse`, whose error text becomes the reason.
    pub fn parse_with<T>(
        &self,
        env: &dyn Env,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        let raw = self.raw(env)?;
        parse(&raw).map_err(|reason| ConfigError::Invalid {
            var: self.name,
            value: raw,
            reason,
        })
    }

    /// Parse a number within `min..=max`.
    pub fn number<T>(&self, env: &dyn Env, min: T, max: T) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd + std::fmt::Display + Copy,
    {
        self.parse_with(env, |raw| {
            let n: T = raw
                .parse()
                .map_err(|_| format!("expected a whole number from {min} to {max}"))?;
            if n < min || n > max {
                return Err(format!("expected a whole number from {min} to {max}"));
            }
            Ok(n)
        })
    }

    /// Parse a flag: `1`/`true`/`yes`/`on` or `0`/`false`/`no`/`off`.
    pub fn flag(&self, env: &dyn Env) -> Result<bool, ConfigError> {
        self.parse_with(env, |raw| match raw.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            _ => Err("expected 1/true/yes/on or 0/false/no/off".into()),
        })
    }
}

/// The log levels every binary accepts in `LOGOFILL_LOG_LEVEL`.
pub fn parse_log_level(raw: &str) -> Result<tracing::Level, String> {
    raw.parse::<tracing::Level>()
        .map_err(|_| "expected one of error, warn, info, debug, trace".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const VAR: EnvVar = EnvVar {
        name: "LOGOFILL_TEST",
        default: None,
        meaning: "the test value",
    };

    #[test]
    fn missing_and_invalid_values_name_the_variable() {
        let env: HashMap<&str, &str> = HashMap::new();
        let err = VAR.raw(&env).unwrap_err().to_string();
        assert_eq!(err, "LOGOFILL_TEST is not set; the test value");
        let env: HashMap<&str, &str> = [("LOGOFILL_TEST", "abc")].into();
        let err = VAR.number::<u64>(&env, 1, 10).unwrap_err().to_string();
        assert!(
            err.starts_with("LOGOFILL_TEST=\"abc\" is not valid"),
            "{err}"
        );
        let env: HashMap<&str, &str> = [("LOGOFILL_TEST", "11")].into();
        assert!(VAR.number::<u64>(&env, 1, 10).is_err());
        let env: HashMap<&str, &str> = [("LOGOFILL_TEST", "10")].into();
        assert_eq!(VAR.number::<u64>(&env, 1, 10).unwrap(), 10);
    }

    #[test]
    fn defaults_apply_when_unset_or_empty() {
        let var = EnvVar {
            default: Some("7"),
            ..VAR
        };
        let env: HashMap<&str, &str> = [("LOGOFILL_TEST", "  ")].into();
        assert_eq!(var.number::<u32>(&env, 0, 9).unwrap(), 7);
    }
}
