"""`intake verify` with ``[seal]``: every intake token checked, every untimestamped item listed.

For each ``batch-sealed`` custody line and each replica's copy of its file:
the leaves are the receipts the line names and match the receipt files; the
leaves give the root; the token's imprint is that root, its signature and
chain hold against ``[seal] tsa_ca_files``; the TSA's time is not before any
receipt; the custody leaf names a line of today's log with the same hash.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from ..custody_chain import line_hash, records
from . import batches, token


def _when(iso: str) -> datetime | None:
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None


def _check_copy(case: Any, rec: dict, doc: dict, receipts: dict[str, dict],
                anchors: list) -> list[str]:
    """What is wrong with one replica's copy of one batch file (empty: all holds)."""
    out: list[str] = []
    leaves, custody = doc.get("leaves") or [], doc.get("custody") or {}
    if [x.get("receipt") for x in leaves] != list(rec.get("receipts") or []):
        out.append("its receipts are not those the custody log says were timestamped")
    for i, leaf in enumerate(leaves, 1):
        known = receipts.get(leaf.get("receipt"))
        if known is not None and known != leaf:
            out.append(f"leaf {i} (receipt {leaf.get('receipt')}, item "
                       f"{str(leaf.get('sha256'))[:12]}…) does not match the receipt file")
    root = batches.batch_root(leaves, custody)
    if root.hex() != rec.get("root") or doc.get("root") != rec.get("root"):
        out.append("its leaves do not give the root that was timestamped (a leaf was changed)")
    seq = custody.get("custody_seq")
    lines = case.log.lines
    if not isinstance(seq, int) or not 0 < seq <= len(lines) or \
            line_hash(lines[seq - 1]) != custody.get("custody_head"):
        out.append(f"its custody head (line {seq}) is not today's custody log line {seq}")
    try:
        info = token.check(base64.b64decode(doc.get("token") or "", validate=True),
                           bytes.fromhex(str(rec.get("root"))), anchors)
    except (token.TokenProblem, ValueError) as exc:
        out.append(f"the timestamp token: {exc}")
        return out
    latest = max((t for x in leaves if (t := _when(str(x.get("received_at")))) is not None),
                 default=None)
    if latest is not None and info.gen_time < latest:
        out.append(f"the TSA's time {info.gen_time:%Y-%m-%d %H:%M:%S} UTC is before a receipt's "
                   f"time {latest:%Y-%m-%d %H:%M:%S} UTC (this computer's clock was ahead?)")
    return out


def check_case(case: Any) -> tuple[list[str], dict[str, Any]]:
    """Problems (each naming the replica, batch and leaf) and a summary for `intake verify`."""
    recs = records(case.log.lines)
    anchors = token.load_cas(case.config.seal.tsa_ca_files)
    receipts = {x["receipt"]: x for x in batches.receipts_on_log(case, recs)}
    problems: list[str] = []
    sealed = [r for r in recs if r.get("event") == batches.EVENT]
    for rec in sealed:
        meta = rec.get("meta") or {}
        for rel in meta:
            for rep in case.available:
                try:
                    doc = json.loads(rep.meta_path(rel).read_bytes())
                except FileNotFoundError:
                    problems.append(f"replica {rep.name}: meta/{rel} (timestamp of batch "
                                    f"{rec.get('batch')}) is missing")
                    continue
                except (OSError, ValueError):
                    problems.append(f"replica {rep.name}: meta/{rel} (timestamp of batch "
                                    f"{rec.get('batch')}) is not readable")
                    continue
                problems += [f"replica {rep.name}: meta/{rel} (timestamp of batch "
                             f"{rec.get('batch')}): {p}" for p in
                             _check_copy(case, rec, doc, receipts, anchors)]
    waiting = batches.pending(case, recs)
    summary = {"batches": len(sealed),
               "timestamped_receipts": len(batches.sealed_receipts(recs)),
               "awaiting_timestamp": len(waiting),
               "awaiting_since": waiting[0]["received_at"] if waiting else None,
               "awaiting": waiting}
    return problems, summary
