//! The hostile corpus: one generated input per kind of "small input, huge work" found by review,
//! each refused (or rendered) with its exact message, within a time and an allocation bound
//! measured here. Before these checks every one of them passed the byte, pixel and node limits
//! and then ran for more than 40 s of CPU, took 0.7-1.7 GB, or aborted the process (19,000
//! nested `<g>`). Boundary tests: at each limit the input passes, one over it is refused.
//!
//! This binary counts allocations with its own global allocator, and measured tests take a lock
//! so that the peak belongs to one test. Bounds are generous for debug builds on a busy machine.

mod util;

use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use logofill_image::{ImageError, OutputFormat, Pipeline, PipelineLimits, PipelineOptions};
use util::bomb::png_rgb8;
use util::hostile::*;
use util::*;

#[path = "util/counting.rs"]
mod counting;
use counting::{CURRENT, PEAK};

static MEASURING: Mutex<()> = Mutex::new(());

const MIB: usize = 1024 * 1024;

struct Measured {
    result: Result<logofill_image::RenderedSet, ImageError>,
    elapsed: Duration,
    peak: usize,
}

fn measure(pipeline: &Pipeline, name: &str, bytes: &[u8]) -> Measured {
    let _one_at_a_time = MEASURING.lock().unwrap_or_else(|p| p.into_inner());
    let before = CURRENT.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let start = Instant::now();
    let result = pipeline.render(name, bytes);
    let elapsed = start.elapsed();
    let peak = PEAK.load(Ordering::SeqCst).saturating_sub(before);
    Measured {
        result,
        elapsed,
        peak,
    }
}

fn default_pipeline() -> Pipeline {
    Pipeline::new(PipelineOptions::default()).unwrap()
}

fn with_limits(limits: PipelineLimits) -> Pipeline {
    Pipeline::new(PipelineOptions {
        sizes: vec![64],
        limits,
        ..PipelineOptions::default()
    })
    .unwrap()
}

/// Renders with the default pipeline and checks the refusal: its message, its code, that it is
/// permanent, and that it came within `max_ms` and `max_bytes`.
#[track_caller]
fn refused(name: &str, bytes: &[u8], code: &str, message: &str, max_ms: u128, max_bytes: usize) {
    refused_by(
        &default_pipeline(),
        name,
        bytes,
        code,
        message,
        max_ms,
        max_bytes,
    )
}

#[track_caller]
fn refused_by(
    pipeline: &Pipeline,
    name: &str,
    bytes: &[u8],
    code: &str,
    message: &str,
    max_ms: u128,
    max_bytes: usize,
) {
    assert!(
        bytes.len() <= PipelineLimits::default().max_input_bytes as usize,
        "the input must pass the byte limit"
    );
    let m = measure(pipeline, name, bytes);
    let e = match m.result {
        Ok(_) => panic!("{name} was rendered, not refused"),
        Err(e) => e,
    };
    eprintln!(
        "{name}: {} bytes in, refused in {:?}, peak {} KiB: {e}",
        bytes.len(),
        m.elapsed,
        m.peak / 1024
    );
    assert_eq!(e.to_string(), message);
    assert_eq!(e.code(), code);
    assert!(!e.is_retryable(), "{e:?}");
    assert!(m.elapsed.as_millis() < max_ms, "took {:?}", m.elapsed);
    assert!(m.peak < max_bytes, "allocated {} bytes at peak", m.peak);
}

/// Renders with `pipeline` and checks that it passes (or at least is not refused by `code`).
#[track_caller]
fn not_refused_by(pipeline: &Pipeline, bytes: &[u8], code: &str) {
    if let Err(e) = pipeline.render("at-limit", bytes) {
        assert_ne!(e.code(), code, "refused at the limit: {e}");
    }
}

// ---- SVG: DTD entities ----

#[test]
fn entity_expansion_is_bounded_in_bytes() {
    // 8 KB of source that would expand to 8 MB of text.
    let bytes = entity_expansion(1000, 8000);
    refused(
        "logo.svg",
        &bytes,
        "svg_entity_expansion",
        "logo.svg expands DTD entities to 66000 bytes or more, over the 65536 byte entity \
         expansion limit",
        2_000,
        2 * MIB,
    );
}

#[test]
fn entities_referring_to_entities_are_refused() {
    refused(
        "laughs.svg",
        &billion_laughs(),
        "svg_entity_refused",
        "laughs.svg has a DTD logofill refuses: its DTD entity 'l1' has '&' in its value; \
         logofill expands only entities whose value is plain text",
        500,
        MIB,
    );
}

#[test]
fn entity_bytes_boundary() {
    let bytes = entity_expansion(100, 10);
    let at = with_limits(PipelineLimits {
        max_svg_entity_bytes: 1000,
        ..PipelineLimits::default()
    });
    at.render("at.svg", &bytes).unwrap();
    let over = with_limits(PipelineLimits {
        max_svg_entity_bytes: 999,
        ..PipelineLimits::default()
    });
    assert_eq!(
        over.render("over.svg", &bytes).unwrap_err().to_string(),
        "over.svg expands DTD entities to 1000 bytes or more, over the 999 byte entity \
         expansion limit"
    );
}

/// What Adobe Illustrator writes: a DOCTYPE with short namespace entities used in attributes.
#[test]
fn illustrator_svg_with_entities_still_renders() {
    let svg = br##"<?xml version="1.0" encoding="utf-8"?>
<!-- Generator: Adobe Illustrator 16.0.0, SVG Export Plug-In . SVG Version: 6.00 Build 0)  -->
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" [
	<!ENTITY ns_extend "http://ns.adobe.com/Extensibility/1.0/">
	<!ENTITY ns_ai "http://ns.adobe.com/AdobeIllustrator/10.0/">
	<!ENTITY ns_graphs "http://ns.adobe.com/Graphs/1.0/">
	<!ENTITY ns_vars "http://ns.adobe.com/Variables/1.0/">
	<!ENTITY ns_imrep "http://ns.adobe.com/ImageReplacement/1.0/">
	<!ENTITY ns_sfw "http://ns.adobe.com/SaveForWeb/1.0/">
	<!ENTITY ns_custom "http://ns.adobe.com/GenericCustomNamespace/1.0/">
	<!ENTITY ns_adobe_xpath "http://ns.adobe.com/XPath/1.0/">
	<!ENTITY ns_svg "http://www.w3.org/2000/svg">
	<!ENTITY ns_xlink "http://www.w3.org/1999/xlink">
]>
<svg version="1.1" id="Layer_1" xmlns:x="&ns_extend;" xmlns:i="&ns_ai;" xmlns:graph="&ns_graphs;"
	 xmlns="&ns_svg;" xmlns:xlink="&ns_xlink;" x="0px" y="0px" width="100px" height="100px"
	 viewBox="0 0 100 100" enable-background="new 0 0 100 100" xml:space="preserve">
<switch>
	<foreignObject requiredExtensions="&ns_ai;" x="0" y="0" width="1" height="1">
		<i:pgfRef  xlink:href="#adobe_illustrator_pgf"></i:pgfRef>
	</foreignObject>
	<g i:extraneous="self">
		<style type="text/css">.st0{fill:#FF0000;}</style>
		<rect class="st0" width="100" height="100"/>
	</g>
</switch>
<i:pgf  id="adobe_illustrator_pgf"><![CDATA[eJzsvWmTHEeSIPod&ns_svg;]]></i:pgf>
</svg>
"##;
    let img = render_png(svg, 64);
    assert!(
        near(at(&img, 32, 32), [255, 0, 0, 255], 0),
        "{:?}",
        at(&img, 32, 32)
    );
}

// ---- SVG: nesting and instantiation ----

#[test]
fn deep_nesting_is_refused_before_usvg_recurses() {
    // Used to abort the whole process with a stack overflow (signal 6).
    let bytes = nested_groups(19_000);
    refused(
        "logo.svg",
        &bytes,
        "svg_too_deep",
        "logo.svg nests elements 19002 deep, over the 128 nesting limit",
        2_000,
        16 * MIB,
    );
}

#[test]
fn nesting_boundary() {
    // The root <svg> is level 1, the rectangle one more than the groups.
    let bytes = nested_groups(126);
    let p = Pipeline::new(PipelineOptions::default()).unwrap();
    // The default test thread stack (2 MiB) holds the deepest document allowed, in debug.
    p.render("at.svg", &bytes).unwrap();
    let e = p.render("over.svg", &nested_groups(127)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "over.svg nests elements 129 deep, over the 128 nesting limit"
    );
}

#[test]
fn nesting_through_use_counts() {
    // 40 groups each used inside the next: shallow as written, 160 deep once instantiated.
    let mut body = String::from("<defs><g id=\"g0\"><rect width=\"1\" height=\"1\"/></g>");
    for i in 1..40 {
        body.push_str(&format!(
            "<g id=\"g{i}\"><g><g><use href=\"#g{}\"/></g></g></g>",
            i - 1
        ));
    }
    body.push_str("</defs><use href=\"#g39\"/>");
    let e = default_pipeline()
        .render("use.svg", &svg(&body))
        .unwrap_err();
    assert_eq!(e.code(), "svg_too_deep", "{e}");
}

#[test]
fn use_fan_out_is_counted_memoised() {
    // 8 levels of 10 uses each: 10^8 rectangles from a 2 KB file.
    let bytes = use_fan_out(8, 10);
    refused(
        "fan.svg",
        &bytes,
        "svg_use_expansion",
        "fan.svg instantiates 322221 or more nodes through <use> and references, over the \
         50000 instantiated node limit",
        2_000,
        4 * MIB,
    );
}

#[test]
fn use_cycle_is_refused() {
    let bytes = svg(
        "<defs><g id=\"a\"><use href=\"#b\"/></g><g id=\"b\"><use href=\"#a\"/></g></defs>\
         <use href=\"#a\"/>",
    );
    let e = default_pipeline().render("cycle.svg", &bytes).unwrap_err();
    assert_eq!(e.code(), "svg_use_cycle", "{e}");
    assert!(!e.is_retryable());
}

#[test]
fn instantiated_nodes_boundary() {
    // u2 = 1 + 10 * (u1 = 1 + 10 * (u0 = 2 + use 1) ...): find the count, then one below it.
    let bytes = use_fan_out(2, 10);
    let limit_for = |nodes| {
        with_limits(PipelineLimits {
            max_svg_instantiated_nodes: nodes,
            ..PipelineLimits::default()
        })
    };
    let e = limit_for(1).render("x.svg", &bytes).unwrap_err();
    assert_eq!(e.code(), "svg_use_expansion");
    let mut lo = 1;
    let mut hi = 100_000;
    while lo < hi {
        let mid = (lo + hi) / 2;
        match limit_for(mid).render("x.svg", &bytes) {
            Ok(_) => hi = mid,
            Err(_) => lo = mid + 1,
        }
    }
    let at = lo;
    assert!(at > 200 && at < 1000, "{at} nodes for 100 rectangles");
    limit_for(at).render("at.svg", &bytes).unwrap();
    let e = limit_for(at - 1).render("over.svg", &bytes).unwrap_err();
    assert_eq!(e.code(), "svg_use_expansion", "{e}");
}

#[test]
fn use_referenced_clip_paths_count_per_element() {
    // A 400-node clip path referenced by 400 rectangles through a CSS rule.
    let mut clip = String::from("<clipPath id=\"c\" clipPathUnits=\"objectBoundingBox\">");
    clip.push_str(&"<rect width=\".5\" height=\".5\"/>".repeat(400));
    clip.push_str("</clipPath>");
    let rects = "<rect class=\"c\" width=\"1\" height=\"1\"/>".repeat(400);
    let bytes = svg(&format!(
        "<style>.c{{clip-path:url(#c)}}</style>{clip}{rects}"
    ));
    let e = default_pipeline().render("clip.svg", &bytes).unwrap_err();
    assert_eq!(e.code(), "svg_use_expansion", "{e}");
}

// ---- SVG: text ----

#[test]
fn huge_text_run_is_refused() {
    let bytes = text_run(1_000_000);
    refused(
        "text.svg",
        &bytes,
        "svg_too_much_text",
        "text.svg has 1000000 or more characters of text, over the 10000 character text limit",
        2_000,
        8 * MIB,
    );
}

#[test]
fn text_boundary() {
    let limits = |chars| {
        with_limits(PipelineLimits {
            max_svg_text_chars: chars,
            ..PipelineLimits::default()
        })
    };
    limits(20).render("at.svg", &text_run(20)).unwrap();
    assert_eq!(
        limits(19)
            .render("over.svg", &text_run(20))
            .unwrap_err()
            .code(),
        "svg_too_much_text"
    );
}

// ---- SVG: CSS ----

#[test]
fn many_universal_rules_are_refused_by_size() {
    // 300,000 `*` rules: 3.6 MB of CSS, under the 10 MiB input limit but over the SVG one,
    // so the style limit is shown on a file that passes the source limit too.
    let bytes = universal_rules(150_000);
    let p = with_limits(PipelineLimits {
        max_svg_bytes: 4 * 1024 * 1024,
        ..PipelineLimits::default()
    });
    refused_by(
        &p,
        "css.svg",
        &bytes,
        "svg_style_too_large",
        "css.svg has 1800000 bytes of CSS, over the 262144 byte style limit",
        2_000,
        8 * MIB,
    );
}

#[test]
fn many_universal_rules_are_refused_by_count() {
    let bytes = universal_rules(20_000);
    refused(
        "css.svg",
        &bytes,
        "svg_too_many_css_rules",
        "css.svg has 20000 CSS rules, over the 2000 CSS rule limit",
        2_000,
        16 * MIB,
    );
}

#[test]
fn long_descendant_selectors_are_refused() {
    // A never-matching selector with 12 descendant combinators over 100 nested groups.
    let bytes = descendant_selector(12, 100);
    refused(
        "sel.svg",
        &bytes,
        "svg_css_too_complex",
        "sel.svg has CSS selectors needing more than 10^12 matching steps over its \
         elements, over the 2000000 step selector limit",
        2_000,
        4 * MIB,
    );
}

#[test]
fn css_boundaries() {
    let bytes = universal_rules(10);
    let rules = |n| {
        with_limits(PipelineLimits {
            max_svg_css_rules: n,
            ..PipelineLimits::default()
        })
    };
    rules(10).render("at.svg", &bytes).unwrap();
    assert_eq!(
        rules(9).render("x.svg", &bytes).unwrap_err().code(),
        "svg_too_many_css_rules"
    );
    let style = |n| {
        with_limits(PipelineLimits {
            max_svg_style_bytes: n,
            ..PipelineLimits::default()
        })
    };
    style(120).render("at.svg", &bytes).unwrap();
    assert_eq!(
        style(119).render("x.svg", &bytes).unwrap_err().code(),
        "svg_style_too_large"
    );
    // 3 elements (svg, style, rect) at depths 1, 2, 2; `*` has one compound and no descendant
    // combinator: 3 steps per rule.
    let steps = |n| {
        with_limits(PipelineLimits {
            max_svg_css_match_steps: n,
            ..PipelineLimits::default()
        })
    };
    steps(30).render("at.svg", &bytes).unwrap();
    assert_eq!(
        steps(29).render("x.svg", &bytes).unwrap_err().code(),
        "svg_css_too_complex"
    );
}

// ---- SVG: filters ----

#[test]
fn morphology_radius_is_refused() {
    let bytes = filtered("<feMorphology operator=\"dilate\" radius=\"1000\"/>");
    refused(
        "morph.svg",
        &bytes,
        "svg_filter_parameter",
        "morph.svg has an feMorphology radius of 2560 px, over the 16 px radius limit",
        2_000,
        4 * MIB,
    );
}

#[test]
fn turbulence_octaves_are_refused() {
    let bytes = filtered("<feTurbulence baseFrequency=\"0.01\" numOctaves=\"100000\"/>");
    refused(
        "turb.svg",
        &bytes,
        "svg_filter_parameter",
        "turb.svg has an feTurbulence numOctaves of 100000, over the 10 numOctaves limit",
        2_000,
        4 * MIB,
    );
}

#[test]
fn convolve_order_is_refused() {
    let kernel = vec!["1"; 60 * 60].join(" ");
    let bytes = filtered(&format!(
        "<feConvolveMatrix order=\"60\" kernelMatrix=\"{kernel}\"/>"
    ));
    refused(
        "conv.svg",
        &bytes,
        "svg_filter_parameter",
        "conv.svg has an feConvolveMatrix order of 60, over the 9 order limit",
        2_000,
        4 * MIB,
    );
}

#[test]
fn filter_region_is_refused() {
    let bytes = filtered_with(
        "filterUnits=\"userSpaceOnUse\" x=\"-10000\" y=\"-10000\" width=\"20100\" height=\"20100\"",
        "<feFlood flood-color=\"red\"/>",
    );
    refused(
        "region.svg",
        &bytes,
        "svg_filter_region_too_large",
        "region.svg has a filter region 40401.0 times the size of the drawing, over the 4 times \
         filter region limit",
        2_000,
        4 * MIB,
    );
}

#[test]
fn long_filter_chain_is_refused() {
    let bytes = filtered(&"<feOffset dx=\"1\"/>".repeat(2000));
    refused(
        "chain.svg",
        &bytes,
        "svg_filter_too_long",
        "chain.svg has a filter with 2000 primitives, over the 16 primitive per filter limit",
        2_000,
        4 * MIB,
    );
}

#[test]
fn many_filtered_elements_are_refused() {
    let bytes = many_filtered(5000);
    refused(
        "filters.svg",
        &bytes,
        "svg_too_many_filters",
        "filters.svg applies 33 filters, over the 32 filter limit",
        5_000,
        32 * MIB,
    );
}

#[test]
fn filter_boundaries() {
    let p = |f: fn(&mut PipelineLimits)| {
        let mut l = PipelineLimits::default();
        f(&mut l);
        Pipeline::new(PipelineOptions {
            sizes: vec![64],
            limits: l,
            ..PipelineOptions::default()
        })
        .unwrap()
    };
    // Radius 5 in a 100-unit drawing rendered at 64 px: 3.2, counted as 4 px.
    let morph = filtered("<feMorphology radius=\"5\"/>");
    p(|l| l.max_svg_morphology_radius_px = 4)
        .render("at", &morph)
        .unwrap();
    let e = p(|l| l.max_svg_morphology_radius_px = 3)
        .render("x", &morph)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "x has an feMorphology radius of 4 px, over the 3 px radius limit"
    );

    let turb = filtered("<feTurbulence baseFrequency=\"0.05\" numOctaves=\"4\"/>");
    p(|l| l.max_svg_turbulence_octaves = 4)
        .render("at", &turb)
        .unwrap();
    let e = p(|l| l.max_svg_turbulence_octaves = 3)
        .render("x", &turb)
        .unwrap_err();
    assert_eq!(e.code(), "svg_filter_parameter");

    let conv = filtered("<feConvolveMatrix order=\"3\" kernelMatrix=\"0 1 0 1 1 1 0 1 0\"/>");
    p(|l| l.max_svg_convolve_order = 3)
        .render("at", &conv)
        .unwrap();
    let e = p(|l| l.max_svg_convolve_order = 2)
        .render("x", &conv)
        .unwrap_err();
    assert_eq!(e.code(), "svg_filter_parameter");

    let chain = filtered(&"<feOffset dx=\"1\"/>".repeat(5));
    p(|l| l.max_svg_filter_primitives = 5)
        .render("at", &chain)
        .unwrap();
    let e = p(|l| l.max_svg_filter_primitives = 4)
        .render("x", &chain)
        .unwrap_err();
    assert_eq!(e.code(), "svg_filter_too_long");

    let many = many_filtered(5);
    p(|l| l.max_svg_filters = 5).render("at", &many).unwrap();
    let e = p(|l| l.max_svg_filters = 4).render("x", &many).unwrap_err();
    assert_eq!(e.code(), "svg_too_many_filters");

    // The default region: the 80x80 bounding box plus 10% each side, 96x96 in a 100x100
    // drawing: 0.92 of its area.
    let region = filtered("<feOffset dx=\"1\"/>");
    p(|l| l.max_svg_filter_area = 0.93)
        .render("at", &region)
        .unwrap();
    let e = p(|l| l.max_svg_filter_area = 0.9)
        .render("x", &region)
        .unwrap_err();
    assert_eq!(e.code(), "svg_filter_region_too_large");
}

// ---- SVG: embedded rasters ----

#[test]
fn embedded_raster_bomb_is_refused_from_its_header() {
    // A 20000x20000 PNG header in a data: URI: the same refusal as the PNG fetched on its own.
    let bomb = png_rgb8(20_000, 20_000, &[]);
    let bytes = embedded(&bomb, "image/png", 1);
    refused(
        "logo.svg",
        &bytes,
        "too_many_pixels",
        "logo.svg (embedded image 1) is 20000x20000 = 400 megapixels, over the 16 megapixel limit",
        1_000,
        MIB,
    );
}

#[test]
fn embedded_raster_is_decoded_once_however_often_it_is_drawn() {
    // A 1500x1500 PNG drawn 20 times: decoded once, shrunk to 512 px, and resvg draws the
    // small copy (which it decodes again for each draw: 60 small decodes in all).
    let img = rgba_image(1500, 1500, |x, y| {
        [(x % 256) as u8, (y % 256) as u8, 0, 255]
    });
    let png = png_rgba(&img);
    let bytes = embedded(&png, "image/png", 20);
    let m = measure(&default_pipeline(), "many.svg", &bytes);
    let set = m.result.unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "many.svg: {} bytes in, rendered in {:?}, peak {} MiB",
        bytes.len(),
        m.elapsed,
        m.peak / MIB
    );
    assert_eq!(set.variants.len(), 6);
    // One RGBA copy of the source is 9 MB.
    assert!(m.peak < 64 * MIB, "peak {} MiB", m.peak / MIB);
    // Debug build; the release figure is far lower.
    assert!(m.elapsed.as_secs() < 60, "took {:?}", m.elapsed);
}

#[test]
fn embedded_image_without_size_keeps_its_intrinsic_size() {
    // 2000x1000 with no width or height: shrunk for rendering, still laid out at 2000x1000.
    let img = rgba_image(2000, 1000, |_, _| [255, 0, 0, 255]);
    let b64 = base64(&png_rgba(&img));
    let bytes = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="4000" height="1000"><image href="data:image/png;base64,{b64}"/></svg>"#
    );
    let set = pipeline_with(&[64])
        .render("wide.svg", bytes.as_bytes())
        .unwrap();
    let out = decode_output(variant(&set, 64, OutputFormat::Png));
    // The left half of the 4:1 band is red, the right half empty.
    assert!(
        near(at(&out, 10, 32), [255, 0, 0, 255], 2),
        "{:?}",
        at(&out, 10, 32)
    );
    assert_eq!(at(&out, 50, 32)[3], 0);
}

#[test]
fn embedded_image_boundaries() {
    let png = png_rgba(&rgba_image(10, 10, |_, _| [255, 0, 0, 255]));
    let five = embedded(&png, "image/png", 5);
    let images = |n| {
        with_limits(PipelineLimits {
            max_svg_images: n,
            ..PipelineLimits::default()
        })
    };
    images(5).render("at.svg", &five).unwrap();
    let e = images(4).render("over.svg", &five).unwrap_err();
    assert_eq!(
        e.to_string(),
        "over.svg draws 5 embedded images, over the 4 embedded image limit"
    );
    // Pixels are summed over distinct images: two different 10x10 images are 200 pixels.
    let other = png_rgba(&rgba_image(10, 10, |_, _| [0, 0, 255, 255]));
    let mut two = embedded(&png, "image/png", 3);
    two.truncate(two.len() - "</svg>".len());
    two.extend_from_slice(&embedded(&other, "image/png", 1)[SVG_OPEN.len()..]);
    let pixels = |n| {
        with_limits(PipelineLimits {
            max_svg_image_pixels: n,
            ..PipelineLimits::default()
        })
    };
    pixels(200).render("at.svg", &two).unwrap();
    let e = pixels(199).render("over.svg", &two).unwrap_err();
    assert_eq!(e.code(), "svg_image_pixels", "{e}");
}

// ---- JPEG ----

#[test]
fn jpeg_with_many_empty_scans_is_refused_before_decoding() {
    let jpeg = encode_with(
        &rgba_image(64, 64, |x, _| [x as u8 * 4, 0, 0, 255]),
        image::ImageFormat::Jpeg,
    );
    let bytes = jpeg_with_empty_scans(&jpeg, 100_000);
    assert!(bytes.len() < 2 * MIB);
    refused(
        "scans.jpg",
        &bytes,
        "jpeg_too_many_scans",
        "scans.jpg has 65 or more JPEG scans, over the 64 scan limit",
        2_000,
        MIB,
    );
}

#[test]
fn jpeg_scan_boundary() {
    let jpeg = encode_with(
        &rgba_image(16, 16, |_, _| [0, 0, 0, 255]),
        image::ImageFormat::Jpeg,
    );
    let scans = jpeg_scans(&jpeg) as u64;
    let bytes = jpeg_with_empty_scans(&jpeg, 3);
    let limit = |n| {
        with_limits(PipelineLimits {
            max_jpeg_scans: n,
            ..PipelineLimits::default()
        })
    };
    not_refused_by(&limit(scans + 3), &bytes, "jpeg_too_many_scans");
    let e = limit(scans + 2).render("x.jpg", &bytes).unwrap_err();
    assert_eq!(e.code(), "jpeg_too_many_scans", "{e}");
    // A real progressive JPEG is well inside the default.
    let progressive = fixture("progressive.jpg");
    assert!(jpeg_scans(&progressive) <= 16);
    default_pipeline().render("p.jpg", &progressive).unwrap();
}

// ---- PNG ancillary chunks ----

#[test]
fn png_iccp_and_ztxt_bombs_are_not_inflated() {
    let png = png_rgba(&rgba_image(8, 8, |_, _| [0, 255, 0, 255]));
    // 60 MB of zeros in each, about 300 KB compressed.
    let zeros = zlib_zeros(60_000_000);
    let mut iccp = b"icc\0\0".to_vec();
    iccp.extend_from_slice(&zeros);
    let mut ztxt = b"Comment\0\0".to_vec();
    ztxt.extend_from_slice(&zeros);
    let mut itxt = b"XML:com.adobe.xmp\0\x01\0\0\0".to_vec();
    itxt.extend_from_slice(&zeros);
    let bytes = png_with_chunk(&png, b"iCCP", &iccp);
    let bytes = png_with_chunk(&bytes, b"zTXt", &ztxt);
    let bytes = png_with_chunk(&bytes, b"iTXt", &itxt);
    assert!(bytes.len() < 2 * MIB);
    let m = measure(&default_pipeline(), "icc.png", &bytes);
    m.result.unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "icc.png: {} bytes in, rendered in {:?}, peak {} KiB",
        bytes.len(),
        m.elapsed,
        m.peak / 1024
    );
    assert!(m.peak < 8 * MIB, "peak {} MiB", m.peak / MIB);
}

// ---- GIF and ICO ----

#[test]
fn gif_with_many_frames_decodes_only_the_first() {
    let mut out = Vec::new();
    {
        let mut enc = image::codecs::gif::GifEncoder::new(&mut out);
        let frame = image::Frame::new(rgba_image(32, 32, |_, _| [255, 0, 0, 255]));
        enc.encode_frames(std::iter::repeat_n(frame, 20_000))
            .unwrap();
    }
    let m = measure(&default_pipeline(), "anim.gif", &out);
    m.result.unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "anim.gif: {} bytes in, rendered in {:?}, peak {} KiB",
        out.len(),
        m.elapsed,
        m.peak / 1024
    );
    assert!(m.elapsed.as_secs() < 5, "took {:?}", m.elapsed);
    assert!(m.peak < 8 * MIB, "peak {} MiB", m.peak / MIB);
}

#[test]
fn ico_with_many_entries_decodes_one() {
    let entry = png_rgba(&rgba_image(16, 16, |_, _| [0, 0, 255, 255]));
    let bytes = ico_many_entries(&entry, 16, u16::MAX);
    let m = measure(&default_pipeline(), "many.ico", &bytes);
    m.result.unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "many.ico: {} bytes in, rendered in {:?}, peak {} KiB",
        bytes.len(),
        m.elapsed,
        m.peak / 1024
    );
    assert!(m.elapsed.as_secs() < 5, "took {:?}", m.elapsed);
    assert!(m.peak < 16 * MIB, "peak {} MiB", m.peak / MIB);
}

// ---- SVG: scans that must stay linear before the limits are checked ----

/// Refused (by whatever check comes first), permanently, within `max_ms` and `max_bytes`.
#[track_caller]
fn refused_within(name: &str, bytes: &[u8], code: Option<&str>, max_ms: u128, max_bytes: usize) {
    let m = measure(&default_pipeline(), name, bytes);
    let e = match m.result {
        Ok(_) => panic!("{name} was rendered, not refused"),
        Err(e) => e,
    };
    eprintln!(
        "{name}: {} bytes in, refused in {:?}, peak {} KiB: {e}",
        bytes.len(),
        m.elapsed,
        m.peak / 1024
    );
    if let Some(code) = code {
        assert_eq!(e.code(), code, "{e}");
    }
    assert!(!e.is_retryable(), "{e:?}");
    assert!(m.elapsed.as_millis() < max_ms, "took {:?}", m.elapsed);
    assert!(m.peak < max_bytes, "allocated {} bytes at peak", m.peak);
}

#[test]
fn ampersands_without_semicolons_are_scanned_once() {
    // Each '&' used to search the rest of the body for a ';': quadratic in the input.
    let mut svg = String::from(
        r#"<!DOCTYPE svg [<!ENTITY a "b">]><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>"#,
    );
    svg.push_str(&"&".repeat(1_500_000));
    svg.push_str("</text></svg>");
    refused_within("amp.svg", svg.as_bytes(), None, 5_000, 16 * MIB);
}

#[test]
fn many_references_to_a_shared_id_are_refused_while_collected() {
    // 10,000 elements share one id and one attribute names it 100,000 times: the edges would
    // be 10^9 before the node count was checked.
    let mut svg =
        String::from(r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><defs>"#);
    svg.push_str(&r#"<g id="a"/>"#.repeat(10_000));
    svg.push_str(r#"</defs><rect width="10" height="10" fill=""#);
    svg.push_str(&"url(#a)".repeat(100_000));
    svg.push_str(r#""/></svg>"#);
    refused_within(
        "shared-id.svg",
        svg.as_bytes(),
        Some("svg_use_expansion"),
        5_000,
        64 * MIB,
    );
}

#[test]
fn a_css_rule_of_many_references_over_every_element_is_refused_while_collected() {
    // One `*` rule with 20,000 distinct url() targets over 5,000 elements: 10^8 stored
    // references before the node count was checked.
    let mut svg = String::from(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><style>*{fill:"#,
    );
    for i in 0..20_000 {
        svg.push_str(&format!("url(#g{i})"));
    }
    svg.push_str("}</style>");
    for i in 0..5_000 {
        svg.push_str(&format!(r#"<g id="g{i}"/>"#));
    }
    svg.push_str("</svg>");
    refused_within(
        "css-refs.svg",
        svg.as_bytes(),
        Some("svg_use_expansion"),
        10_000,
        64 * MIB,
    );
}
