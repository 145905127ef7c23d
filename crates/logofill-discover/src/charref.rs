//! HTML character references in attribute values, decoded as a browser decodes them: the
//! numeric ones and the named ones a URL or an icon attribute plausibly holds.

/// Decode HTML character references in an attribute value: numeric ones (`&#47;`, `&#x2F;`,
/// with or without `;`) and the named ones a URL or a `rel`/`sizes`/`type` value plausibly
/// holds. Like a browser, a named reference without `;` is decoded only for the legacy four
/// (`&amp`, `&lt`, `&gt`, `&quot`) and not when a letter, digit or `=` follows; an unknown
/// name stays as written.
pub fn decode_char_refs(value: &str) -> std::borrow::Cow<'_, str> {
    if !value.contains('&') {
        return std::borrow::Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match decode_one(rest) {
            Some((ch, used)) => {
                out.push(ch);
                rest = &rest[used..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// The character a reference at the start of `s` (which starts with `&`) stands for, and how
/// many bytes it takes.
fn decode_one(s: &str) -> Option<(char, usize)> {
    let bytes = s.as_bytes();
    if bytes.get(1) == Some(&b'#') {
        let (hex, digits_at) = match bytes.get(2) {
            Some(b'x' | b'X') => (true, 3),
            _ => (false, 2),
        };
        let digits = bytes[digits_at..]
            .iter()
            .take_while(|b| {
                if hex {
                    b.is_ascii_hexdigit()
                } else {
                    b.is_ascii_digit()
                }
            })
            .count();
        if digits == 0 {
            return None;
        }
        let text = &s[digits_at..digits_at + digits];
        let code = u32::from_str_radix(text, if hex { 16 } else { 10 }).unwrap_or(u32::MAX);
        let mut used = digits_at + digits;
        if bytes.get(used) == Some(&b';') {
            used += 1;
        }
        let ch = match code {
            0 => '\u{FFFD}',
            c => char::from_u32(c).unwrap_or('\u{FFFD}'),
        };
        return Some((ch, used));
    }
    let name_len = bytes[1..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    let name = &s[1..1 + name_len];
    if bytes.get(1 + name_len) == Some(&b';') {
        let ch = NAMED_REFERENCES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, c)| *c)?;
        return Some((ch, name_len + 2));
    }
    // Legacy references without `;`: the longest known prefix, unless what follows it
    // continues a name or is `=` (then it is left alone, as in a browser's attribute).
    for (legacy, ch) in [("amp", '&'), ("lt", '<'), ("gt", '>'), ("quot", '"')] {
        if let Some(after) = name.strip_prefix(legacy) {
            if after.is_empty() && bytes.get(1 + name_len) != Some(&b'=') {
                return Some((ch, 1 + legacy.len()));
            }
            return None;
        }
    }
    None
}

/// Named character references that turn up in URLs and icon attributes.
const NAMED_REFERENCES: &[(&str, char)] = &[
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("nbsp", '\u{a0}'),
    ("sol", '/'),
    ("bsol", '\\'),
    ("colon", ':'),
    ("semi", ';'),
    ("period", '.'),
    ("comma", ','),
    ("quest", '?'),
    ("equals", '='),
    ("num", '#'),
    ("percnt", '%'),
    ("plus", '+'),
    ("minus", '\u{2212}'),
    ("lowbar", '_'),
    ("dash", '\u{2010}'),
    ("hyphen", '\u{2010}'),
    ("excl", '!'),
    ("commat", '@'),
    ("dollar", '$'),
    ("ast", '*'),
    ("lpar", '('),
    ("rpar", ')'),
    ("lsqb", '['),
    ("rsqb", ']'),
    ("lbrack", '['),
    ("rbrack", ']'),
    ("lcub", '{'),
    ("rcub", '}'),
    ("tilde", '~'),
    ("verbar", '|'),
    ("Hat", '^'),
    ("grave", '`'),
    ("Tab", '\t'),
    ("NewLine", '\n'),
];
