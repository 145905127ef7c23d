//! Worker batch benchmark (being written).
fn main() {}
