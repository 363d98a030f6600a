"""Phone numbers as one form (E.164), so that a number written three ways is one number.

``0468 99 01 23``, ``0032 468 99 01 23`` and ``+32468990123`` are the same
Belgian mobile number; phones, backups and people write it in any of these
forms. ``phonenumbers`` (Google's libphonenumber) knows every country's
numbering plan; numbers without a country code are read as Belgian
(``DEFAULT_REGION``).
"""

from __future__ import annotations

import functools

DEFAULT_REGION = "BE"


def e164(text: str | None, region: str = DEFAULT_REGION) -> str | None:
    """The number in E.164 (``+32468990123``), or None if `text` is not a phone number."""
    raw = (text or "").strip()
    if not raw or "@" in raw:
        return None
    return _e164(raw, region)


@functools.lru_cache(maxsize=65536)  # a backup names the same numbers again and again
def _e164(raw: str, region: str) -> str | None:
    import phonenumbers  # at the first number, not at every command's start (0.03 s)

    if not any(ch.isdigit() for ch in raw):
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def same_number_key(text: str | None, region: str = DEFAULT_REGION) -> str:
    """What two numbers must share to be one: E.164 where possible, else the digits."""
    norm = e164(text, region)
    if norm:
        return norm
    raw = (text or "").strip()
    digits = "".join(ch for ch in raw if ch.isdigit())
    return digits or raw
