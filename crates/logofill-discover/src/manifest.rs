//! The web app manifest: only `icons[*].{src,sizes,type,purpose}` are read, one entry at a
//! time, within a byte cap and an icon cap, so a manifest of 100,000 icons costs what the cap
//! does and a deeply nested one is refused by serde_json's depth limit.

use url::Url;

use crate::{
    parse_sizes, resolve_source, Candidate, CandidateKind, DEFAULT_MAX_MANIFEST_ICONS,
    MAX_INLINE_SOURCE_BYTES, MAX_MANIFEST_BYTES,
};

/// Icons listed in a web app manifest, within the default limits.
pub fn candidates_from_manifest(json: &[u8], manifest_url: &Url) -> Vec<Candidate> {
    scan_manifest(
        json,
        manifest_url,
        MAX_MANIFEST_BYTES,
        DEFAULT_MAX_MANIFEST_ICONS,
    )
    .0
}

/// Icons listed in a web app manifest of at most `max_bytes` (larger is ignored), at most
/// `max_icons` of them; the count of the others is returned beside them. The `icons` array is
/// read one entry at a time and everything else is skipped without being kept, so a manifest
/// with 100,000 icons costs what `max_icons` do. JSON nested deeper than serde_json's limit
/// (128) is invalid: no icons.
pub fn scan_manifest(
    json: &[u8],
    manifest_url: &Url,
    max_bytes: usize,
    max_icons: usize,
) -> (Vec<Candidate>, usize) {
    if json.len() > max_bytes {
        return (Vec::new(), 0);
    }
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let seed = bounded::Top { max_icons };
    let Ok(icons) = serde::de::DeserializeSeed::deserialize(seed, &mut deserializer)
        .and_then(|icons| deserializer.end().map(|()| icons))
    else {
        return (Vec::new(), 0);
    };
    let skipped = icons.skipped;
    let candidates = icons
        .kept
        .into_iter()
        .filter_map(|icon| {
            let src = icon.src?;
            if src.trim().is_empty() || src.len() > MAX_INLINE_SOURCE_BYTES * 2 {
                return None;
            }
            let source = resolve_source(manifest_url, &src)?;
            Some(Candidate {
                declared_svg: source.looks_svg(icon.mime.as_deref()),
                declared_size: icon.sizes.as_deref().and_then(parse_sizes),
                source,
                kind: CandidateKind::Manifest,
                purpose_monochrome: icon
                    .purpose
                    .as_deref()
                    .is_some_and(|p| p.split_ascii_whitespace().all(|p| p == "monochrome")),
            })
        })
        .collect();
    (candidates, skipped)
}

/// The bounded reading of a manifest: only `icons[*].{src,sizes,type}` are kept.
mod bounded {
    use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

    pub(super) struct Icon {
        pub src: Option<String>,
        pub sizes: Option<String>,
        pub mime: Option<String>,
        pub purpose: Option<String>,
    }

    #[derive(Default)]
    pub(super) struct Icons {
        pub kept: Vec<Icon>,
        pub skipped: usize,
    }

    pub(super) struct Top {
        pub max_icons: usize,
    }

    impl<'de> DeserializeSeed<'de> for Top {
        type Value = Icons;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Icons, D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Top {
        type Value = Icons;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a web app manifest")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Icons, A::Error> {
            let mut icons = Icons::default();
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if key == "icons" {
                    map.next_value_seed(List {
                        icons: &mut icons,
                        max_icons: self.max_icons,
                    })?;
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(icons)
        }
        // Any other JSON value is a manifest without icons.
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Icons, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(Icons::default())
        }
        fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Icons, E> {
            Ok(Icons::default())
        }
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Icons, E> {
            Ok(Icons::default())
        }
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Icons, E> {
            Ok(Icons::default())
        }
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Icons, E> {
            Ok(Icons::default())
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Icons, E> {
            Ok(Icons::default())
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Icons, E> {
            Ok(Icons::default())
        }
    }

    struct List<'a> {
        icons: &'a mut Icons,
        max_icons: usize,
    }

    impl<'de> DeserializeSeed<'de> for List<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for List<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a list of icons")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            loop {
                if self.icons.kept.len() < self.max_icons {
                    let Some(value) = seq.next_element::<serde_json::Value>()? else {
                        return Ok(());
                    };
                    let text = |name: &str| value.get(name)?.as_str().map(str::to_string);
                    self.icons.kept.push(Icon {
                        src: text("src"),
                        sizes: text("sizes"),
                        mime: text("type"),
                        purpose: text("purpose"),
                    });
                } else {
                    if seq.next_element::<IgnoredAny>()?.is_none() {
                        return Ok(());
                    }
                    self.icons.skipped += 1;
                }
            }
        }
        // `"icons": null` or any other non-list: no icons.
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(())
        }
        fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_icons() {
        let json = br#"{"icons": [{"src": "i/192.png", "sizes": "192x192", "type": "image/png"}, {"src": "/512.png", "sizes": "512x512", "purpose": "monochrome"}, {"nosrc": 1}]}"#;
        let base = Url::parse("https://acme.example/app/manifest.json").unwrap();
        let found = candidates_from_manifest(json, &base);
        assert_eq!(found.len(), 2);
        assert_eq!(
            found[0].source.label(),
            "https://acme.example/app/i/192.png"
        );
        assert_eq!(found[1].declared_size, Some(512));
        assert!(found[1].purpose_monochrome && !found[0].purpose_monochrome);
        assert!(candidates_from_manifest(b"not json", &base).is_empty());
    }

    #[test]
    fn a_manifest_keeps_at_most_its_icon_limit_and_skips_everything_else() {
        let base = Url::parse("https://acme.example/manifest.json").unwrap();
        let icons: Vec<String> = (0..50)
            .map(|i| format!(r#"{{"src": "/{i}.png", "sizes": "{i}x{i}"}}"#))
            .collect();
        let json = format!(
            r##"{{"name": "Acme", "other": [[[1, 2], {{"x": null}}]], "icons": [{}], "theme": "#fff"}}"##,
            icons.join(",")
        );
        let (found, skipped) = scan_manifest(json.as_bytes(), &base, MAX_MANIFEST_BYTES, 5);
        assert_eq!(found.len(), 5);
        assert_eq!(skipped, 45);
        assert_eq!(found[4].declared_size, Some(4));
        for odd in [
            &b"[]"[..],
            b"null",
            b"\"icons\"",
            br#"{"icons": null}"#,
            br#"{"icons": {"src": "/x.png"}}"#,
            br#"{"icons": [1, "x", {"src": 5}]} trailing"#,
        ] {
            assert!(
                candidates_from_manifest(odd, &base).is_empty(),
                "{}",
                String::from_utf8_lossy(odd)
            );
        }
        let too_big = vec![b' '; MAX_MANIFEST_BYTES + 1];
        assert_eq!(
            scan_manifest(&too_big, &base, MAX_MANIFEST_BYTES, 5),
            (Vec::new(), 0)
        );
    }
}
