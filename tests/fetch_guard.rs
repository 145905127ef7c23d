//! The SSRF guard against live loopback servers (being written).
