#!/usr/bin/env python3
"""Builds the benchmark corpus in DIR (deterministic: fixed seed). Categories are folders:

  logos (the corpus the images/s target is about):
    png   RGBA logos with shapes, text, transparency, 120x40 .. 1200x400, some 16-bit/palette
    jpeg  logos on white, 300 .. 800 px, some with EXIF orientation
    svg   vector logos: paths, gradients, text, some without viewBox
    gif   flat-colour logos, some animated
    webp  lossy, lossless, with alpha, some animated
    ico   favicons with 3-6 entries (PNG- and BMP-encoded); sharp cannot read ICO
    bmp   24/32-bit BMP logos; sharp cannot read BMP
  photo     1600x1200 photographic JPEGs (a site sometimes gets a photo as a "logo")
  jpeg16mp  one 4000x4000 JPEG (exactly the 16 MP limit)
  png16mp   one 4000x4000 RGBA PNG logo artwork (exactly the 16 MP limit)
  png24mp   one 6000x4000 RGBA PNG: over the 16 MP limit, refused by both tools by design
  bomb      one 20000x20000 PNG of about 1.2 MB, refused from its header

Needs Pillow (pip install pillow)."""
import io, math, os, random, struct, sys, zlib
from PIL import Image, ImageDraw, ImageFilter

out = sys.argv[1]
rnd = random.Random(20261125)

def folder(name):
    p = os.path.join(out, name)
    os.makedirs(p, exist_ok=True)
    return p

def colour(alpha=255):
    return (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256), alpha)

def draw_logo(w, h, bg=(0, 0, 0, 0)):
    im = Image.new("RGBA", (w, h), bg)
    d = ImageDraw.Draw(im)
    for _ in range(rnd.randrange(2, 7)):
        x0, y0 = rnd.randrange(w), rnd.randrange(h)
        x1, y1 = x0 + rnd.randrange(w // 8 + 1, w // 2 + 2), y0 + rnd.randrange(h // 8 + 1, h // 2 + 2)
        shape = rnd.choice(["ellipse", "rect", "poly"])
        if shape == "ellipse":
            d.ellipse((x0, y0, x1, y1), fill=colour())
        elif shape == "rect":
            d.rounded_rectangle((x0, y0, x1, y1), radius=min(w, h) // 10, fill=colour())
        else:
            d.polygon([(rnd.randrange(w), rnd.randrange(h)) for _ in range(5)], fill=colour())
    d.text((w // 10, h // 3), rnd.choice(["ACME", "Globex", "Initech", "Umbrella", "Hooli"]), fill=colour(), font_size=max(10, h // 3))
    return im

def save(im, path, **kw):
    im.save(path, **kw)

# --- logos ---
p = folder("png")
for i in range(60):
    w = rnd.randrange(120, 1200); h = max(30, int(w / rnd.choice([1, 1.5, 2, 3, 4, 10])))
    im = draw_logo(w, h)
    kind = i % 6
    if kind == 4:
        im = im.convert("P", palette=Image.ADAPTIVE)
    if kind == 5:
        # 16-bit RGBA via raw PNG writing: Pillow cannot write 16-bit RGBA, so write it by hand.
        rgba = im.tobytes()
        raw = b"".join(b"\0" + b"".join(bytes([c, c]) for c in rgba[y * w * 4:(y + 1) * w * 4]) for y in range(h))
        def chunk(t, data):
            return struct.pack(">I", len(data)) + t + data + struct.pack(">I", zlib.crc32(t + data) & 0xffffffff)
        png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 6, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
        open(os.path.join(p, f"logo{i:03}.png"), "wb").write(png)
        continue
    save(im, os.path.join(p, f"logo{i:03}.png"), optimize=False)

p = folder("jpeg")
for i in range(25):
    s = rnd.randrange(300, 800)
    im = draw_logo(s, int(s * rnd.choice([1, 0.5, 0.75])), bg=(255, 255, 255, 255)).convert("RGB")
    kw = dict(quality=rnd.choice([75, 85, 92]), progressive=(i % 3 == 0))
    if i % 5 == 0:
        ex = Image.Exif(); ex[0x0112] = rnd.choice([3, 6, 8]); kw["exif"] = ex.tobytes()
    save(im, os.path.join(p, f"logo{i:03}.jpg"), **kw)

p = folder("svg")
for i in range(30):
    w, h = rnd.choice([(200, 80), (100, 100), (300, 100), (512, 512)])
    shapes = []
    for _ in range(rnd.randrange(3, 12)):
        c = "#%02x%02x%02x" % colour()[:3]
        pts = " ".join(f"{rnd.uniform(0, w):.1f},{rnd.uniform(0, h):.1f}" for _ in range(rnd.randrange(3, 9)))
        shapes.append(rnd.choice([
            f'<path d="M{pts.replace(" ", " L")} Z" fill="{c}"/>',
            f'<circle cx="{rnd.uniform(0, w):.1f}" cy="{rnd.uniform(0, h):.1f}" r="{rnd.uniform(5, h / 3):.1f}" fill="url(#g)" stroke="{c}" stroke-width="3"/>',
            f'<rect x="{rnd.uniform(0, w / 2):.1f}" y="{rnd.uniform(0, h / 2):.1f}" width="{w / 3:.1f}" height="{h / 3:.1f}" rx="6" fill="{c}" opacity="0.8"/>',
        ]))
    text = f'<text x="10" y="{h * 0.6:.0f}" font-family="sans-serif" font-size="{h // 4}" fill="#222">Logo {i}</text>'
    size_attrs = f'viewBox="0 0 {w} {h}"' if i % 5 else f'width="{w}" height="{h}"'
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" {size_attrs}><defs><linearGradient id="g">'
           f'<stop offset="0" stop-color="#e33"/><stop offset="1" stop-color="#33e"/></linearGradient></defs>'
           + "".join(shapes) + text + "</svg>")
    open(os.path.join(p, f"logo{i:03}.svg"), "w").write(svg)

p = folder("gif")
for i in range(15):
    im = draw_logo(rnd.randrange(100, 500), rnd.randrange(60, 300))
    if i % 3 == 0:
        frames = [im, im.rotate(10), im.rotate(20)]
        frames[0].save(os.path.join(p, f"logo{i:03}.gif"), save_all=True, append_images=frames[1:], duration=80, loop=0)
    else:
        im.save(os.path.join(p, f"logo{i:03}.gif"))

p = folder("webp")
for i in range(20):
    im = draw_logo(rnd.randrange(150, 700), rnd.randrange(80, 400))
    path = os.path.join(p, f"logo{i:03}.webp")
    if i % 4 == 0:
        im.save(path, save_all=True, append_images=[im.rotate(15)], duration=100, lossless=True)
    elif i % 2:
        im.save(path, lossless=True)
    else:
        im.save(path, quality=80)

p = folder("ico")
for i in range(20):
    base = draw_logo(256, 256)
    sizes = sorted(rnd.sample([16, 24, 32, 48, 64, 128, 256], rnd.randrange(3, 7)))
    if i % 2:
        base.save(os.path.join(p, f"favicon{i:03}.ico"), sizes=[(s, s) for s in sizes])
    else:
        # BMP-encoded entries (Pillow writes PNG entries; older favicons hold DIBs).
        entries = []
        for s in sizes:
            e = base.resize((s, s))
            rows = b"".join(bytes(c for px in [e.getpixel((x, y)) for x in range(s)] for c in (px[2], px[1], px[0], px[3])) for y in reversed(range(s)))
            mask = b"\0" * (((s + 31) // 32) * 4 * s)
            dib = struct.pack("<IiiHHIIiiII", 40, s, 2 * s, 1, 32, 0, len(rows) + len(mask), 0, 0, 0, 0) + rows + mask
            entries.append((s, dib))
        header = struct.pack("<HHH", 0, 1, len(entries))
        offset = 6 + 16 * len(entries)
        dirs, blobs = b"", b""
        for s, dib in entries:
            dirs += struct.pack("<BBBBHHII", s % 256, s % 256, 0, 0, 1, 32, len(dib), offset)
            offset += len(dib); blobs += dib
        open(os.path.join(p, f"favicon{i:03}.ico"), "wb").write(header + dirs + blobs)

p = folder("bmp")
for i in range(10):
    im = draw_logo(rnd.randrange(100, 600), rnd.randrange(60, 300), bg=(255, 255, 255, 255))
    (im if i % 2 else im.convert("RGB")).save(os.path.join(p, f"logo{i:03}.bmp"))

# --- photos and big inputs ---
def photo(w, h):
    small = Image.effect_noise((w // 8, h // 8), 60).convert("RGB")
    grad = Image.linear_gradient("L").resize((w // 8, h // 8)).convert("RGB")
    im = Image.blend(small, grad, 0.5).resize((w, h), Image.BICUBIC)
    noise = Image.effect_noise((w, h), 20).convert("RGB")
    return Image.blend(im, noise, 0.15).filter(ImageFilter.SMOOTH)

p = folder("photo")
for i in range(6):
    photo(1600, 1200).save(os.path.join(p, f"photo{i:03}.jpg"), quality=85)
photo(4000, 4000).save(os.path.join(folder("jpeg16mp"), "big.jpg"), quality=85)
# Big PNGs are artwork, not photos: a photo this size would be over the 10 MiB input limit.
big = draw_logo(4000, 4000)
big.save(os.path.join(folder("png16mp"), "big.png"))
draw_logo(6000, 4000).save(os.path.join(folder("png24mp"), "huge.png"))

# --- bomb: 20000x20000 RGB, all zero rows, compressed at level 9 in a streaming way ---
w = h = 20000
comp = zlib.compressobj(9)
row = b"\0" * (1 + 3 * w)
data = b"".join(comp.compress(row) for _ in range(h)) + comp.flush()
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
open(os.path.join(folder("bomb"), "bomb.png"), "wb").write(
    b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", data) + chunk(b"IEND", b""))

# Unique stems across categories (both tools name outputs <stem>_<size>.<ext> in one folder).
for cat in sorted(os.listdir(out)):
    for name in os.listdir(os.path.join(out, cat)):
        if not name.startswith(cat + "-"):
            os.rename(os.path.join(out, cat, name), os.path.join(out, cat, f"{cat}-{name}"))
