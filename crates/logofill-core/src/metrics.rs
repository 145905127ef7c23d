//! CloudWatch embedded metric format (EMF): one JSON line per invocation.
//!
//! Lambda ships stdout to CloudWatch Logs, and CloudWatch turns lines in this format into
//! metrics with no API call and no extra latency, so counting outcomes costs nothing at
//! request time.

use serde_json::{json, Map, Value};

/// The CloudWatch namespace every logofill metric lives in.
pub const METRICS_NAMESPACE: &str = "logofill";

/// Unit of one metric value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
        }
    }
}

/// Build one EMF line. `function` becomes the single dimension, so every function's numbers
/// can be graphed apart.
pub fn emf_line(function: &str, timestamp_ms: i64, values: &[(&str, f64, Unit)]) -> String {
    let definitions: Vec<Value> = values
        .iter()
        .map(|(name, _, unit)| json!({"Name": name, "Unit": unit.as_str()}))
        .collect();
    let mut root = Map::new();
    root.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": METRICS_NAMESPACE,
                "Dimensions": [["function"]],
                "Metrics": definitions,
            }]
        }),
    );
    root.insert("function".into(), Value::from(function));
    for (name, value, _) in values {
        root.insert((*name).into(), json!(value));
    }
    Value::Object(root).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_has_definitions_and_values() {
        let line = emf_line(
            "report",
            1_700_000_000_000,
            &[("enqueued", 3.0, Unit::Count)],
        );
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["_aws"]["CloudWatchMetrics"][0]["Namespace"], "logofill");
        assert_eq!(
            v["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"],
            "enqueued"
        );
        assert_eq!(v["enqueued"], 3.0);
        assert_eq!(v["function"], "report");
    }
}
