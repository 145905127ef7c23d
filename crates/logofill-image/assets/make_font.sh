#!/usr/bin/env bash
# Rebuilds placeholder-font.ttf, the font embedded in logofill-image for placeholder letters and
# SVG <text>. Source: NanumSquare Bold from Debian's fonts-nanum (SIL OFL 1.1, see OFL.txt).
# Kept: printable ASCII (U+0020-007E) and every precomposed Hangul syllable (U+AC00-D7A3).
# Dropped: hinting, layout tables and glyph names, which a 64-256 px render does not need.
# The family is renamed to "Logofill Placeholder" because the OFL reserves the name "Nanum"
# for unmodified versions, and a subset is a modified version.
#
# Needs: apt-get install fonts-nanum; pip install fonttools
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="${1:-/usr/share/fonts/truetype/nanum/NanumSquareB.ttf}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

pyftsubset "$src" \
  --unicodes="U+0020-007E,U+AC00-D7A3" \
  --no-hinting --desubroutinize --layout-features='' \
  --drop-tables+=DSIG,GDEF,GPOS,GSUB,kern,FFTM \
  --name-IDs='*' --output-file="$tmp/sub.ttf"

python3 - "$tmp/sub.ttf" "$here/placeholder-font.ttf" <<'PY'
import sys
from fontTools.ttLib import TTFont
font = TTFont(sys.argv[1])
names = {1: "Logofill Placeholder", 2: "Bold", 3: "Logofill Placeholder Bold subset",
         4: "Logofill Placeholder Bold", 6: "LogofillPlaceholder-Bold",
         16: "Logofill Placeholder", 17: "Bold"}
for rec in list(font["name"].names):
    if rec.nameID in names:
        rec.string = names[rec.nameID]
# Stable output: no build timestamp in the head table.
font["head"].modified = font["head"].created
font.save(sys.argv[2])
PY
ls -l "$here/placeholder-font.ttf"
