/// Three documented variables (one required, two with defaults) for the tests of the checks
/// that hold the template and docs/configuration.md to the binaries' variable lists.
pub fn sample_env_vars() -> [logofill_core::config::EnvVar; 3] {
    use logofill_core::config::EnvVar;
    [
        EnvVar {
            name: "LOGOFILL_A",
            default: None,
            meaning: "a",
        },
        EnvVar {
            name: "LOGOFILL_B",
            default: Some("600"),
            meaning: "b",
        },
        EnvVar {
            name: "LOGOFILL_C",
            default: Some("x"),
            meaning: "c",
        },
    ]
}
