//! The deployment template and the binaries agree on configuration.
//!
//! For each Lambda function in `infra/template.yaml` (found by its
//! `Metadata.BuildProperties.Binary`), the keys of `Environment.Variables` must be exactly the
//! variables its binary documents (`REPORT_ENV_VARS`, `WORKER_ENV_VARS`, `REFRESH_ENV_VARS`):
//! a variable added to a binary but not to the template, or left in the template after the
//! binary stopped reading it, fails here instead of in production. Every variable is set
//! explicitly; where the template writes a plain value instead of a parameter, that value must
//! be the binary's own default, so a changed default cannot leave a stale copy behind.
//!
//! The template uses CloudFormation's short tags (`!Ref`, `!Sub`, `!If`, ...). serde_yaml keeps
//! them as `Value::Tagged`, which is all this test needs: it compares keys, and only looks
//! inside values that are plain strings.

use std::collections::BTreeSet;
use std::path::PathBuf;

use logofill_core::config::EnvVar;
use serde_yaml::Value;

fn template_path() -> PathBuf {
    logofill_testkit::workspace_root().join("infra/template.yaml")
}

fn load_template() -> Value {
    let path = template_path();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()))
}

/// One Lambda function of the template.
struct TemplateFunction {
    /// Logical id (`ReportFunction`).
    id: String,
    /// `Metadata.BuildProperties.Binary`, the binary it runs.
    binary: String,
    /// `Environment.Variables` (with any `Globals`), values as written.
    env: Vec<(String, Value)>,
}

fn functions(template: &Value) -> Vec<TemplateFunction> {
    let global_env = env_of(&template["Globals"]["Function"]);
    let resources = template["Resources"]
        .as_mapping()
        .expect("the template has a Resources mapping");
    let mut found = Vec::new();
    for (id, resource) in resources {
        let kind = resource["Type"].as_str().unwrap_or_default();
        if kind != "AWS::Serverless::Function" && kind != "AWS::Lambda::Function" {
            continue;
        }
        let id = id.as_str().unwrap_or_default().to_string();
        let binary = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_else(|| panic!("function {id} has no Metadata.BuildProperties.Binary"))
            .to_string();
        let mut env = global_env.clone();
        env.extend(env_of(&resource["Properties"]));
        found.push(TemplateFunction { id, binary, env });
    }
    found
}

fn env_of(properties: &Value) -> Vec<(String, Value)> {
    match properties["Environment"]["Variables"].as_mapping() {
        Some(vars) => vars
            .iter()
            .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), v.clone()))
            .collect(),
        None => Vec::new(),
    }
}

/// Every way the function's environment differs from the binary's documented list, one line
/// each; empty when they agree.
fn differences(function: &str, env: &[(String, Value)], documented: &[EnvVar]) -> Vec<String> {
    let mut problems = Vec::new();
    let set: BTreeSet<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
    let wanted: BTreeSet<&str> = documented.iter().map(|v| v.name).collect();
    for missing in wanted.difference(&set) {
        problems.push(format!(
            "{function}: {missing} is read by the binary but not set in the template"
        ));
    }
    for extra in set.difference(&wanted) {
        problems.push(format!(
            "{function}: {extra} is set in the template but the binary does not read it"
        ));
    }
    for (name, value) in env {
        let (Some(var), Value::String(literal)) =
            (documented.iter().find(|v| v.name == name), value)
        else {
            continue;
        };
        if let Some(default) = var.default {
            if literal != default {
                problems.push(format!(
                    "{function}: {name} is {literal:?} in the template but the binary's default is {default:?} \
                     (a plain value must be the default; make it a parameter to differ)"
                ));
            }
        }
    }
    problems
}

/// Check one binary against the template, failing with every difference listed.
fn check_binary(binary: &str, documented: &[EnvVar]) -> Vec<(String, Value)> {
    let template = load_template();
    let matching: Vec<_> = functions(&template)
        .into_iter()
        .filter(|f| f.binary == binary)
        .collect();
    assert_eq!(
        matching.len(),
        1,
        "{} should have exactly one function built from the {binary} binary",
        template_path().display()
    );
    let function = matching.into_iter().next().unwrap();
    let problems = differences(&function.id, &function.env, documented);
    assert!(
        problems.is_empty(),
        "{} and the {binary} binary disagree:\n  {}",
        template_path().display(),
        problems.join("\n  ")
    );
    function.env
}

#[test]
fn report_function_sets_exactly_the_report_variables() {
    check_binary("logofill-report", logofill_report::config::REPORT_ENV_VARS);
}

#[test]
fn worker_function_sets_exactly_the_worker_variables() {
    let env = check_binary("logofill-worker", logofill_worker::WORKER_ENV_VARS);
    let loopback = env
        .iter()
        .find(|(k, _)| k == "LOGOFILL_ALLOW_LOOPBACK_SOURCES")
        .map(|(_, v)| v.clone());
    assert_eq!(
        loopback,
        Some(Value::String("0".into())),
        "the deployed worker must never reach loopback sources"
    );
}

#[test]
fn refresh_function_sets_exactly_the_refresh_variables() {
    let env = check_binary(
        "logofill-refresh",
        logofill_worker::refresh_job::REFRESH_ENV_VARS,
    );
    let worker = check_binary("logofill-worker", logofill_worker::WORKER_ENV_VARS);
    for shared in ["LOGOFILL_BUCKET", "LOGOFILL_LOG_LEVEL"] {
        let of = |env: &[(String, Value)]| {
            env.iter()
                .find(|(k, _)| k == shared)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(
            of(&env),
            of(&worker),
            "{shared}: the refresh function reads the index the worker writes, with the same value"
        );
    }
}

#[test]
fn every_function_in_the_template_is_checked() {
    let checked = ["logofill-report", "logofill-worker", "logofill-refresh"];
    for function in functions(&load_template()) {
        assert!(
            checked.contains(&function.binary.as_str()),
            "function {} (binary {}) has no documented variable list checked here",
            function.id,
            function.binary
        );
    }
}

#[test]
fn differences_name_each_variable_and_ignore_intrinsics() {
    let documented = crate::sample_env_vars();
    let template: Value = serde_yaml::from_str(
        "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Metadata:\n      BuildProperties:\n        Binary: b\n    Properties:\n      Environment:\n        Variables:\n          LOGOFILL_A: !Ref Queue\n          LOGOFILL_B: \"60\"\n          LOGOFILL_OLD: !If [IsFifo, \"1\", \"0\"]\n",
    )
    .unwrap();
    let function = functions(&template).remove(0);
    let problems = differences(&function.id, &function.env, &documented);
    assert_eq!(problems.len(), 3, "{problems:#?}");
    assert!(problems[0].contains("LOGOFILL_C is read by the binary but not set"));
    assert!(
        problems[1].contains("LOGOFILL_OLD is set in the template but the binary does not read it")
    );
    assert!(problems[2].contains("LOGOFILL_B is \"60\""));
}
