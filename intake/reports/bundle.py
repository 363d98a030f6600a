"""The evidence bundle: one zip to hand over, checkable with ``sha256sum -c``.

``evidence-bundle.zip`` holds one folder, ``evidence-bundle/``, with:

- ``chronology.json``   the canonical bytes of the chronology;
- ``chronology.pdf``    the PDF/A-3 report (exhibits attached);
- ``custody-log.jsonl`` a copy of the custody log, when the case has one;
- ``chronology.json.tsr`` / ``.p7s`` the timestamp and signature, when ``[seal]`` made them;
- ``exhibits/<label>-<sha256>.<ext>`` every original exhibit a replica holds;
- ``README.txt``        what is inside and how to check it, in the case language;
- ``SHA256SUMS``        ``<hex>  <path>`` for every other file, sorted.

The zip is deterministic: entries in sorted order, fixed timestamps
(1980-01-01, the zip format's earliest), fixed permissions.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path

from intake.chronology.canonical import canonical_bytes
from intake.files import sha256_file
from intake.reports.context import ReportContext

from .labels import labels, language
from .pdf_report import write_pdf  # the bundle holds the PDF: it makes one
from .typesetting import JSON_NAME, exhibit_filename

ZIP_NAME = "evidence-bundle.zip"
TOP = "evidence-bundle"
_EPOCH = (1980, 1, 1, 0, 0, 0)
_CHUNK = 1 << 20


def sha256sums(files: dict[str, Path]) -> bytes:
    """The SHA256SUMS text for `files` (relative path -> file), sorted by path."""
    lines = [f"{sha256_file(files[rel])}  {rel}\n" for rel in sorted(files)]
    return "".join(lines).encode("utf-8")


def write_bundle(chronology: dict, out_dir: Path, context: ReportContext) -> list[Path]:
    """Write ``out_dir/evidence-bundle.zip``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    lang = language(context.language or (chronology.get("case") or {}).get("language"))
    L = labels(lang)
    with tempfile.TemporaryDirectory(prefix="intake-bundle-") as tmp:
        stage = Path(tmp)
        files: dict[str, Path] = {}

        (stage / JSON_NAME).write_bytes(canonical_bytes(chronology))
        files[JSON_NAME] = stage / JSON_NAME
        files["chronology.pdf"] = write_pdf(chronology, stage / "pdf", context)[0]
        for name, blob in sorted(context.seal_files.items()):  # [seal]: token, signature
            (stage / name).write_bytes(blob)
            files[name] = stage / name
        if context.custody_log is not None and Path(context.custody_log).is_file():
            files["custody-log.jsonl"] = Path(context.custody_log)

        missing = []
        for ex in chronology.get("exhibits") or []:
            src = context.object_path(ex["sha256"])
            if src is not None and Path(src).is_file():
                files[f"exhibits/{exhibit_filename(ex)}"] = Path(src)
            else:
                missing.append(str(ex.get("label") or ex.get("number")))

        readme = L["readme"].format(
            case=(chronology.get("case") or {}).get("name") or context.case_name,
            generated=context.generated_at or "-",
            version=(chronology.get("tool") or {}).get("version") or context.tool_version,
            root_hash=chronology.get("root_hash") or "-",
        )
        readme += f"\n{L['custody_head']}: {context.custody_head_text}\n"
        if missing:
            readme += "\n" + L["readme_missing"].format(labels=", ".join(missing))
        (stage / "README.txt").write_bytes(readme.replace("\n", "\r\n").encode("utf-8"))
        files["README.txt"] = stage / "README.txt"

        sums = sha256sums(files)
        # Check what we are about to hand over: each exhibit must still have its name's hash.
        for line in sums.decode().splitlines():
            digest, rel = line.split("  ", 1)
            if rel.startswith("exhibits/") and digest not in rel:
                raise RuntimeError(f"exhibit {rel} no longer matches its SHA-256 ({digest})")
        (stage / "SHA256SUMS").write_bytes(sums)
        files["SHA256SUMS"] = stage / "SHA256SUMS"

        target = out_dir / ZIP_NAME
        partial = target.with_name(target.name + ".partial")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for rel in sorted(files):
                info = zipfile.ZipInfo(f"{TOP}/{rel}", date_time=_EPOCH)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o100644 << 16
                info.create_system = 3  # Unix, so the permissions are read
                with open(files[rel], "rb") as src_f, zf.open(info, "w", force_zip64=True) as dst:
                    shutil.copyfileobj(src_f, dst, _CHUNK)
        partial.replace(target)
    return [target]
