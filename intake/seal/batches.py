"""Timestamps at intake: each batch of receipts, with the custody log's head, under one token.

A batch is every receipt not yet timestamped. Its leaves are the receipts
(item SHA-256, receipt id, time received) in order, then the custody log's
head (line number and SHA-256); the RFC 6962 Merkle root of those leaves is
the imprint sent to the TSA. ``meta/seals/batch-NNNNNN.json`` (leaves, root,
the DER TimeStampResp in base64) goes to every replica, and a
``batch-sealed`` custody line records its SHA-256. Asking the TSA is the
only slow step; it never runs inside the store path, and a failure leaves
the receipts waiting for the next try (``intake seal``, ``intake watch``).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from ..chronology.merkle import merkle_root
from ..custody_chain import records
from ..recording import Step
from . import token, tsa

SEALS = "seals"
EVENT = "batch-sealed"


def leaf_bytes(leaf: dict[str, Any]) -> bytes:
    """The bytes a leaf stands for: compact JSON with sorted keys (one form, any machine)."""
    return json.dumps(leaf, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def batch_root(leaves: list[dict[str, Any]], custody: dict[str, Any]) -> bytes:
    """The Merkle root over the receipts' leaves and, last, the custody head."""
    return merkle_root([leaf_bytes(x) for x in leaves] + [leaf_bytes(custody)])


@dataclass
class Batch:
    """Receipts waiting for one token, and the custody head they go with."""

    number: int
    leaves: list[dict[str, Any]]
    custody: dict[str, Any]

    @property
    def root(self) -> bytes:
        return batch_root(self.leaves, self.custody)

    @property
    def rel(self) -> str:
        return f"{SEALS}/batch-{self.number:06d}.json"


def _read_verified(case: Any, rel: str, digest: str) -> bytes | None:
    for rep in case.available:
        try:
            data = rep.meta_path(rel).read_bytes()
        except OSError:
            continue
        if hashlib.sha256(data).hexdigest() == digest:
            return data
    return None


def receipts_on_log(case: Any, recs: list[dict[str, Any]],
                    skip: set[str] | frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """Every receipt the log names (but those in `skip`), as a leaf, read from a copy
    whose hash the log recorded."""
    out, seen = [], set(skip)
    for rec in recs:
        if rec.get("event") != "received" or rec.get("receipt") in seen:
            continue
        seen.add(rec.get("receipt"))
        meta = rec.get("meta") if isinstance(rec.get("meta"), dict) else {}
        for rel, digest in meta.items():
            data = _read_verified(case, rel, digest)
            if data is None:
                continue  # `intake verify` names such a file; nothing to vouch for here
            r = json.loads(data)
            out.append({"sha256": r["sha256"], "receipt": r["id"],
                        "received_at": r["received_at"]})
    return out


def sealed_receipts(recs: list[dict[str, Any]]) -> set[str]:
    return {rid for r in recs if r.get("event") == EVENT for rid in r.get("receipts") or []}


def pending(case: Any, recs: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Receipts not yet under a token, oldest first."""
    recs = records(case.log.lines) if recs is None else recs
    done = sealed_receipts(recs)
    waiting = receipts_on_log(case, recs, skip=done)  # sealed receipts are not even read
    return sorted(waiting, key=lambda x: (x["received_at"], x["receipt"]))


def prepare(case: Any) -> Batch | None:
    """The next batch (all pending receipts), or None when every receipt has its token."""
    recs = records(case.log.lines)
    leaves = pending(case, recs)
    if not leaves:
        return None
    number = sum(1 for r in recs if r.get("event") == EVENT) + 1
    return Batch(number, leaves, {"custody_seq": case.log.seq, "custody_head": case.log.head})


def ask(case: Any, batch: Batch) -> bytes:
    """The TSA's answer over the batch's root, checked against the case's TSA CAs.

    Touches nothing in the case: safe to run in another thread.
    :raises tsa.TsaError, token.TokenProblem: why there is no usable token.
    """
    cfg = case.config.seal
    der = tsa.fetch(cfg.tsa_urls, batch.root, cfg.timeout_seconds)
    token.check(der, batch.root, token.load_cas(cfg.tsa_ca_files))
    return der


def commit(case: Any, batch: Batch, der: bytes) -> str:
    """Keep the token and the leaves in every replica, with a custody line; returns the file."""
    info = token.check(der, batch.root, token.load_cas(case.config.seal.tsa_ca_files))
    tsa_time = info.gen_time.isoformat(timespec="seconds").replace("+00:00", "Z")
    data = json.dumps({
        "batch": batch.number, "leaves": batch.leaves, "custody": batch.custody,
        "root": batch.root.hex(), "tsa_time": tsa_time, "tsa": info.tsa,
        "token": base64.b64encode(der).decode("ascii"),
        "how": "root = RFC 6962 Merkle tree hash of the leaves (compact JSON, sorted keys), "
               "then the custody leaf; the token's imprint (SHA-256) is the root",
    }, indent=1, sort_keys=True, ensure_ascii=False).encode()
    with Step(case) as step:
        digest = step.meta(batch.rel, data, what="the timestamp")
        step.line(EVENT, batch=batch.number, root=batch.root.hex(), tsa_time=tsa_time,
                  tsa=info.tsa, receipts=[x["receipt"] for x in batch.leaves],
                  custody_seq=batch.custody["custody_seq"], meta={batch.rel: digest})
    return batch.rel


def seal_now(case: Any) -> tuple[int, str]:
    """Timestamp every pending receipt now: (receipts sealed, reason when none could be)."""
    batch = prepare(case)
    if batch is None:
        return 0, ""
    try:
        der = ask(case, batch)
    except (tsa.TsaError, token.TokenProblem) as exc:
        return 0, str(exc)
    commit(case, batch, der)
    return len(batch.leaves), ""
