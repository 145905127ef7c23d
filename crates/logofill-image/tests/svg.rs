//! SVG is rendered as a closed world: nothing is fetched and nothing is read from disk, text
//! uses the embedded font, and a drawing without a size is still fitted.

mod util;

use std::io::Write;
use std::net::TcpListener;

use logofill_image::OutputFormat;
use util::*;

const RED: [u8; 4] = [255, 0, 0, 255];

#[test]
fn svg_with_viewbox_renders_at_every_size() {
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 100"><rect width="200" height="100" fill="red"/></svg>"#;
    let set = pipeline_with(&[64, 128, 256])
        .render("wide.svg", svg)
        .unwrap();
    let src = set.provenance.source.as_ref().unwrap();
    assert_eq!((src.width, src.height), (200, 100));
    for size in [64, 128, 256] {
        let img = decode_output(variant(&set, size, OutputFormat::Png));
        assert!(near(at(&img, size / 2, size / 2), RED, 0));
        assert_eq!(
            at(&img, size / 2, size / 8)[3],
            0,
            "2:1 leaves transparent bands"
        );
        assert_eq!(
            at(&img, size / 2, size / 4 + 1)[3],
            255,
            "crisp edge at {size}"
        );
    }
}

#[test]
fn svg_without_any_size_is_fitted_to_its_drawing() {
    // No viewBox, no width/height, and the drawing is outside the default 100x100 viewport.
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><rect x="150" y="150" width="100" height="50" fill="red"/></svg>"#;
    let img = render_png(svg, 64);
    assert!(near(at(&img, 32, 32), RED, 0), "{:?}", at(&img, 32, 32));
    assert!(near(at(&img, 2, 32), RED, 0));
    assert_eq!(at(&img, 32, 8)[3], 0);

    // Only a width: also no usable size.
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="100%"><circle cx="500" cy="500" r="40" fill="red"/></svg>"#;
    let img = render_png(svg, 64);
    assert!(near(at(&img, 32, 32), RED, 0));
}

#[test]
fn svg_with_size_but_no_viewbox() {
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="50" height="50"><rect width="25" height="50" fill="red"/></svg>"#;
    let img = render_png(svg, 64);
    assert!(near(at(&img, 10, 32), RED, 0));
    assert_eq!(at(&img, 50, 32)[3], 0);
}

/// `<image href="http://...">`, `<use href="file:...">`, `<image href="file:...">` and a relative
/// href: none is fetched or read. The file targets exist and are red; the output has no red.
#[test]
fn svg_loads_nothing_external() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();

    let dir = std::env::temp_dir().join(format!("logofill-svg-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let red_png = dir.join("red.png");
    std::fs::write(&red_png, png_rgba(&rgba_image(8, 8, |_, _| RED))).unwrap();
    let red_svg = dir.join("red.svg");
    let mut f = std::fs::File::create(&red_svg).unwrap();
    f.write_all(br#"<svg xmlns="http://www.w3.org/2000/svg"><rect id="r" width="100" height="100" fill="red"/></svg>"#).unwrap();

    let svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 100 100">
             <rect width="100" height="100" fill="blue"/>
             <image href="http://127.0.0.1:{port}/logo.png" width="100" height="100"/>
             <image xlink:href="http://127.0.0.1:{port}/logo2.png" width="100" height="100"/>
             <image href="file://{png}" width="100" height="100"/>
             <image href="{png}" width="100" height="100"/>
             <image href="red.png" width="100" height="100"/>
             <use href="file://{svg}#r"/>
             <use xlink:href="{svg}#r"/>
             <style>@import url("http://127.0.0.1:{port}/style.css");</style>
           </svg>"#,
        png = red_png.display(),
        svg = red_svg.display(),
    );
    let img = render_png(svg.as_bytes(), 64);
    for p in img.pixels() {
        assert!(
            near(p.0, [0, 0, 255, 255], 0),
            "something external was drawn: {:?}",
            p.0
        );
    }
    assert!(
        listener.accept().is_err(),
        "the renderer connected to the network"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn svg_embedded_data_image_within_limits_is_drawn() {
    let png = png_rgba(&rgba_image(4, 4, |_, _| RED));
    let b64 = base64_encode(&png);
    let svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><image href="data:image/png;base64,{b64}" width="10" height="10"/></svg>"#
    );
    let img = render_png(svg.as_bytes(), 64);
    assert!(near(at(&img, 32, 32), RED, 0), "{:?}", at(&img, 32, 32));
}

#[test]
fn svg_text_uses_the_embedded_font() {
    let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">
        <text x="50" y="60" font-family="Arial, sans-serif" font-size="40" text-anchor="middle" fill="black">A한</text></svg>"#;
    let a = render_png(svg.as_bytes(), 128);
    let inked = a.pixels().filter(|p| p.0[3] > 128).count();
    assert!(inked > 200, "text was not drawn ({inked} pixels)");
    // Same bytes on every call (and every machine: no system font can be picked).
    assert_eq!(a, render_png(svg.as_bytes(), 128));
}

fn base64_encode(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
