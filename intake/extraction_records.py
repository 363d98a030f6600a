"""An item's extraction records: which plugins read it, and which record counts.

A stored item is read once when it arrives (``extraction.json``) and again
whenever a new or changed plugin may read it better (``extractions/NNNN.json``,
issue 17). A record is never overwritten: each names the plugin set it was
offered to (name, version and, for a single-file plugin, the SHA-256 of its
code, because such authors rarely bump a version). The index keeps one record
per item, the one the chronology uses: the newest *successful* one (a plugin
read it and none failed), else the newest; it carries a short ``history`` of
every record, so the chronology can say "read by X on …; earlier read by Y".

Pure functions over plain data: the live pipeline and the index rebuilt from
verified files (`intake.verified`) choose alike.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

#: The first reading of an item, then its re-readings (never overwritten)
FIRST = "extraction.json"
AGAIN = "extractions"
FAILED = ("error", "timeout", "garbage")


def record_rel(meta_dir: str, number: int) -> str:
    """Where the `number`-th extraction record of an item lies (1 is the first reading)."""
    return f"{meta_dir}/{FIRST}" if number <= 1 else f"{meta_dir}/{AGAIN}/{number:04d}.json"


def record_number(rel: str) -> int:
    """The inverse of `record_rel` (0 for a path that is no extraction record)."""
    if rel.endswith("/" + FIRST):
        return 1
    m = re.search(rf"/{AGAIN}/(\d+)\.json$", rel)
    return int(m.group(1)) if m else 0


#: hex digits of the code's SHA-256 kept: enough to notice a change, small on every item
CODE_DIGITS = 16


def code_hash(plugin: object) -> str:
    """SHA-256 of a single-file plugin's code, cut to `CODE_DIGITS` ("" for a package)."""
    file = getattr(plugin, "__file__", None)
    if not file or not str(file).endswith(".py") or Path(file).name == "__init__.py":
        return ""
    try:
        return hashlib.sha256(Path(file).read_bytes()).hexdigest()[:CODE_DIGITS]
    except OSError:
        return ""


def mime_types(plugin: object) -> tuple[str, ...]:
    """The MIME types a plugin declares it reads (``MIME_TYPES``); () = everything."""
    declared = getattr(plugin, "MIME_TYPES", None)
    if isinstance(declared, str):
        return (declared,)
    if isinstance(declared, list | tuple | set | frozenset):
        return tuple(sorted(str(m) for m in declared))
    return ()


def offered_to(declared: Iterable[str], mime: str) -> bool:
    """Is an item of this MIME type offered to a plugin that declares `declared`?

    ``image/*`` matches every image type; no declaration matches everything.
    """
    declared = tuple(declared)
    if not declared:
        return True
    mime = (mime or "").split(";")[0].strip().lower()
    for d in declared:
        d = d.lower()
        if d == mime or (d.endswith("/*") and mime.startswith(d[:-1])):
            return True
    return False


def plugin_set(plugins: Iterable[tuple[str, str, object]]) -> list[dict[str, Any]]:
    """The extract plugins as recorded: name, version, code hash, declared MIME types."""
    return [{"plugin": name, "version": version, "code": code_hash(module),
             "mime_types": list(mime_types(module))}
            for name, version, module in plugins]


def signature(plugin: Mapping[str, Any]) -> str:
    """How a reading records one plugin: its version and code hash, ``"0.1.1 3f6c0e9a12b4c5d6"``."""
    return f"{plugin['version']} {plugin['code']}".strip()


def offered_set(current: list[dict[str, Any]], mime: str) -> dict[str, str]:
    """The part of the plugin set an item of type `mime` is offered to: name -> signature."""
    return {p["plugin"]: signature(p) for p in current
            if offered_to(p.get("mime_types", ()), mime)}


def succeeded(data: Mapping[str, Any]) -> bool:
    """A plugin read the item and none failed on it on the way."""
    return bool(data.get("plugin")) and not any(
        isinstance(r, Mapping) and r.get("status") in FAILED for r in data.get("runs") or ())


def summary(rel: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """What the index keeps of one record besides the chosen one."""
    return {"record": rel, "plugin": data.get("plugin", ""), "version": data.get("version", ""),
            "extracted_at": data.get("extracted_at", ""), "ok": succeeded(data),
            "failed": sorted({r.get("plugin", "") for r in data.get("runs") or ()
                              if isinstance(r, Mapping) and r.get("status") in FAILED}),
            "offered": dict(data.get("offered") or {})}


def chosen(records: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, Any] | None:
    """The record the chronology uses, with the ``history`` of all (oldest first)."""
    ordered = sorted(((record_number(rel), rel, data) for rel, data in records
                      if record_number(rel)), key=lambda x: x[0])
    if not ordered:
        return None
    good = [x for x in ordered if succeeded(x[2])]
    _, rel, data = (good or ordered)[-1]
    out = dict(data)
    out["record"] = rel
    out["history"] = [summary(r, d) for _, r, d in ordered]
    return out


def changed_plugins(latest: Mapping[str, Any], offered_now: Mapping[str, str]) -> list[str]:
    """Plugins offered now that this item's latest reading was not offered as they are."""
    before = latest.get("offered")
    before = before if isinstance(before, Mapping) else {}
    return [name for name, sig in offered_now.items() if before.get(name) != sig]


def waits(latest: Mapping[str, Any], mime: str, current: list[dict[str, Any]]) -> list[str]:
    """The new or changed plugins that may read an item better: it should be read again.

    A plugin that declares MIME types may read the items of those types; one
    that does not, the items it read itself, those that ended at the fallback
    (or with no reader) and those on which a plugin failed last time.
    """
    if not latest.get("offered"):  # read before readings named their plugin set: once,
        # and only if it ended badly (not every item of an older case at the first start)
        return list(offered_set(current, mime)) if ended_badly(latest) else []
    by_name = {p["plugin"]: p for p in current}
    return [name for name in changed_plugins(latest, offered_set(current, mime))
            if may_read(latest, mime, by_name[name])]


def ended_badly(latest: Mapping[str, Any]) -> bool:
    """The latest reading ended at the fallback (or with no reader), or a plugin failed."""
    return latest.get("plugin") in ("", "fallback", None) or bool(latest.get("failed"))


def may_read(latest: Mapping[str, Any], mime: str, plugin: Mapping[str, Any]) -> bool:
    """May this plugin read the item better than its latest reading did?

    Yes for the items of the types it declares; without a declaration, for
    the items it read itself last time (a fix changes what it reads) and those
    that ended at the fallback or on which a plugin failed.
    """
    if plugin.get("mime_types"):
        return offered_to(plugin["mime_types"], mime)
    return latest.get("plugin") == plugin.get("plugin") or ended_badly(latest)
