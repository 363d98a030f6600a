"""Pictures for the OCR tests, drawn with Pillow: a phone's chat and call list, a letter.

The font is DejaVu Sans (Debian's ``fonts-dejavu-core``, installed by
``.ci/run``): Pillow's own font has no accented letters.
"""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFilter, ImageFont

WIDTH, HEIGHT = 1080, 2400
CLOCK = "21:14"
HANDLE = "@kevin.vdb"

#: (side, text) of each chat bubble, as the screenshot shows them.
BUBBLES = (
    ("in", "Ik weet waar je woont."),
    ("in", "Waarom antwoord je niet? Ik zie je café elke dag."),
    ("out", "Laat me met rust alsjeblieft."),
    ("in", "Je ne te lâcherai pas, même à Liège."),
    ("in", "Ce soir je serai devant ta porte à neuf heures."),
    ("out", "Arrête de m'écrire, c'est fini."),
)

#: (name or number as listed, what, time) in the call list.
CALLS = (
    ("0468 99 01 23", "Gemiste oproep", "20:58"),
    ("+32 470 12 34 56", "Inkomend, 2 min", "19:40"),
    ("kevin.vdb@example.be", "E-mail", "18:02"),
)

LETTER_LINES = (
    "Gent, 12 oktober 2024",
    "",
    "Beste Anna,",
    "",
    "Ik heb je gisteren gezien aan het station.",
    "Je kunt niet aan mij ontsnappen.",
    "Ik weet waar je werkt en wanneer je thuiskomt.",
    "",
    "Kevin",
)


FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT, size)


def _status_bar(draw: ImageDraw.ImageDraw, clock: str) -> None:
    draw.rectangle((0, 0, WIDTH, 90), fill=(245, 245, 245))
    draw.text((40, 22), clock, font=font(44), fill=(20, 20, 20))
    draw.text((WIDTH - 190, 22), "87%", font=font(44), fill=(20, 20, 20))


def _wrap(text: str, f: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if f.getlength(trial) > width and line:
            lines.append(line)
            line = word
        else:
            line = trial
    return lines + [line] if line else lines


def chat_screenshot(clock: str = CLOCK, fmt: str = "PNG") -> bytes:
    """A phone-sized chat: status bar with a clock, the contact's handle, six bubbles."""
    im = Image.new("RGB", (WIDTH, HEIGHT), (236, 229, 221))
    draw = ImageDraw.Draw(im)
    _status_bar(draw, clock)
    draw.rectangle((0, 90, WIDTH, 250), fill=(255, 255, 255))
    draw.text((60, 130), HANDLE, font=font(56), fill=(0, 0, 0))
    f = font(46)
    y = 320
    for side, text in BUBBLES:
        lines = _wrap(text, f, 700)
        h = 70 * len(lines) + 40
        x0 = 40 if side == "in" else WIDTH - 40 - 780
        fill = (255, 255, 255) if side == "in" else (220, 248, 198)
        draw.rounded_rectangle((x0, y, x0 + 780, y + h), radius=24, fill=fill)
        for n, line in enumerate(lines):
            draw.text((x0 + 36, y + 24 + 70 * n), line, font=f, fill=(17, 17, 17))
        y += h + 50
    return _encode(im, fmt)


def call_list_screenshot(clock: str = "21:30") -> bytes:
    """A phone's call list: numbers, an e-mail address, times."""
    im = Image.new("RGB", (WIDTH, HEIGHT), (255, 255, 255))
    draw = ImageDraw.Draw(im)
    _status_bar(draw, clock)
    draw.text((60, 140), "Recent", font=font(64), fill=(0, 0, 0))
    y = 300
    for who, what, when in CALLS:
        draw.text((60, y), who, font=font(52), fill=(0, 0, 0))
        draw.text((60, y + 75), what, font=font(40), fill=(90, 90, 90))
        draw.text((WIDTH - 200, y + 10), when, font=font(44), fill=(90, 90, 90))
        draw.line((60, y + 150, WIDTH - 60, y + 150), fill=(210, 210, 210), width=2)
        y += 190
    return _encode(im, "PNG")


def letter_picture(angle: float = 1.2, seed: int = 7) -> Image.Image:
    """A scanned-looking A4 letter at 150 dpi: slightly turned, with grain."""
    im = Image.new("L", (1240, 1754), 250)
    draw = ImageDraw.Draw(im)
    f = font(34)
    y = 180
    for line in LETTER_LINES:
        x = 1240 - 160 - f.getlength(line) if line.startswith("Gent,") else 150
        draw.text((x, y), line, font=f, fill=25)
        y += 56
    im = im.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=250, expand=False)
    rng = random.Random(seed)
    noise = Image.effect_noise(im.size, 18)
    im = Image.blend(im, noise, 0.12)
    for _ in range(300):  # specks of dust
        x, y = rng.randrange(im.width), rng.randrange(im.height)
        im.putpixel((x, y), rng.randrange(0, 120))
    return im.filter(ImageFilter.GaussianBlur(0.6))


def letter_jpeg() -> bytes:
    return _encode(letter_picture().convert("RGB"), "JPEG")


def letter_pdf() -> bytes:
    """The letter as an image-only PDF (no text layer), as a scanner makes it."""
    out = io.BytesIO()
    letter_picture().convert("RGB").save(out, "PDF", resolution=150.0)
    return out.getvalue()


def _encode(im: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **({"quality": 85} if fmt == "JPEG" else {}))
    return out.getvalue()
