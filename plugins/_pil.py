"""Pillow, loaded at the first picture rather than at every start of intake.

Importing Pillow and registering pillow-heif costs about 0.04 s of CPU; every
command that opens a case loads the built-in plugins (``intake.plugins``), and
most of them never decode a picture. The photo, screenshot and OCR helpers call
`pil` where they need it; pillow-heif is registered here, once, so a HEIC
picture opens the same whichever helper touches it first.
"""

from __future__ import annotations

import functools
from types import ModuleType


@functools.cache
def pil() -> tuple[ModuleType, ModuleType]:
    """Pillow's ``Image`` and ``ImageOps``, with HEIC/HEIF support where installed."""
    from PIL import Image, ImageOps

    try:  # HEIC/HEIF support for Pillow; without it HEIC files still get their EXIF read
        import pillow_heif

        pillow_heif.register_heif_opener()
    except Exception:  # pragma: no cover - depends on the installed wheel
        pass
    return Image, ImageOps
