#!/usr/bin/env python3
"""Generate one small file per hostile input class for `run.sh`.

Every file is within the limits the pipeline had before render budgets: at most 10 MiB, at most
2 MiB for an SVG, at most 20,000 XML nodes, at most 16 megapixels. Each is built so that the
expensive part only appears while decoding or rendering (a filter radius, an entity expansion, a
selector's backtracking, a scan count, a compressed chunk), which is what the render helper's
kernel limits and the SVG/JPEG pre-checks are for.

Only the standard library is used (zlib, struct, base64): the rasters are written by hand, so the
files are exactly what their names say and no encoder quietly normalises them.

    python3 make_hostile.py OUT_DIR

writes OUT_DIR/<class>.<ext> and OUT_DIR/classes.tsv (class, file, what it is).
"""

import base64
import os
import re
import struct
import sys
import zlib

SVG_NS = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
MAX_SVG_BYTES = 2 * 1024 * 1024
MAX_BYTES = 10 * 1024 * 1024
MAX_SVG_NODES = 20_000


def svg(body, size=256, prolog=""):
    return (
        f'{prolog}<svg {SVG_NS} width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}">{body}</svg>'
    ).encode()


# ---- rasters, by hand ---------------------------------------------------------------------------


def png_chunk(kind, data):
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png(width, height, rows, extra_chunks=(), level=9):
    """An 8-bit RGBA PNG; `rows(y)` returns the raw RGBA bytes of row y (filter 0 is added)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    z = zlib.compressobj(level)
    idat = bytearray()
    for y in range(height):
        idat += z.compress(b"\x00" + rows(y))
    idat += z.flush()
    out = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
    for kind, data in extra_chunks:
        out += png_chunk(kind, data)
    return out + png_chunk(b"IDAT", bytes(idat)) + png_chunk(b"IEND", b"")


def logo_rows(size):
    """A typical logo: a red disc and a dark bar on transparency."""
    c = size // 2
    r2 = (c * 2 // 3) ** 2

    def row(y):
        out = bytearray()
        for x in range(size):
            dx, dy = x - c, y - c
            if dx * dx + dy * dy < r2:
                out += b"\xc8\x28\x3c\xff"
            elif abs(y - c * 3 // 2) < c // 10:
                out += b"\x1e\x1e\x1e\xff"
            else:
                out += b"\x00\x00\x00\x00"
        return bytes(out)

    return row


def zlib_of_zeros(total, level=9):
    """zlib stream of `total` zero bytes, compressed a chunk at a time (about 1:1000)."""
    z = zlib.compressobj(level)
    chunk = bytes(1 << 20)
    out = bytearray()
    left = total
    while left > 0:
        n = min(left, len(chunk))
        out += z.compress(chunk[:n])
        left -= n
    out += z.flush()
    return bytes(out)


def jpeg_many_scans(width, height, scans):
    """A progressive (SOF2) greyscale JPEG header followed by `scans` empty DC scans."""

    def seg(marker, body):
        return b"\xff" + bytes([marker]) + struct.pack(">H", len(body) + 2) + body

    out = b"\xff\xd8"
    out += seg(0xDB, b"\x00" + b"\x01" * 64)  # DQT 0, all ones
    out += seg(0xC2, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")  # SOF2
    out += seg(0xC4, b"\x00" + b"\x01" + b"\x00" * 15 + b"\x00")  # DHT DC 0: one 1-bit code
    sos = seg(0xDA, b"\x01" + b"\x01\x00" + b"\x00\x00\x00")  # DC first scan, no data
    out += sos * scans
    return out + b"\xff\xd9"


# ---- the classes --------------------------------------------------------------------------------


def control_svg():
    return svg(
        '<defs><linearGradient id="g" x1="0" x2="1"><stop offset="0" stop-color="#0a7"/>'
        '<stop offset="1" stop-color="#07a"/></linearGradient></defs>'
        '<rect x="16" y="16" width="224" height="224" rx="40" fill="url(#g)"/>'
        '<path d="M60 190 L128 60 L196 190 Z" fill="#fff"/>'
    )


def morphology():
    return svg(
        '<filter id="f" x="0" y="0" width="1" height="1">'
        '<feMorphology operator="dilate" radius="100000"/></filter>'
        '<rect width="256" height="256" fill="#08c" filter="url(#f)"/>'
        '<circle cx="128" cy="128" r="40" fill="#fff"/>'
    )


def turbulence():
    return svg(
        '<filter id="f" x="0" y="0" width="1" height="1">'
        '<feTurbulence baseFrequency="0.05" numOctaves="2000000000" type="fractalNoise"/>'
        '</filter><rect width="256" height="256" filter="url(#f)"/>'
    )


def convolve():
    order = 256
    kernel = " ".join(["1"] * (order * order))
    return svg(
        '<filter id="f" x="0" y="0" width="1" height="1">'
        f'<feConvolveMatrix order="{order}" kernelMatrix="{kernel}"/></filter>'
        '<rect width="256" height="256" fill="#08c" filter="url(#f)"/>'
    )


def css_star_rules():
    """300,000 `*` rules (1,000 selector lists of 300) over 15,000 rects."""
    lists = ",".join(["*"] * 300)
    style = "".join(f"{lists}{{fill:#{i % 4096:03x}}}" for i in range(1000))
    rects = '<rect width="1" height="1"/>' * 15_000
    return svg(f"<style>{style}</style><g>{rects}</g>")


def css_descendant():
    """Selectors of 60 descendant steps whose first step never matches, over 100 nested groups
    each holding a rect: a matcher that backtracks tries every way to place the steps."""
    depth = 100
    selector = "nomatch " + " ".join(["g"] * 60) + " rect"
    style = "".join(f"{selector}{{fill:#{i:03x}}}" for i in range(200))
    tree = '<g><rect width="2" height="2"/>' * depth + "</g>" * depth
    return svg(f"<style>{style}</style>{tree}")


def laughs(into):
    """Billion laughs in 8 KiB: ten levels of entities, each ten of the one below. The DTD stays
    within the first 4 KiB, where the format sniffer looks for `<svg`; the rest of the file is a
    comment inside the drawing."""
    base = "ha" * 1000
    decls = [f'<!ENTITY l0 "{base}">']
    for i in range(1, 10):
        decls.append(f'<!ENTITY l{i} "' + f"&l{i - 1};" * 10 + '">')
    prolog = '<?xml version="1.0"?>\n<!DOCTYPE svg [\n' + "\n".join(decls) + "\n]>\n"
    if into == "attribute":
        body = '<rect width="256" height="256" fill="#08c" class="&l9;"/>'
    else:
        body = '<text x="10" y="40" font-size="20">&l9;</text>'
    padding = "<!--" + " ." * ((8192 - len(prolog) - len(body) - 200) // 2) + " -->"
    return svg(padding + body, prolog=prolog)


def laughs_long_prolog():
    """The same entities with a 7 KiB DTD: `<svg` starts after the sniffer's 4 KiB."""
    base = "ha" * 3500
    decls = [f'<!ENTITY l0 "{base}">']
    for i in range(1, 10):
        decls.append(f'<!ENTITY l{i} "' + f"&l{i - 1};" * 10 + '">')
    prolog = '<?xml version="1.0"?>\n<!DOCTYPE svg [\n' + "\n".join(decls) + "\n]>\n"
    return svg('<text x="10" y="40" font-size="20">&l9;</text>', prolog=prolog)


def use_fanout():
    """Ten levels of ten `<use>` each: 10^10 rects once instantiated."""
    defs = ['<rect id="u0" width="1" height="1" fill="#08c"/>']
    for i in range(1, 11):
        uses = "".join(f'<use xlink:href="#u{i - 1}" href="#u{i - 1}"/>' for _ in range(10))
        defs.append(f'<g id="u{i}">{uses}</g>')
    return svg("<defs>" + "".join(defs) + '</defs><use xlink:href="#u10" href="#u10"/>')


def huge_text():
    words = "logofill renders hostile text "
    run = (words * (1_900_000 // len(words)))[:1_900_000]
    return svg(f'<text x="0" y="128" font-size="12">{run}</text>')


def filter_chain():
    """One filter of 18,000 blurs over a region 20 times the drawing on each side."""
    prims = '<feGaussianBlur stdDeviation="30"/>' * 18_000
    return svg(
        f'<filter id="f" x="-10" y="-10" width="20" height="20">{prims}</filter>'
        '<rect width="256" height="256" fill="#08c" filter="url(#f)"/>'
    )


def embedded_16mp():
    """A 4000x4000 PNG (flat, so about 60 KiB) as a data: URI, drawn 2,000 times via `<use>`."""
    row = b"\x10\x80\xc0\xff" * 4000
    raster = png(4000, 4000, lambda y: row)
    uri = "data:image/png;base64," + base64.b64encode(raster).decode()
    uses = '<use xlink:href="#i" href="#i"/>' * 2000
    return svg(
        f'<defs><image id="i" width="256" height="256" xlink:href="{uri}" href="{uri}"/></defs>'
        + uses
    )


def nested_groups():
    n = 19_000
    return svg("<g>" * n + '<rect width="256" height="256" fill="#08c"/>' + "</g>" * n)


def jpeg_scans():
    return jpeg_many_scans(4000, 4000, 100_000)


def png_ztxt_bomb():
    data = b"Comment\x00\x00" + zlib_of_zeros(1 << 30)
    return png(64, 64, logo_rows(64), extra_chunks=[(b"zTXt", data)])


def png_iccp_bomb():
    data = b"ICC profile\x00\x00" + zlib_of_zeros(1 << 30)
    return png(64, 64, logo_rows(64), extra_chunks=[(b"iCCP", data)])


def control_png():
    return png(512, 512, logo_rows(512), level=6)


CLASSES = [
    ("control-png", "png", control_png, "a 512x512 RGBA logo (control)"),
    ("control-svg", "svg", control_svg, "a gradient square and a path (control)"),
    ("fe-morphology", "svg", morphology, "feMorphology radius 100000"),
    ("fe-turbulence", "svg", turbulence, "feTurbulence numOctaves 2e9"),
    ("fe-convolve", "svg", convolve, "feConvolveMatrix order 256 (65,536 kernel values)"),
    ("css-star-rules", "svg", css_star_rules, "300,000 `*` rules over 15,000 rects"),
    ("css-descendant", "svg", css_descendant, "200 selectors of 60 descendant steps, 100 levels"),
    ("dtd-attribute", "svg", lambda: laughs("attribute"), "billion laughs into an attribute"),
    ("dtd-text", "svg", lambda: laughs("text"), "billion laughs into text"),
    ("dtd-long-prolog", "svg", laughs_long_prolog, "billion laughs into text, 7 KiB DTD"),
    ("use-fanout", "svg", use_fanout, "10 levels of 10 nested <use> (10^10 rects)"),
    ("huge-text", "svg", huge_text, "one <text> of 1.9 million characters"),
    ("filter-chain", "svg", filter_chain, "18,000 blurs in one filter, region 20x"),
    ("embedded-16mp", "svg", embedded_16mp, "16 MP PNG data: URI drawn 2,000 times"),
    ("nested-groups", "svg", nested_groups, "19,000 nested <g>"),
    ("jpeg-scans", "jpg", jpeg_scans, "4000x4000 SOF2 header and 100,000 empty scans"),
    ("png-ztxt-bomb", "png", png_ztxt_bomb, "64x64 PNG, zTXt inflating to 1 GiB"),
    ("png-iccp-bomb", "png", png_iccp_bomb, "64x64 PNG, iCCP inflating to 1 GiB"),
]


def xml_nodes(data):
    """Elements and non-blank text runs of the <svg> element: what a parser counts as nodes."""
    body = data.decode(errors="replace")
    body = body[body.find("<svg"):]
    elements = len(re.findall(r"<[A-Za-z]", body))
    texts = len(re.findall(r">[^<]*[^<\s][^<]*<", body))
    return elements + texts


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_hostile.py OUT_DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rows = []
    for name, ext, make, what in CLASSES:
        data = make()
        limit = MAX_SVG_BYTES if ext == "svg" else MAX_BYTES
        assert len(data) <= limit, f"{name} is {len(data)} bytes, over {limit}"
        if ext == "svg":
            nodes = xml_nodes(data)
            assert nodes <= MAX_SVG_NODES, f"{name} has about {nodes} nodes"
        path = os.path.join(out, f"{name}.{ext}")
        with open(path, "wb") as f:
            f.write(data)
        rows.append(f"{name}\t{path}\t{what}")
        print(f"{name:<16} {len(data):>9} bytes  {what}", file=sys.stderr)
    with open(os.path.join(out, "classes.tsv"), "w") as f:
        f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
