//! What converting and rendering an SVG would cost, read before the expensive step: from the
//! roxmltree document before usvg converts it, and from the usvg tree before resvg renders it.
//!
//! The question each check answers is "what is the most work or memory a small input can make
//! this step do?":
//! - Nesting: usvg's converter and resvg's renderer recurse once per level; 19,000 nested
//!   `<g>` overflowed the stack. Depth is counted through `<use>` too, since usvg instantiates
//!   the referenced subtree under the `<use>` as a new group.
//! - Instantiation: a `<use>` copies its target, and a `url(#...)` reference to a clip path,
//!   mask, marker, pattern or filter in `objectBoundingBox` units is converted once per element
//!   that uses it. So the count is, per element, itself plus its children plus everything it
//!   references, memoised per node (a reference to a subtree that itself references is counted
//!   once per node, not walked again), in saturating arithmetic. Referenced definitions are also
//!   counted where they stand, so the figure is an upper bound of at most twice the truth for a
//!   document whose definitions are used once. References set by CSS rules are found by
//!   matching those rules, after the CSS cost itself has been bounded. A `<use>` cycle is
//!   refused (usvg would instantiate it until its own depth of 1024); a `url(#...)` cycle counts
//!   nothing, as usvg drops it.
//! - Text: every character inside `<text>` is shaped and outlined; counted after instantiation.
//! - CSS: usvg matches every rule against every element, and simplecss matches a descendant
//!   selector by backtracking over ancestors: a selector with `k` descendant combinators may try
//!   up to C(d, 0) + ... + C(d, k) ancestor combinations on an element with `d` ancestors. That
//!   bound, times the selector's compound selectors, summed over rules and elements, is checked
//!   against `max_svg_css_match_steps`, besides the rule count and the total CSS bytes.
//! - Filters: resvg keeps each primitive's result (a filter-region pixmap) until the filter
//!   ends; feMorphology costs (2r)^2 per pixel with its radius in device pixels, feTurbulence
//!   one noise evaluation per octave per pixel, feConvolveMatrix orderX x orderY per pixel; the
//!   filter region is sized from the filter's own rectangle, not clipped to the canvas. These
//!   are read from the usvg tree, where units, inheritance and CSS are resolved, with the
//!   transform of the largest render.

use std::collections::HashMap;

use resvg::usvg::{self, roxmltree};

use crate::{ImageError, PipelineLimits};

/// Element nesting of the source text, read before roxmltree parses it: roxmltree's tokenizer
/// recurses once per nested element too, so the tree cannot be built first. Comments, CDATA,
/// processing instructions and quoted attribute values are skipped, so the count is never
/// lower than roxmltree's.
pub(crate) fn check_source_depth(
    name: &str,
    text: &str,
    limits: &PipelineLimits,
) -> Result<(), ImageError> {
    let b = text.as_bytes();
    let skip_past = |from: usize, close: &str| {
        text[from..]
            .find(close)
            .map(|p| from + p + close.len())
            .unwrap_or(b.len())
    };
    let mut depth: u64 = 0;
    let mut max_depth: u64 = 0;
    let mut i = 0;
    while let Some(p) = text[i..].find('<') {
        i += p;
        let rest = &b[i..];
        if rest.starts_with(b"<!--") {
            i = skip_past(i, "-->");
        } else if rest.starts_with(b"<![CDATA[") {
            i = skip_past(i, "]]>");
        } else if rest.starts_with(b"<?") {
            i = skip_past(i, "?>");
        } else if rest.starts_with(b"<!") {
            i = skip_past(i, ">");
        } else if rest.starts_with(b"</") {
            depth = depth.saturating_sub(1);
            i = skip_past(i, ">");
        } else {
            depth += 1;
            max_depth = max_depth.max(depth);
            // To the end of the tag, quotes honoured.
            let mut quote = None;
            let mut j = i + 1;
            while j < b.len() {
                match (quote, b[j]) {
                    (Some(q), c) if c == q => quote = None,
                    (Some(_), _) => {}
                    (None, c @ (b'"' | b'\'')) => quote = Some(c),
                    (None, b'>') => break,
                    _ => {}
                }
                j += 1;
            }
            if j > 0 && b.get(j - 1) == Some(&b'/') {
                depth -= 1;
            }
            i = (j + 1).min(b.len());
        }
    }
    if max_depth > u64::from(limits.max_svg_depth) {
        return Err(ImageError::SvgTooDeep {
            name: name.to_string(),
            depth: max_depth,
            limit: limits.max_svg_depth,
        });
    }
    Ok(())
}

/// What one element instantiates, itself included.
#[derive(Debug, Clone, Copy, Default)]
struct Cost {
    nodes: u64,
    text: u64,
    images: u64,
    depth: u64,
}

impl Cost {
    fn add(&mut self, other: Cost) {
        self.nodes = self.nodes.saturating_add(other.nodes);
        self.text = self.text.saturating_add(other.text);
        self.images = self.images.saturating_add(other.images);
        self.depth = self.depth.max(other.depth.saturating_add(1));
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edge {
    Child,
    /// `<use>` / `<tref>`: the target is copied here.
    Use,
    /// `url(#...)` or an inheriting `href`: the target is converted for this element.
    Reference,
}

/// Checks a parsed SVG document before usvg converts it.
pub(crate) fn check_document(
    name: &str,
    doc: &roxmltree::Document,
    limits: &PipelineLimits,
) -> Result<(), ImageError> {
    let node_count = doc.descendants().count();
    // Plain nesting first, without recursion; also the depth histogram for the CSS bound and
    // the characters of text that are inside a `<text>`.
    let mut depth_of = vec![0u32; node_count + 1];
    let mut local_text = vec![0u64; node_count + 1];
    let mut histogram: Vec<u64> = Vec::new();
    let mut in_text = vec![false; node_count + 1];
    let mut max_depth: u32 = 0;
    let mut style_bytes: u64 = 0;
    // Document order visits a parent before its children.
    for n in doc.descendants() {
        let parent = n.parent().map(|p| p.id().get_usize());
        if n.is_element() {
            let idx = n.id().get_usize();
            let depth = parent.map(|p| depth_of[p]).unwrap_or(0) + 1;
            depth_of[idx] = depth;
            max_depth = max_depth.max(depth);
            if histogram.len() <= depth as usize {
                histogram.resize(depth as usize + 1, 0);
            }
            histogram[depth as usize] += 1;
            in_text[idx] = n.tag_name().name() == "text" || parent.is_some_and(|p| in_text[p]);
            if let Some(style) = n.attribute("style") {
                style_bytes = style_bytes.saturating_add(style.len() as u64);
            }
        } else if n.is_text() {
            let text = n.text().unwrap_or("");
            if let Some(p) = parent {
                if in_text[p] {
                    local_text[p] += text.chars().count() as u64;
                }
            }
            if n.parent().is_some_and(|p| p.has_tag_name("style")) {
                style_bytes = style_bytes.saturating_add(text.len() as u64);
            }
        }
    }
    if max_depth > limits.max_svg_depth {
        return Err(ImageError::SvgTooDeep {
            name: name.to_string(),
            depth: max_depth as u64,
            limit: limits.max_svg_depth,
        });
    }
    if style_bytes > limits.max_svg_style_bytes {
        return Err(ImageError::SvgStyleTooLarge {
            name: name.to_string(),
            bytes: style_bytes,
            limit: limits.max_svg_style_bytes,
        });
    }
    // simplecss's parser is quadratic in the rule count (20,000 rules took 250 s in a debug
    // build): count them from the text before it parses anything.
    let rules: u64 = style_texts(doc).map(css_rule_upper_bound).sum();
    if rules > limits.max_svg_css_rules {
        return Err(ImageError::SvgTooManyCssRules {
            name: name.to_string(),
            rules,
            limit: limits.max_svg_css_rules,
        });
    }
    let sheet = style_sheet(doc);
    check_css(name, &sheet, &histogram, limits)?;
    check_filter_lengths(name, doc, limits)?;
    check_instantiation(name, doc, &sheet, &depth_of, &local_text, limits)
}

/// The text of every `<style>` usvg reads: of type `text/css` or none.
fn style_texts<'a>(doc: &'a roxmltree::Document<'a>) -> impl Iterator<Item = &'a str> {
    doc.descendants()
        .filter(|n| n.has_tag_name("style"))
        .filter(|n| !matches!(n.attribute("type"), Some(t) if t != "text/css"))
        .filter_map(|n| n.text())
}

/// The style sheet as usvg builds it.
fn style_sheet<'a>(doc: &'a roxmltree::Document<'a>) -> simplecss::StyleSheet<'a> {
    let mut sheet = simplecss::StyleSheet::new();
    for text in style_texts(doc) {
        sheet.parse_more(text);
    }
    sheet
}

/// At least as many rules as simplecss makes of `css`: one per selector of each top-level
/// block (each comma outside braces starts another). Comments are skipped; a comma in a
/// string or an at-rule prelude only makes the count higher.
fn css_rule_upper_bound(css: &str) -> u64 {
    let b = css.as_bytes();
    let mut rules = 0u64;
    let mut depth = 0u32;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = css[i + 2..]
                    .find("*/")
                    .map(|p| i + 2 + p + 2)
                    .unwrap_or(b.len());
                continue;
            }
            b'{' => {
                if depth == 0 {
                    rules += 1;
                }
                depth += 1;
            }
            b'}' => depth = depth.saturating_sub(1),
            b',' if depth == 0 => rules += 1,
            _ => {}
        }
        i += 1;
    }
    rules
}

fn check_css(
    name: &str,
    sheet: &simplecss::StyleSheet,
    histogram: &[u64],
    limits: &PipelineLimits,
) -> Result<(), ImageError> {
    let rules = sheet.rules.len() as u64;
    if rules > limits.max_svg_css_rules {
        return Err(ImageError::SvgTooManyCssRules {
            name: name.to_string(),
            rules,
            limit: limits.max_svg_css_rules,
        });
    }
    // steps_for[k]: sum over elements of the ancestor combinations a selector with k descendant
    // combinators may try on it.
    let mut steps_for: Vec<Option<u64>> = Vec::new();
    let mut steps: u64 = 0;
    for rule in &sheet.rules {
        let (compounds, descendants) = selector_shape(&rule.selector.to_string());
        if steps_for.len() <= descendants {
            steps_for.resize(descendants + 1, None);
        }
        let per = *steps_for[descendants].get_or_insert_with(|| {
            histogram
                .iter()
                .enumerate()
                .skip(1)
                .fold(0u64, |acc, (d, count)| {
                    acc.saturating_add(
                        count.saturating_mul(combinations_up_to(d as u64 - 1, descendants as u64)),
                    )
                })
        });
        steps = steps.saturating_add(per.saturating_mul(compounds));
    }
    if steps > limits.max_svg_css_match_steps {
        return Err(ImageError::SvgCssTooComplex {
            name: name.to_string(),
            steps,
            limit: limits.max_svg_css_match_steps,
        });
    }
    Ok(())
}

/// Compound selectors and descendant combinators of a selector, read from simplecss's own
/// rendering of it (`a b > c`). Attribute selectors are skipped whole, so a space inside one is
/// never taken for a combinator.
fn selector_shape(selector: &str) -> (u64, usize) {
    let mut cleaned = String::with_capacity(selector.len());
    let mut in_brackets = false;
    for c in selector.chars() {
        match c {
            '[' if !in_brackets => in_brackets = true,
            ']' if in_brackets => in_brackets = false,
            c if !in_brackets => cleaned.push(c),
            _ => {}
        }
    }
    let mut compounds = 0u64;
    let mut descendants = 0usize;
    let mut previous_was_compound = false;
    for token in cleaned.split(' ').filter(|t| !t.is_empty()) {
        if token == ">" || token == "+" {
            previous_was_compound = false;
            continue;
        }
        if previous_was_compound {
            descendants += 1;
        }
        compounds += 1;
        previous_was_compound = true;
    }
    (compounds.max(1), descendants)
}

/// C(n, 0) + C(n, 1) + ... + C(n, k), saturating.
fn combinations_up_to(n: u64, k: u64) -> u64 {
    let mut sum: u64 = 1;
    let mut term: u128 = 1;
    for j in 1..=k.min(n) {
        term = term * (n - j + 1) as u128 / j as u128;
        sum = sum.saturating_add(u64::try_from(term).unwrap_or(u64::MAX));
        if term > u64::MAX as u128 {
            return u64::MAX;
        }
    }
    sum
}

fn check_filter_lengths(
    name: &str,
    doc: &roxmltree::Document,
    limits: &PipelineLimits,
) -> Result<(), ImageError> {
    for filter in doc.descendants().filter(|n| n.has_tag_name("filter")) {
        let primitives = filter.children().filter(|c| c.is_element()).count() as u64;
        if primitives > limits.max_svg_filter_primitives {
            return Err(ImageError::SvgFilterTooLong {
                name: name.to_string(),
                primitives,
                limit: limits.max_svg_filter_primitives,
            });
        }
    }
    Ok(())
}

/// The `#id` targets of `url(#id)` in an attribute value or a CSS declaration.
fn url_targets(value: &str) -> impl Iterator<Item = &str> {
    value.match_indices("url(").filter_map(move |(i, _)| {
        let rest = value[i + 4..].trim_start();
        let rest = rest.strip_prefix(['"', '\'']).unwrap_or(rest);
        let rest = rest.strip_prefix('#')?;
        let end = rest
            .find(|c: char| c == ')' || c == '"' || c == '\'' || c.is_whitespace())
            .unwrap_or(rest.len());
        Some(&rest[..end])
    })
}

/// Elements whose `href` (any namespace) copies its target into the element.
fn copies_href(tag: &str) -> bool {
    matches!(tag, "use" | "tref")
}

/// Elements whose `href` makes usvg convert its target for them.
fn follows_href(tag: &str) -> bool {
    matches!(
        tag,
        "pattern"
            | "linearGradient"
            | "radialGradient"
            | "filter"
            | "textPath"
            | "feImage"
            | "mpath"
    )
}

fn href<'a>(node: roxmltree::Node<'a, '_>) -> Option<&'a str> {
    node.attributes()
        .find(|a| a.name() == "href")
        .map(|a| a.value())
}

fn check_instantiation<'a, 'input>(
    name: &str,
    doc: &'a roxmltree::Document<'input>,
    sheet: &simplecss::StyleSheet,
    depth_of: &[u32],
    local_text: &[u64],
    limits: &PipelineLimits,
) -> Result<(), ImageError> {
    let mut ids: HashMap<&str, Vec<roxmltree::Node<'a, 'input>>> = HashMap::new();
    for n in doc.descendants().filter(|n| n.is_element()) {
        if let Some(id) = n.attribute("id") {
            ids.entry(id).or_default().push(n);
        }
    }
    let limit = limits.max_svg_instantiated_nodes;
    let too_many = |nodes: u64| ImageError::SvgUseExpansion {
        name: name.to_string(),
        nodes,
        limit,
    };
    // References set by CSS rules, found by matching the rules that hold one. Every stored
    // reference instantiates at least one node, so their count is bounded by the node limit
    // while they are collected (a rule of many `url()`s matching every element would
    // otherwise hold elements x references before any check).
    let mut css_refs: HashMap<usize, Vec<&str>> = HashMap::new();
    let mut css_ref_count = 0u64;
    for rule in &sheet.rules {
        let mut targets: Vec<&str> = rule
            .declarations
            .iter()
            .flat_map(|d| url_targets(d.value))
            .collect();
        targets.sort_unstable();
        targets.dedup();
        if targets.is_empty() {
            continue;
        }
        for n in doc.descendants().filter(|n| n.is_element()) {
            if rule.selector.matches(&XmlNode(n)) {
                css_ref_count += targets.len() as u64;
                if css_ref_count > limit {
                    return Err(too_many(css_ref_count));
                }
                css_refs
                    .entry(n.id().get_usize())
                    .or_default()
                    .extend(targets.iter().copied());
            }
        }
    }
    // An element's children and the elements it instantiates or references; `None` once they
    // are more than the node limit (many `url()`s to an id that many elements share).
    let deps =
        |n: roxmltree::Node<'a, 'input>| -> Option<Vec<(roxmltree::Node<'a, 'input>, Edge)>> {
            let mut out: Vec<(roxmltree::Node<'a, 'input>, Edge)> = n
                .children()
                .filter(|c| c.is_element())
                .map(|c| (c, Edge::Child))
                .collect();
            let tag = n.tag_name().name();
            let resolve = |id: &str| ids.get(id).map(|v| v.as_slice()).unwrap_or(&[]);
            if let Some(target) = href(n).and_then(|h| h.trim().strip_prefix('#')) {
                let kind = if copies_href(tag) {
                    Some(Edge::Use)
                } else if follows_href(tag) {
                    Some(Edge::Reference)
                } else {
                    None
                };
                if let Some(kind) = kind {
                    out.extend(resolve(target).iter().map(|t| (*t, kind)));
                }
            }
            let over = |out: &Vec<_>| out.len() as u64 > limit;
            for a in n.attributes() {
                for target in url_targets(a.value()) {
                    out.extend(resolve(target).iter().map(|t| (*t, Edge::Reference)));
                    if over(&out) {
                        return None;
                    }
                }
            }
            if let Some(targets) = css_refs.get(&n.id().get_usize()) {
                for target in targets {
                    out.extend(resolve(target).iter().map(|t| (*t, Edge::Reference)));
                    if over(&out) {
                        return None;
                    }
                }
            }
            (!over(&out)).then_some(out)
        };

    let slots = depth_of.len();
    let mut memo: Vec<Option<Cost>> = vec![None; slots];
    let mut open = vec![false; slots];
    let root = doc.root_element();
    let mut stack: Vec<(roxmltree::Node, bool)> = vec![(root, false)];
    while let Some((node, expanded)) = stack.pop() {
        let idx = node.id().get_usize();
        if memo[idx].is_some() {
            continue;
        }
        let Some(edges) = deps(node) else {
            return Err(too_many(limit + 1));
        };
        if !expanded {
            open[idx] = true;
            stack.push((node, true));
            for (target, kind) in &edges {
                let t = target.id().get_usize();
                if open[t] {
                    if *kind == Edge::Use {
                        return Err(ImageError::SvgUseCycle {
                            name: name.to_string(),
                            id: target.attribute("id").unwrap_or("").to_string(),
                        });
                    }
                } else if memo[t].is_none() {
                    stack.push((*target, false));
                }
            }
            continue;
        }
        let text_nodes = node.children().filter(|c| !c.is_element()).count() as u64;
        let mut cost = Cost {
            nodes: 1 + text_nodes,
            text: local_text[idx],
            images: u64::from(
                node.tag_name().name() == "image"
                    && href(node).is_some_and(|h| h.trim_start().starts_with("data:")),
            ),
            depth: 1,
        };
        for (target, _) in &edges {
            if let Some(c) = memo[target.id().get_usize()] {
                cost.add(c);
            }
        }
        open[idx] = false;
        memo[idx] = Some(cost);
        if cost.nodes > limits.max_svg_instantiated_nodes {
            return Err(ImageError::SvgUseExpansion {
                name: name.to_string(),
                nodes: cost.nodes,
                limit: limits.max_svg_instantiated_nodes,
            });
        }
        if cost.depth + u64::from(depth_of[idx]) - 1 > u64::from(limits.max_svg_depth) {
            return Err(ImageError::SvgTooDeep {
                name: name.to_string(),
                depth: cost.depth + u64::from(depth_of[idx]) - 1,
                limit: limits.max_svg_depth,
            });
        }
    }
    let total = memo[root.id().get_usize()].unwrap_or_default();
    if total.text > limits.max_svg_text_chars {
        return Err(ImageError::SvgTooMuchText {
            name: name.to_string(),
            chars: total.text,
            limit: limits.max_svg_text_chars,
        });
    }
    if total.images > limits.max_svg_images {
        return Err(ImageError::SvgTooManyImages {
            name: name.to_string(),
            images: total.images,
            limit: limits.max_svg_images,
        });
    }
    Ok(())
}

/// A roxmltree element as simplecss sees it, the way usvg presents it.
struct XmlNode<'a, 'input: 'a>(roxmltree::Node<'a, 'input>);

impl simplecss::Element for XmlNode<'_, '_> {
    fn parent_element(&self) -> Option<Self> {
        self.0.parent_element().map(XmlNode)
    }

    fn prev_sibling_element(&self) -> Option<Self> {
        self.0.prev_sibling_element().map(XmlNode)
    }

    fn has_local_name(&self, local_name: &str) -> bool {
        self.0.tag_name().name() == local_name
    }

    fn attribute_matches(&self, local_name: &str, operator: simplecss::AttributeOperator) -> bool {
        self.0
            .attribute(local_name)
            .is_some_and(|v| operator.matches(v))
    }

    fn pseudo_class_matches(&self, class: simplecss::PseudoClass) -> bool {
        matches!(class, simplecss::PseudoClass::FirstChild) && self.prev_sibling_element().is_none()
    }
}

/// Checks the filters of a converted tree before rendering. `scale` maps the tree's user space
/// to pixels of the largest render; `area` is the drawing's area in user space.
pub(crate) fn check_filters(
    name: &str,
    tree: &usvg::Tree,
    scale: f32,
    area: f32,
    limits: &PipelineLimits,
) -> Result<(), ImageError> {
    let mut applied: u64 = 0;
    walk_filters(name, tree.root(), scale, area, limits, &mut applied)
}

/// Recursion is bounded: nesting was checked against `max_svg_depth` before conversion.
fn walk_filters(
    name: &str,
    group: &usvg::Group,
    scale: f32,
    area: f32,
    limits: &PipelineLimits,
    applied: &mut u64,
) -> Result<(), ImageError> {
    for filter in group.filters() {
        *applied += 1;
        if *applied > limits.max_svg_filters {
            return Err(ImageError::SvgTooManyFilters {
                name: name.to_string(),
                filters: *applied,
                limit: limits.max_svg_filters,
            });
        }
        check_filter(name, filter, group.abs_transform(), scale, area, limits)?;
    }
    for node in group.children() {
        if let usvg::Node::Group(g) = node {
            walk_filters(name, g, scale, area, limits, applied)?;
        }
        let mut result = Ok(());
        node.subroots(|sub| {
            if result.is_ok() {
                result = walk_filters(name, sub, scale, area, limits, applied);
            }
        });
        result?;
    }
    Ok(())
}

fn check_filter(
    name: &str,
    filter: &usvg::filter::Filter,
    ts: usvg::Transform,
    scale: f32,
    area: f32,
    limits: &PipelineLimits,
) -> Result<(), ImageError> {
    let primitives = filter.primitives().len() as u64;
    if primitives > limits.max_svg_filter_primitives {
        return Err(ImageError::SvgFilterTooLong {
            name: name.to_string(),
            primitives,
            limit: limits.max_svg_filter_primitives,
        });
    }
    let (sx, sy) = ts.get_scale();
    let region = filter.rect();
    let ratio = (region.width() * sx) * (region.height() * sy) / area.max(f32::MIN_POSITIVE);
    // NaN (a degenerate transform) is refused too.
    if ratio.is_nan() || ratio > limits.max_svg_filter_area {
        return Err(ImageError::SvgFilterRegionTooLarge {
            name: name.to_string(),
            ratio,
            limit: limits.max_svg_filter_area,
        });
    }
    let parameter = |primitive, parameter, value: u64, limit: u64, unit| {
        if value > limit {
            Err(ImageError::SvgFilterParameter {
                name: name.to_string(),
                primitive,
                parameter,
                value,
                limit,
                unit,
            })
        } else {
            Ok(())
        }
    };
    let to_u64 = |v: f32| {
        if v.is_finite() {
            v.max(0.0).ceil() as u64
        } else {
            u64::MAX
        }
    };
    for p in filter.primitives() {
        match p.kind() {
            usvg::filter::Kind::Morphology(m) => {
                let r = (m.radius_x().get() * sx).max(m.radius_y().get() * sy) * scale;
                parameter(
                    "feMorphology",
                    "radius",
                    to_u64(r),
                    limits.max_svg_morphology_radius_px,
                    " px",
                )?;
            }
            usvg::filter::Kind::Turbulence(t) => parameter(
                "feTurbulence",
                "numOctaves",
                u64::from(t.num_octaves()),
                limits.max_svg_turbulence_octaves,
                "",
            )?,
            usvg::filter::Kind::ConvolveMatrix(c) => parameter(
                "feConvolveMatrix",
                "order",
                u64::from(c.matrix().columns().max(c.matrix().rows())),
                limits.max_svg_convolve_order,
                "",
            )?,
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selector_shapes() {
        assert_eq!(selector_shape(".st0"), (1, 0));
        assert_eq!(selector_shape("svg g .a"), (3, 2));
        assert_eq!(selector_shape("g > .a + b"), (3, 0));
        assert_eq!(selector_shape("g[class='a b c'] *"), (2, 1));
    }

    #[test]
    fn css_rules_are_counted_from_the_text() {
        assert_eq!(
            css_rule_upper_bound(".a{fill:red}.b,.c{x:y} /* {,} */ d{}"),
            4
        );
        assert_eq!(css_rule_upper_bound("@media print{.a{b:c}}"), 1);
    }

    #[test]
    fn combinations() {
        assert_eq!(combinations_up_to(0, 3), 1);
        assert_eq!(combinations_up_to(5, 0), 1);
        assert_eq!(combinations_up_to(5, 2), 1 + 5 + 10);
        assert_eq!(combinations_up_to(1000, 100), u64::MAX);
    }
}
