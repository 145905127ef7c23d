//! The hostile homepage and manifest classes, built in memory (shared by `tests/hostile.rs`
//! and `benches/homepage_scan.rs`; each uses part of it).
#![allow(dead_code)]

pub const MIB: usize = 1024 * 1024;

/// `size` bytes of empty tags.
pub fn tags(size: usize) -> Vec<u8> {
    let mut out = b"<html><head><title>x</title></head><body>".to_vec();
    while out.len() < size {
        out.extend_from_slice(b"<a><b></b><i></i></a>");
    }
    out
}

/// One icon, then `size` bytes of `<div>`s, none closed.
pub fn nested_divs(size: usize) -> Vec<u8> {
    let mut out = b"<html><head><link rel=icon href=/logo.png></head><body>".to_vec();
    while out.len() < size {
        out.extend_from_slice(b"<div>");
    }
    out
}

/// `count` `<link rel=icon>`s, every one with a different URL and size.
pub fn link_icons(count: usize) -> Vec<u8> {
    let mut out = b"<html><head>".to_vec();
    for i in 0..count {
        let px = 16 + i % 500;
        out.extend_from_slice(
            format!(r#"<link rel="icon" href="/i/{i}.png" sizes="{px}x{px}">"#).as_bytes(),
        );
    }
    out.extend_from_slice(b"</head></html>");
    out
}

/// An icon, a tag with one attribute of `size` bytes, then another icon.
pub fn huge_attribute(size: usize) -> Vec<u8> {
    let mut out = b"<html><head><link rel=icon href=/a.png><meta name=x content=\"".to_vec();
    out.resize(out.len() + size, b'A');
    out.extend_from_slice(b"\"><link rel=icon href=/b.png></head>");
    out
}

/// An icon, then a comment that never ends, full of icons no browser would see.
pub fn endless_comment(size: usize) -> Vec<u8> {
    let mut out = b"<html><head><link rel=icon href=/a.png><!-- ".to_vec();
    while out.len() < size {
        out.extend_from_slice(b"<link rel=icon href=/in-comment.png> -- > ");
    }
    out
}

/// An icon, then a script that never ends, full of markup-looking text.
pub fn endless_script(size: usize) -> Vec<u8> {
    let mut out = b"<html><head><link rel=icon href=/a.png><script>".to_vec();
    while out.len() < size {
        out.extend_from_slice(b"if (a<b) { x = '<link rel=icon href=/in-script.png>'; } <!-- ");
    }
    out
}

/// A manifest whose `icons` is `depth` nested arrays.
pub fn deep_manifest(depth: usize) -> Vec<u8> {
    let mut out = b"{\"icons\": ".to_vec();
    out.resize(out.len() + depth, b'[');
    out.resize(out.len() + depth, b']');
    out.push(b'}');
    out
}

/// A manifest of `size` bytes of icons.
pub fn huge_manifest(size: usize) -> Vec<u8> {
    let mut out = b"{\"name\": \"Acme\", \"icons\": [".to_vec();
    let mut i = 0;
    while out.len() < size {
        out.extend_from_slice(
            format!(r#"{{"src": "/m/{i}.png", "sizes": "512x512", "type": "image/png"}},"#)
                .as_bytes(),
        );
        i += 1;
    }
    out.extend_from_slice(br#"{"src": "/m/last.png"}]}"#);
    out
}

/// `<header>` then `size` bytes of unclosed logo-named home links, each with an image: every
/// one opens a wrapper the header-logo rule must track, and none is ever closed.
pub fn open_logo_wrappers(size: usize) -> Vec<u8> {
    let mut out = b"<html><head><link rel=icon href=/a.png></head><body><header>".to_vec();
    let unit = b"<a href=/ class=logo><span class=brand-logo><img src=/x.png>";
    while out.len() < size {
        out.extend_from_slice(unit);
    }
    out
}

/// Each homepage class at the size of the issue: (name, bytes).
pub fn homepage_classes() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("10 MiB of tags", tags(10 * MIB)),
        ("10 MiB of nested divs", nested_divs(10 * MIB)),
        ("100,000 link icons", link_icons(100_000)),
        ("a 900 KiB attribute", huge_attribute(900 * 1024)),
        ("a 10 MiB attribute", huge_attribute(10 * MIB)),
        ("a 10 MiB endless comment", endless_comment(10 * MIB)),
        ("a 10 MiB endless script", endless_script(10 * MIB)),
        ("10 MiB of open logo wrappers", open_logo_wrappers(10 * MIB)),
    ]
}
