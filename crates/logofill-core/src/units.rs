//! Byte counts as people write limits ("10 MiB"), for error messages that name the input and
//! the limit it broke. One formatter for every crate, so the same limit reads the same in a
//! fetch error and in an image error.

use std::fmt;

/// A byte count rounded down to one decimal of the largest binary unit it reaches: "10 MiB",
/// "1.5 KiB", "12 bytes".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bytes(pub u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
        for (unit, scale) in UNITS {
            if self.0 >= scale {
                let whole = self.0 / scale;
                let tenths = (self.0 % scale) * 10 / scale;
                return if tenths == 0 {
                    write!(f, "{whole} {unit}")
                } else {
                    write!(f, "{whole}.{tenths} {unit}")
                };
            }
        }
        write!(f, "{} bytes", self.0)
    }
}

/// The rounded size and the exact count, for a number that was enforced to the byte:
/// "10 MiB (10485761 bytes)"; below 1 KiB just "1000 bytes".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExactBytes(pub u64);

impl fmt::Display for ExactBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < 1024 {
            Bytes(self.0).fmt(f)
        } else {
            write!(f, "{} ({} bytes)", Bytes(self.0), self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_naturally() {
        assert_eq!(Bytes(10 << 20).to_string(), "10 MiB");
        assert_eq!(Bytes((10 << 20) + 1).to_string(), "10 MiB");
        assert_eq!(Bytes(1536).to_string(), "1.5 KiB");
        assert_eq!(Bytes(12).to_string(), "12 bytes");
        assert_eq!(Bytes(3 << 30).to_string(), "3 GiB");
    }

    #[test]
    fn exact_bytes_keep_the_count() {
        assert_eq!(ExactBytes(1000).to_string(), "1000 bytes");
        assert_eq!(ExactBytes(1024).to_string(), "1 KiB (1024 bytes)");
        assert_eq!(ExactBytes(1536).to_string(), "1.5 KiB (1536 bytes)");
        assert_eq!(ExactBytes(10 << 20).to_string(), "10 MiB (10485760 bytes)");
        assert_eq!(
            ExactBytes((10 << 20) + 1).to_string(),
            "10 MiB (10485761 bytes)"
        );
        assert_eq!(ExactBytes(3 << 30).to_string(), "3 GiB (3221225472 bytes)");
    }
}
