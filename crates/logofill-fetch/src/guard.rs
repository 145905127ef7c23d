//! Which addresses logofill may connect to.
//!
//! Only globally routable unicast addresses. IPv6 is checked against the global unicast range
//! (2000::/3) minus its special blocks: 2001::/23 (IETF protocol assignments) is refused but for
//! the blocks IANA lists as globally reachable, as `Ipv6Addr::is_global` defines them, so a
//! Teredo, benchmarking or not-yet-assigned address there is never connected to. Every IPv6 form that embeds an IPv4 address
//! (IPv4-mapped, IPv4-compatible, NAT64, 6to4) is judged by the IPv4 address inside, so
//! `[::ffff:127.0.0.1]` is loopback and `[64:ff9b::a9fe:a9fe]` is the metadata service.
//! Loopback (127.0.0.0/8, ::1) can be allowed explicitly for the dev runner and tests; no
//! other blocked range can.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is refused, or `None` if it may be connected to.
pub fn check_ip(ip: IpAddr, allow_loopback: bool) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => check_v4(v4, allow_loopback),
        IpAddr::V6(v6) => check_v6(v6, allow_loopback),
    }
}

/// Whether `ip` is globally routable (loopback not allowed).
pub fn is_globally_routable(ip: IpAddr) -> bool {
    check_ip(ip, false).is_none()
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    (u32::from(ip) & mask) == (u32::from(Ipv4Addr::from(net)) & mask)
}

fn check_v4(ip: Ipv4Addr, allow_loopback: bool) -> Option<&'static str> {
    const BLOCKED: &[([u8; 4], u32, &str)] = &[
        ([0, 0, 0, 0], 8, "\"this network\" (0.0.0.0/8)"),
        ([10, 0, 0, 0], 8, "private (10.0.0.0/8)"),
        ([100, 64, 0, 0], 10, "carrier-grade NAT (100.64.0.0/10)"),
        ([127, 0, 0, 0], 8, "loopback (127.0.0.0/8)"),
        (
            [169, 254, 0, 0],
            16,
            "link-local, incl. the cloud metadata service (169.254.0.0/16)",
        ),
        ([172, 16, 0, 0], 12, "private (172.16.0.0/12)"),
        (
            [192, 0, 0, 0],
            24,
            "IETF protocol assignments (192.0.0.0/24)",
        ),
        ([192, 0, 2, 0], 24, "documentation (192.0.2.0/24)"),
        ([192, 88, 99, 0], 24, "6to4 relay anycast (192.88.99.0/24)"),
        ([192, 168, 0, 0], 16, "private (192.168.0.0/16)"),
        ([198, 18, 0, 0], 15, "benchmarking (198.18.0.0/15)"),
        ([198, 51, 100, 0], 24, "documentation (198.51.100.0/24)"),
        ([203, 0, 113, 0], 24, "documentation (203.0.113.0/24)"),
        ([224, 0, 0, 0], 4, "multicast (224.0.0.0/4)"),
        ([240, 0, 0, 0], 4, "reserved or broadcast (240.0.0.0/4)"),
    ];
    if allow_loopback && ip.is_loopback() {
        return None;
    }
    BLOCKED
        .iter()
        .find(|(net, prefix, _)| in_v4(ip, *net, *prefix))
        .map(|(_, _, why)| *why)
}

fn check_v6(ip: Ipv6Addr, allow_loopback: bool) -> Option<&'static str> {
    let s = ip.segments();
    let embedded = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if ip == Ipv6Addr::LOCALHOST {
        return if allow_loopback {
            None
        } else {
            Some("loopback (::1)")
        };
    }
    if ip.is_unspecified() {
        return Some("unspecified (::)");
    }
    // ::ffff:a.b.c.d (IPv4-mapped): the kernel delivers it to the IPv4 address itself, so the
    // loopback opt-in applies to it as to 127.0.0.0/8.
    if s[0..6] == [0, 0, 0, 0, 0, 0xffff] {
        return check_v4(embedded, allow_loopback)
            .map(|_| "an IPv6 form of a blocked IPv4 address");
    }
    // ::a.b.c.d (IPv4-compatible, deprecated) is not this machine's loopback: never opted in.
    if s[0..6] == [0, 0, 0, 0, 0, 0] {
        return check_v4(embedded, false).map(|_| "an IPv6 form of a blocked IPv4 address");
    }
    // 64:ff9b::/96, NAT64 well-known prefix: a gateway would reach its own 127.x, never ours.
    if s[0..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return check_v4(embedded, false).map(|_| "a NAT64 form of a blocked IPv4 address");
    }
    if s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1 {
        return Some("local-use NAT64 (64:ff9b:1::/48)");
    }
    // 2002::/16, 6to4: the IPv4 address sits in bits 16..48.
    if s[0] == 0x2002 {
        let v4 = Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8);
        return check_v4(v4, false).map(|_| "a 6to4 form of a blocked IPv4 address");
    }
    if s[0] & 0xe000 != 0x2000 {
        return Some(match s[0] {
            x if x & 0xfe00 == 0xfc00 => "unique local (fc00::/7)",
            x if x & 0xffc0 == 0xfe80 => "link-local (fe80::/10)",
            x if x & 0xffc0 == 0xfec0 => "site-local (fec0::/10)",
            x if x & 0xff00 == 0xff00 => "multicast (ff00::/8)",
            0x0100 if s[1..4] == [0, 0, 0] => "discard-only (100::/64)",
            0x5f00 => "segment routing (5f00::/16)",
            _ => "not global unicast (outside 2000::/3)",
        });
    }
    if s[0] == 0x2001 && s[1] < 0x0200 {
        return ietf_protocol_block(ip);
    }
    match (s[0], s[1]) {
        (0x2001, 0x0db8) => Some("documentation (2001:db8::/32)"),
        (0x3fff, x) if x & 0xf000 == 0 => Some("documentation (3fff::/20)"),
        _ => None,
    }
}

/// 2001::/23, the IETF protocol assignments: refused except the blocks IANA lists as globally
/// reachable, exactly as the standard library's (unstable) `Ipv6Addr::is_global` has them.
fn ietf_protocol_block(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    let global = ip == Ipv6Addr::new(0x2001, 1, 0, 0, 0, 0, 0, 1) // PCP anycast
        || ip == Ipv6Addr::new(0x2001, 1, 0, 0, 0, 0, 0, 2) // TURN anycast
        || s[1] == 0x0003 // AMT, 2001:3::/32
        || (s[1] == 0x0004 && s[2] == 0x0112) // AS112-v6, 2001:4:112::/48
        || (0x0020..=0x003f).contains(&s[1]); // ORCHIDv2 2001:20::/28, drone remote ID 2001:30::/28
    if global {
        return None;
    }
    Some(match s[1] {
        0x0000 => "Teredo (2001::/32)",
        0x0002 if s[2] == 0 => "benchmarking (2001:2::/48)",
        0x0010..=0x001f => "deprecated ORCHID (2001:10::/28)",
        _ => "IETF protocol assignments (2001::/23)",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocked(s: &str) -> bool {
        check_ip(s.parse().unwrap(), false).is_some()
    }

    #[test]
    fn every_blocked_ipv4_range() {
        for ip in [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "10.255.255.255",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.255.0.1",
            "169.254.169.254",
            "169.254.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.1",
            "192.0.2.5",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert!(blocked(ip), "{ip} must be blocked");
        }
    }

    #[test]
    fn public_ipv4_passes_and_neighbours_of_blocks_pass() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "192.0.1.1",
            "11.0.0.1",
        ] {
            assert!(!blocked(ip), "{ip} is public");
        }
    }

    #[test]
    fn every_blocked_ipv6_range_and_embedded_form() {
        for ip in [
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:7f00:1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "::a9fe:a9fe",
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::1",
            "2002:7f00:1::1",
            "2002:a9fe:a9fe::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "2001::1",
            "2001:10::1",
            "2001:2::1",
            "100::1",
            "3fff::1",
        ] {
            assert!(blocked(ip), "{ip} must be blocked");
        }
    }

    /// 2001::/23 as `Ipv6Addr::is_global` has it: refused but for the blocks IANA marks
    /// globally reachable.
    #[test]
    fn ietf_protocol_assignments_are_refused_except_the_global_blocks() {
        for (ip, why) in [
            ("2001:100::1", "IETF protocol assignments (2001::/23)"),
            ("2001:1ff:ffff::1", "IETF protocol assignments (2001::/23)"),
            ("2001:4::1", "IETF protocol assignments (2001::/23)"),
            ("2001:4:113::1", "IETF protocol assignments (2001::/23)"),
            ("2001:1::3", "IETF protocol assignments (2001::/23)"),
            ("2001:1::", "IETF protocol assignments (2001::/23)"),
            ("2001:5::1", "IETF protocol assignments (2001::/23)"),
            ("2001:40::1", "IETF protocol assignments (2001::/23)"),
            ("2001::1", "Teredo (2001::/32)"),
            ("2001:0:ffff::1", "Teredo (2001::/32)"),
            ("2001:2::1", "benchmarking (2001:2::/48)"),
            ("2001:10::1", "deprecated ORCHID (2001:10::/28)"),
            ("2001:1f::1", "deprecated ORCHID (2001:10::/28)"),
        ] {
            assert_eq!(check_ip(ip.parse().unwrap(), false), Some(why), "{ip}");
            assert_eq!(
                check_ip(ip.parse().unwrap(), true),
                Some(why),
                "{ip} (opt-in)"
            );
        }
        for ip in [
            "2001:1::1",
            "2001:1::2",
            "2001:3::1",
            "2001:3:ffff::1",
            "2001:4:112::1",
            "2001:4:112:ffff::1",
            "2001:20::1",
            "2001:2f::1",
            "2001:30::1",
            "2001:3f:ffff::1",
            "2001:200::1",
            "2001:4860:4860::8888",
        ] {
            assert!(!blocked(ip), "{ip} is globally reachable");
        }
    }

    #[test]
    fn the_other_ranges_is_global_excludes_are_refused() {
        for (ip, why) in [
            ("100::1", "discard-only (100::/64)"),
            ("100::ffff:ffff:ffff:ffff", "discard-only (100::/64)"),
            ("100:0:0:1::1", "not global unicast (outside 2000::/3)"),
            ("2001:db8::1", "documentation (2001:db8::/32)"),
            ("2001:db8:ffff::1", "documentation (2001:db8::/32)"),
            ("3fff::1", "documentation (3fff::/20)"),
            ("3fff:fff:ffff::1", "documentation (3fff::/20)"),
            ("5f00::1", "segment routing (5f00::/16)"),
            ("5f00:ffff::1", "segment routing (5f00::/16)"),
            ("fc00::1", "unique local (fc00::/7)"),
            ("fdff::1", "unique local (fc00::/7)"),
            ("fe80::1", "link-local (fe80::/10)"),
            ("febf::1", "link-local (fe80::/10)"),
        ] {
            assert_eq!(check_ip(ip.parse().unwrap(), false), Some(why), "{ip}");
        }
        for ip in ["3fff:1000::1", "2001:db9::1", "2001:db7::1", "2003::1"] {
            assert!(!blocked(ip), "{ip} is global");
        }
    }

    #[test]
    fn public_ipv6_passes() {
        for ip in [
            "2606:4700:4700::1111",
            "2a00:1450:4001:80b::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(!blocked(ip), "{ip} is public");
        }
    }

    #[test]
    fn loopback_opt_in_allows_loopback_only() {
        for ip in ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"] {
            assert!(check_ip(ip.parse().unwrap(), true).is_none(), "{ip}");
        }
        for ip in [
            "169.254.169.254",
            "10.0.0.1",
            "0.0.0.0",
            "::",
            "fe80::1",
            "::ffff:169.254.169.254",
            "192.168.0.1",
        ] {
            assert!(
                check_ip(ip.parse().unwrap(), true).is_some(),
                "{ip} stays blocked with the opt-in"
            );
        }
    }
}
