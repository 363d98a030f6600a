"""Evidence files made in code: a JPEG with or without EXIF time, a PNG, an e-mail."""

from __future__ import annotations

import io
from email.message import EmailMessage

from PIL import Image

MAIL_DATE = "Fri, 01 Mar 2024 21:15:00 +0100"


def make_jpeg(width: int = 64, height: int = 48, color: tuple[int, int, int] = (200, 30, 30),
              exif_time: str | None = None) -> bytes:
    """A small one-colour JPEG; with `exif_time` ("2024:03:01 20:00:00") as DateTimeOriginal."""
    image = Image.new("RGB", (width, height), color)
    buf = io.BytesIO()
    if exif_time:
        exif = Image.Exif()
        exif[0x8769] = {0x9003: exif_time}  # ExifIFD: DateTimeOriginal
        image.save(buf, "JPEG", exif=exif)
    else:
        image.save(buf, "JPEG")
    return buf.getvalue()


def make_png(color: tuple[int, int, int], width: int = 32, height: int = 24) -> bytes:
    """A small one-colour PNG (no time in it)."""
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "PNG")
    return buf.getvalue()


def make_mail(*, sender: str = "stalker@example.org", to: str = "victim@example.org",
              subject: str = "ik zie je", date: str = MAIL_DATE, message_id: str | None = None,
              body: str = "Ik zag je vanavond.\n",
              attachments: tuple[tuple[str, bytes, str], ...] = (),
              headers: dict[str, str] | None = None) -> bytes:
    """An e-mail as a mail program saves it (.eml); `attachments` are (name, bytes, "type/sub")."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = date
    if message_id:
        msg["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    for name, data, mime in attachments:
        maintype, subtype = mime.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()
