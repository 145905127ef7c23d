"""Builds placeholder-font.ttf and placeholder-ideographs.txt; run through make_font.sh.

One font file, because logofill-image's usvg font resolver takes the first face of its database
and has no fallback: every script must live in the face it picks. The parts:

  NanumSquare Bold   ASCII U+0020-007E, Hangul syllables U+AC00-D7A3 (glyphs exactly as before)
  Noto Sans Bold     Latin-1 letters, Latin Extended-A, monotonic Greek, Cyrillic
  Noto Sans Arabic   Arabic letters, digits, harakat, with the joining and mark features
  Noto Sans Hebrew   letters and points, with mark positioning
  Noto Sans Devanagari, Noto Sans Thai: the blocks, with the shaping features (conjuncts, marks)
  Noto Sans CJK Bold kana and JIS X 0208 level 1 kanji in the JP face; the GB2312 level 1 hanzi
                     that JIS level 1 lacks in the SC face (5,009 ideographs in all)

Noto Sans CJK is CFF; it is converted to TrueType quadratics (max error 1 unit of 1000) so it can
be merged with the glyf fonts. Hinting is dropped (a 64-512 px render does not need it), as are
kerning and vertical metrics. The vertical metrics of the merged font are NanumSquare's, so the
Latin and Hangul initials sit where they did before the other scripts were added.
"""

import io
import sys

from fontTools import subset
from fontTools.merge import Merger
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

NOTO = "/usr/share/fonts/truetype/noto/"
CJK = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
CJK_JP, CJK_SC = 0, 2  # face indices in the collection


def span(first, last):
    return list(range(first, last + 1))


# Keep in step with `font::RANGES` in src/font.rs (a test compares it with the cmap).
LATIN = span(0xC0, 0xD6) + span(0xD8, 0xF6) + span(0xF8, 0x17F)
GREEK = [0x386] + span(0x388, 0x38A) + [0x38C] + span(0x38E, 0x3A1) + span(0x3A3, 0x3CE)
CYRILLIC = span(0x400, 0x45F) + span(0x48A, 0x4FF)
ARABIC = span(0x621, 0x63A) + span(0x640, 0x669) + span(0x670, 0x6D3) + span(0x6F0, 0x6F9)
HEBREW = (span(0x5B0, 0x5BD) + [0x5BF, 0x5C1, 0x5C2, 0x5C4, 0x5C5, 0x5C7]
          + span(0x5D0, 0x5EA) + span(0x5F0, 0x5F2))
DEVANAGARI = span(0x900, 0x97F)
THAI = span(0xE01, 0xE3A) + span(0xE3F, 0xE5B)
KANA = span(0x3041, 0x3096) + span(0x3099, 0x30FF)

# OpenType features that shaping needs (joining forms, conjuncts, mark placement); kerning and
# stylistic features are left out.
SHAPING = ["ccmp", "locl", "isol", "init", "medi", "fina", "rlig", "liga", "calt", "mark",
           "mkmk", "curs", "nukt", "akhn", "rphf", "rkrf", "pref", "blwf", "abvf", "half",
           "pstf", "vatu", "cjct", "pres", "abvs", "blws", "psts", "haln", "abvm", "blwm", "dist"]


def double_byte_rows(codec, first_lead, last_lead):
    """Every character of the given lead-byte rows of an EUC double-byte codec."""
    out = set()
    for lead in range(first_lead, last_lead + 1):
        for trail in range(0xA1, 0xFF):
            try:
                out.add(ord(bytes([lead, trail]).decode(codec)))
            except UnicodeDecodeError:
                pass
    return out


GB2312_LEVEL1 = double_byte_rows("gb2312", 0xB0, 0xD7)  # rows 16-55
JIS_LEVEL1 = double_byte_rows("euc_jp", 0xB0, 0xCF)  # kuten rows 16-47
assert len(GB2312_LEVEL1) == 3755 and len(JIS_LEVEL1) == 2965
IDEOGRAPHS = sorted(GB2312_LEVEL1 | JIS_LEVEL1)
assert all(0x4E00 <= u <= 0x9FFF for u in IDEOGRAPHS)


def subset_part(path, index, unicodes, features):
    font = TTFont(path, fontNumber=index)
    cmap = font.getBestCmap()
    missing = [f"U+{u:04X}" for u in unicodes if u not in cmap]
    assert not missing, f"{path} face {index} has no glyph for {missing[:10]}"
    options = subset.Options()
    options.hinting = False
    options.desubroutinize = True
    options.layout_features = features
    options.name_IDs = []
    options.notdef_outline = True
    options.glyph_names = False
    options.drop_tables += ["DSIG", "BASE", "VORG", "vhea", "vmtx", "FFTM", "kern", "gasp"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)
    return reloaded(font)


def cff_to_glyf(font):
    """CFF cubic outlines to TrueType quadratic ones, so the part can be merged."""
    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        glyphs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf
    del font["CFF "]
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for attr in ("maxPoints", "maxContours", "maxCompositePoints", "maxCompositeContours",
                 "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                 "maxStackElements", "maxSizeOfInstructions", "maxComponentElements",
                 "maxComponentDepth"):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    maxp.numGlyphs = len(order)
    font["maxp"] = maxp
    font["post"].formatType = 3.0
    font.sfntVersion = "\x00\x01\x00\x00"
    return reloaded(font)


def serialized(font):
    buf = io.BytesIO()
    font.save(buf)
    buf.seek(0)
    return buf


def reloaded(font):
    return TTFont(serialized(font))


def main(base_path, font_out, ideographs_out):
    base = TTFont(base_path)
    parts = [
        base,
        subset_part(NOTO + "NotoSans-Bold.ttf", 0, LATIN + GREEK + CYRILLIC, []),
        subset_part(NOTO + "NotoSansArabic-Bold.ttf", 0, ARABIC, SHAPING),
        subset_part(NOTO + "NotoSansHebrew-Bold.ttf", 0, HEBREW, SHAPING),
        subset_part(NOTO + "NotoSansDevanagari-Bold.ttf", 0, DEVANAGARI, SHAPING),
        subset_part(NOTO + "NotoSansThai-Bold.ttf", 0, THAI, SHAPING),
        cff_to_glyf(subset_part(CJK, CJK_JP, KANA + sorted(JIS_LEVEL1), [])),
        cff_to_glyf(subset_part(CJK, CJK_SC, sorted(GB2312_LEVEL1 - JIS_LEVEL1), [])),
    ]
    assert len({p["head"].unitsPerEm for p in parts}) == 1, "every part must be 1000 upem"
    merged = reloaded(Merger().merge([serialized(p) for p in parts]))

    # The merger takes the largest extents of all parts; keep NanumSquare's, which place the
    # text baseline (usvg's dominant-baseline="central" reads ascender and descender).
    for table, attrs in {
        "hhea": ("ascent", "descent", "lineGap"),
        "OS/2": ("sTypoAscender", "sTypoDescender", "sTypoLineGap", "usWinAscent",
                 "usWinDescent", "sxHeight", "sCapHeight", "fsSelection", "usWeightClass"),
        "head": ("fontRevision", "created"),
    }.items():
        for attr in attrs:
            setattr(merged[table], attr, getattr(base[table], attr))
    # Stable output: no build timestamp.
    merged["head"].modified = merged["head"].created

    # Fresh names: the OFL reserves the originals' for unmodified versions.
    copyright_ = (base["name"].getDebugName(0)
                  + " Copyright 2015-2020 Google LLC (Noto Sans, Noto Sans Arabic, Hebrew,"
                  " Devanagari, Thai). (c) 2014-2021 Adobe (Noto Sans CJK).")
    names = merged["name"]
    names.names = []
    for name_id, text in {
        0: copyright_,
        1: "Logofill Placeholder",
        2: "Bold",
        3: "Logofill Placeholder Bold subset 2",
        4: "Logofill Placeholder Bold",
        5: "Version 2.000",
        6: "LogofillPlaceholder-Bold",
        13: "This Font Software is licensed under the SIL Open Font License, Version 1.1.",
        14: "https://openfontlicense.org",
        16: "Logofill Placeholder",
        17: "Bold",
    }.items():
        names.setName(text, name_id, 3, 1, 0x409)

    expected = (set(span(0x20, 0x7E)) | set(span(0xAC00, 0xD7A3)) | set(LATIN) | set(GREEK)
                | set(CYRILLIC) | set(ARABIC) | set(HEBREW) | set(DEVANAGARI) | set(THAI)
                | set(KANA) | set(IDEOGRAPHS))
    got = set(merged.getBestCmap())
    assert got == expected, f"cmap differs: extra {sorted(got - expected)[:10]}, " \
                            f"missing {sorted(expected - got)[:10]}"

    merged.recalcTimestamp = False
    merged.save(font_out)
    with open(ideographs_out, "w", encoding="utf-8") as out:
        for i in range(0, len(IDEOGRAPHS), 50):
            out.write("".join(chr(u) for u in IDEOGRAPHS[i:i + 50]) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
