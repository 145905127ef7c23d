//! The configuration reference and the binaries agree.
//!
//! `docs/configuration.md` has one table per Lambda binary, under the headings "Report
//! Lambda", "Worker Lambda" and "Refresh Lambda". Each table must list exactly the variables
//! its binary documents (`REPORT_ENV_VARS`, `WORKER_ENV_VARS`, `REFRESH_ENV_VARS`), each once,
//! with the binary's own default (`required` for a variable without one), and the page may
//! name no other `LOGOFILL_*` variable anywhere: a variable added to a binary but not to the
//! page, left on the page after the binary stopped reading it, or a default changed in one
//! place only, fails here. The same lists are what `infra_env.rs` holds the deployment
//! template to.
//!
//! Only the first two cells of a row are read (the name in backticks, the default in backticks
//! or `required`); the meaning is prose and free.

use std::collections::BTreeSet;
use std::path::PathBuf;

use logofill_core::config::EnvVar;

fn doc_path() -> PathBuf {
    logofill_testkit::workspace_root().join("docs/configuration.md")
}

fn load_doc() -> String {
    let path = doc_path();
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// One table row: the variable and its documented default (`None` for `required`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    name: String,
    default: Option<String>,
    line: usize,
}

/// The table rows of the `## ` section whose heading starts with `heading`; `Err` when there is
/// no such section or a row's cells cannot be read.
fn section_rows(doc: &str, heading: &str) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    let mut inside = false;
    let mut found = false;
    for (i, line) in doc.lines().enumerate() {
        if let Some(title) = line.strip_prefix("## ") {
            inside = title.starts_with(heading);
            found |= inside;
            continue;
        }
        if !inside || !line.starts_with('|') {
            continue;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // "| a | b | c |" splits into ["", "a", "b", "c", ""].
        let (Some(name), Some(default)) = (cells.get(1), cells.get(2)) else {
            continue;
        };
        if *name == "variable" || name.starts_with("---") {
            continue; // the header and the separator
        }
        let line = i + 1;
        let name = backticked(name)
            .ok_or_else(|| format!("line {line}: the variable {name:?} is not in backticks"))?;
        let default = match *default {
            "required" => None,
            other => Some(backticked(other).ok_or_else(|| {
                format!("line {line}: the default of {name} is {other:?}, not `value` or required")
            })?),
        };
        rows.push(Row {
            name,
            default,
            line,
        });
    }
    if found {
        Ok(rows)
    } else {
        Err(format!("no section \"## {heading}...\""))
    }
}

fn backticked(cell: &str) -> Option<String> {
    let inner = cell.strip_prefix('`')?.strip_suffix('`')?;
    (!inner.is_empty() && !inner.contains('`')).then(|| inner.to_string())
}

/// Every `LOGOFILL_*` name on the page, wherever it appears.
fn named_variables(doc: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = doc;
    while let Some(at) = rest.find("LOGOFILL_") {
        let tail = &rest[at..];
        let len = tail
            .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(tail.len());
        let name = tail[..len].trim_end_matches('_');
        if name.len() > "LOGOFILL_".len() {
            names.insert(name.to_string());
        }
        rest = &tail[len.max(1)..];
    }
    names
}

/// Every way a section's table differs from the binary's documented list, one line each;
/// empty when they agree.
fn differences(section: &str, rows: &[Row], documented: &[EnvVar]) -> Vec<String> {
    let mut problems = Vec::new();
    let listed: BTreeSet<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    let wanted: BTreeSet<&str> = documented.iter().map(|v| v.name).collect();
    for missing in wanted.difference(&listed) {
        problems.push(format!(
            "{section}: {missing} is read by the binary but has no row"
        ));
    }
    for extra in listed.difference(&wanted) {
        problems.push(format!(
            "{section}: {extra} has a row but the binary does not read it"
        ));
    }
    for (i, row) in rows.iter().enumerate() {
        if rows[..i].iter().any(|r| r.name == row.name) {
            problems.push(format!(
                "{section}: {} has a second row (line {})",
                row.name, row.line
            ));
            continue;
        }
        let Some(var) = documented.iter().find(|v| v.name == row.name) else {
            continue;
        };
        if row.default.as_deref() != var.default {
            problems.push(format!(
                "{section}: {} is documented with default {} (line {}) but the binary's is {}",
                row.name,
                shown(row.default.as_deref()),
                row.line,
                shown(var.default)
            ));
        }
    }
    problems
}

fn shown(default: Option<&str>) -> String {
    match default {
        Some(value) => format!("`{value}`"),
        None => "required".into(),
    }
}

fn check_section(heading: &str, documented: &[EnvVar]) {
    let doc = load_doc();
    let rows =
        section_rows(&doc, heading).unwrap_or_else(|e| panic!("{}: {e}", doc_path().display()));
    let problems = differences(heading, &rows, documented);
    assert!(
        problems.is_empty(),
        "{} and the binary disagree:\n  {}",
        doc_path().display(),
        problems.join("\n  ")
    );
}

#[test]
fn report_table_lists_exactly_the_report_variables() {
    check_section("Report Lambda", logofill_report::config::REPORT_ENV_VARS);
}

#[test]
fn worker_table_lists_exactly_the_worker_variables() {
    check_section("Worker Lambda", logofill_worker::WORKER_ENV_VARS);
}

#[test]
fn refresh_table_lists_exactly_the_refresh_variables() {
    check_section(
        "Refresh Lambda",
        logofill_worker::refresh_job::REFRESH_ENV_VARS,
    );
}

#[test]
fn the_page_names_no_variable_the_binaries_do_not_read() {
    let known: BTreeSet<&str> = logofill_report::config::REPORT_ENV_VARS
        .iter()
        .chain(logofill_worker::WORKER_ENV_VARS)
        .chain(logofill_worker::refresh_job::REFRESH_ENV_VARS)
        .map(|v| v.name)
        .collect();
    let stray: Vec<String> = named_variables(&load_doc())
        .into_iter()
        .filter(|name| !known.contains(name.as_str()))
        .collect();
    assert!(
        stray.is_empty(),
        "{} names variables no binary lists in REPORT_ENV_VARS, WORKER_ENV_VARS or REFRESH_ENV_VARS: {}",
        doc_path().display(),
        stray.join(", ")
    );
}

#[test]
fn differences_name_each_variable_and_default() {
    let documented = crate::sample_env_vars();
    let doc = "# Config\n\n## Other\n\n| variable | default | meaning |\n|---|---|---|\n| `LOGOFILL_Z` | `1` | elsewhere |\n\n\
               ## Thing (`thing`)\n\n| variable | default | meaning |\n|---|---|---|\n\
               | `LOGOFILL_A` | required | a |\n| `LOGOFILL_B` | `60` | b, with | a pipe |\n\
               | `LOGOFILL_OLD` | `1` | gone |\n| `LOGOFILL_A` | required | again |\n\n\
               ## Next\n\nLOGOFILL_NEXT_ and `LOGOFILL_*` in prose.\n";
    let rows = section_rows(doc, "Thing").unwrap();
    assert_eq!(
        rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        ["LOGOFILL_A", "LOGOFILL_B", "LOGOFILL_OLD", "LOGOFILL_A"]
    );
    let problems = differences("Thing", &rows, &documented);
    assert_eq!(problems.len(), 4, "{problems:#?}");
    assert!(problems[0].contains("LOGOFILL_C is read by the binary but has no row"));
    assert!(problems[1].contains("LOGOFILL_OLD has a row but the binary does not read it"));
    assert!(problems[2].contains("LOGOFILL_B is documented with default `60` (line 14)"));
    assert!(problems[3].contains("LOGOFILL_A has a second row (line 16)"));
    assert!(section_rows(doc, "Missing").is_err());
    assert!(section_rows("## T\n\n| LOGOFILL_A | required | a |\n", "T").is_err());
    assert_eq!(
        named_variables(doc).into_iter().collect::<Vec<_>>(),
        [
            "LOGOFILL_A",
            "LOGOFILL_B",
            "LOGOFILL_NEXT",
            "LOGOFILL_OLD",
            "LOGOFILL_Z"
        ]
    );
}
