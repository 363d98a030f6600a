"""Measure the perceptual-hash threshold for "same picture" (docs/chronology.md).

Two sets of pictures:

- every image in ``../shared/corpus/images`` and ``../shared/corpus/screenshots``
  that decodes, plus pictures made here: chat-app screenshots (white screens
  with bubbles and text lines, the hard case: they all look alike to a
  perceptual hash) and photo-like scenes;
- of each, "the same picture" as the chronology must link it: re-saved as
  JPEG at quality 85, 60 and 35, scaled to half size, and converted PNG->JPEG.

Distinct pictures are every pair of different sources; same pictures are each
source with each of its copies. For each threshold (bits of the 64-bit pHash)
it prints how many same-picture pairs are linked (the link rate) and how many
distinct pairs are linked (the false-link rate). Corpus pairs that fall
within the threshold are named so that a person can judge them (the corpus
holds a few copies of one photo, e.g. a camera file and its re-import).

    .venv/bin/python bench/bench_phash_threshold.py [--corpus ../shared/corpus]
"""

from __future__ import annotations

import argparse
import io
import random
import sys
from itertools import combinations
from pathlib import Path

import imagehash
from PIL import Image, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from intake.builtin._imaging import perceptual_hash  # noqa: E402  (the plugins' own hash)

from intake.chronology.links import PHASH_MAX_DISTANCE  # noqa: E402


def _bytes(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def _hash(data: bytes) -> imagehash.ImageHash | None:
    """The hash exactly as the photos and screenshots plugins compute it."""
    text = perceptual_hash(data)
    return imagehash.hex_to_hash(text) if text else None


def chat_screenshot(rng: random.Random, width: int = 360, height: int = 720) -> Image.Image:
    """A white chat screen: a header bar, bubbles left and right, text lines."""
    im = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(im)
    d.rectangle((0, 0, width, 56), fill=rng.choice(["#075e54", "#ffffff", "#fffc00", "#3b5998"]))
    y = 70
    while y < height - 60:
        h = rng.randint(30, 90)
        left = rng.random() < 0.5
        w = rng.randint(120, 300)
        x0 = 10 if left else width - 10 - w
        d.rounded_rectangle((x0, y, x0 + w, y + h), 10,
                            fill="#eeeeee" if left else rng.choice(["#dcf8c6", "#e1f0ff"]))
        for ly in range(y + 8, y + h - 8, 14):
            d.line((x0 + 8, ly, x0 + 8 + rng.randint(40, w - 16), ly), fill="#333333", width=3)
        y += h + rng.randint(6, 20)
    return im


def photo(rng: random.Random, width: int = 480, height: int = 360) -> Image.Image:
    im = Image.new("RGB", (width, height))
    d = ImageDraw.Draw(im)
    for _ in range(12):
        x, y = rng.randint(0, width), rng.randint(0, height)
        r = rng.randint(20, 160)
        d.ellipse((x - r, y - r, x + r, y + r),
                  fill=tuple(rng.randint(0, 255) for _ in range(3)))
    return im.filter(ImageFilter.GaussianBlur(2))


def copies(im: Image.Image) -> list[tuple[str, bytes]]:
    """The same picture as people pass it on, as file bytes."""
    out = []
    rgb = im.convert("RGB")
    for q in (85, 60, 35):
        buf = io.BytesIO()
        rgb.save(buf, "JPEG", quality=q)
        out.append((f"jpeg q{q}", buf.getvalue()))
    half = rgb.resize((max(8, rgb.width // 2), max(8, rgb.height // 2)), Image.LANCZOS)
    buf = io.BytesIO()
    half.save(buf, "JPEG", quality=80)
    out.append(("half size", buf.getvalue()))
    out.append(("png", _bytes(rgb)))
    return out


def corpus_pictures(corpus: Path) -> list[tuple[str, bytes, Image.Image]]:
    import pillow_heif

    pillow_heif.register_heif_opener()
    found = []
    for folder in ("images", "screenshots"):
        for path in sorted((corpus / folder).rglob("*")):
            if not path.is_file():
                continue
            try:
                im = Image.open(path)
                im.load()
            except Exception:
                continue
            found.append((path.relative_to(corpus).as_posix(), path.read_bytes(),
                          im.convert("RGB")))
    return found


def measure(pictures: list[tuple[str, bytes, Image.Image]], max_bits: int = 16) -> dict:
    """Link rates per threshold; pictures without a hash (flat, unreadable) are left out."""
    hashes = {name: h for name, data, _ in pictures if (h := _hash(data)) is not None}
    distinct = [(a, b, hashes[a] - hashes[b]) for a, b in combinations(sorted(hashes), 2)]
    same = []
    for name, _, im in pictures:
        if name not in hashes:
            continue
        for how, data in copies(im):
            h = _hash(data)
            if h is not None:
                same.append((name, how, hashes[name] - h))
    table = []
    for t in range(max_bits + 1):
        table.append({"bits": t,
                      "same_linked": sum(1 for *_, d in same if d <= t),
                      "distinct_linked": sum(1 for *_, d in distinct if d <= t)})
    return {"pictures": len(hashes), "same_pairs": len(same),
            "distinct_pairs": len(distinct), "table": table, "distinct": distinct,
            "same": same}


def fixtures(n_screens: int = 60, n_photos: int = 20, seed: int = 7):
    rng = random.Random(seed)
    pictures = ([(f"made/screenshot-{i}", chat_screenshot(rng)) for i in range(n_screens)]
                + [(f"made/photo-{i}", photo(rng)) for i in range(n_photos)])
    return [(name, _bytes(im), im) for name, im in pictures]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    args = parser.parse_args()
    sets = {"corpus": corpus_pictures(args.corpus) if args.corpus.is_dir() else [],
            "made in code": fixtures()}
    for label, pictures in sets.items():
        if not pictures:
            continue
        result = measure(pictures)
        print(f"\n{label}: {result['pictures']} pictures, {result['same_pairs']} same-picture "
              f"pairs, {result['distinct_pairs']} distinct pairs")
        print(f"bits  same linked        distinct linked (false links)   "
              f"[intake uses {PHASH_MAX_DISTANCE}]")
        for row in result["table"]:
            s, d = row["same_linked"], row["distinct_linked"]
            print(f"{row['bits']:>4}  {s:>4} ({100 * s / result['same_pairs']:5.1f} %)   "
                  f"{d:>5} ({100 * d / result['distinct_pairs']:.3f} %)")
        close = sorted((d, a, b) for a, b, d in result["distinct"] if d <= 12)
        for d, a, b in close[:20]:
            print(f"  distinct pair at {d} bits: {a}  <->  {b}")


if __name__ == "__main__":
    main()
