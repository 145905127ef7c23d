#!/usr/bin/env bash
# Rebuilds placeholder-font.ttf, the one font embedded in logofill-image for placeholder initials
# and SVG <text>, and placeholder-ideographs.txt, the CJK ideographs it holds (read by
# src/font.rs). `make test` does not run this: both outputs are committed.
#
# Sources, all SIL OFL 1.1 (OFL.txt: NanumSquare; OFL-Noto.txt: the Noto fonts), as Debian 12
# (bookworm) ships them; the committed font was made from exactly these package versions with
# fonttools 4.68.0, and other versions may give other bytes:
#   fonts-nanum     20200506-1            NanumSquareB.ttf
#   fonts-noto-core 20201225-1            NotoSans{,Arabic,Hebrew,Devanagari,Thai}-Bold.ttf
#   fonts-noto-cjk  1:20220127+repack1-1  NotoSansCJK-Bold.ttc (JP and SC faces)
# What is kept from each, and why, is in make_font.py.
#
# The family is renamed to "Logofill Placeholder": the OFL reserves the original names
# ("Nanum", and Noto's) for unmodified versions, and a subset is a modified version.
#
# Needs: apt-get install fonts-nanum fonts-noto-core fonts-noto-cjk
#        python3 -m venv /tmp/fonttools && /tmp/fonttools/bin/pip install fonttools==4.68.0
#        PATH=/tmp/fonttools/bin:$PATH bash make_font.sh
# A venv with fonttools alone: with uharfbuzz installed fontTools packs GSUB/GPOS with
# harfbuzz's repacker, which draws the same glyphs from differently laid out tables.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
nanum="/usr/share/fonts/truetype/nanum/NanumSquareB.ttf"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

for want in fonts-nanum=20200506-1 fonts-noto-core=20201225-1 fonts-noto-cjk=1:20220127+repack1-1; do
  have="$(dpkg-query -W -f='${Version}' "${want%%=*}" 2>/dev/null || echo none)"
  [ "$have" = "${want#*=}" ] || echo "warning: ${want%%=*} is $have, not ${want#*=}: the output may differ" >&2
done
fonttools="$(python3 -c 'import fontTools; print(fontTools.version)')"
[ "$fonttools" = 4.68.0 ] || echo "warning: fonttools is $fonttools, not 4.68.0: the output may differ" >&2
if python3 -c 'import uharfbuzz' 2>/dev/null; then
  echo "warning: uharfbuzz is installed: GSUB/GPOS bytes will differ from the committed font" >&2
fi

# The Latin and Hangul part, made as it always was so those glyphs keep their exact outlines.
pyftsubset "$nanum" \
  --unicodes="U+0020-007E,U+AC00-D7A3" \
  --no-hinting --desubroutinize --layout-features='' \
  --drop-tables+=DSIG,GDEF,GPOS,GSUB,kern,FFTM \
  --name-IDs='*' --output-file="$tmp/nanum.ttf"

python3 "$here/make_font.py" "$tmp/nanum.ttf" "$here/placeholder-font.ttf" "$here/placeholder-ideographs.txt"
ls -l "$here/placeholder-font.ttf"
