"""The seal's commands (`intake seal`, `intake keys new`) and its few lines in other commands."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from ..errors import IntakeError
from ..i18n import translator


def ask_secret(prompt: str) -> str:
    """A passphrase or PIN from the keyboard (never echoed); none without a terminal."""
    if not click.get_text_stream("stdin").isatty():
        raise IntakeError(f"{prompt} is needed: set INTAKE_SIGNING_PASSPHRASE or "
                          "INTAKE_PKCS11_PIN, or run the command in a terminal")
    return click.prompt(prompt, hide_input=True)


def stamping(case: Any) -> bool:
    """Does this case ask a TSA for timestamps?"""
    return case.config.seal is not None and bool(case.config.seal.tsa_urls)


def after_ingest(case: Any, echo: Any) -> None:
    """`intake ingest`: timestamp what was just stored (everything is already safe)."""
    if not stamping(case):
        return
    from .batches import seal_now

    n, reason = seal_now(case)
    t = translator(case.config.language)
    if n:
        echo(t.ngettext("timestamped: {n} receipt", "timestamped: {n} receipts", n))
    elif reason:
        echo(t.gettext("not timestamped yet: {reason}. The items are stored; 'intake seal' or "
                       "'intake watch' asks again", reason=reason))


def status_of(case: Any) -> dict[str, Any] | None:
    """For `intake status`: how many receipts await a timestamp, and since when."""
    if not stamping(case):
        return None
    from .batches import pending

    waiting = pending(case)
    return {"awaiting_timestamp": len(waiting),
            "awaiting_since": waiting[0]["received_at"] if waiting else None}


def seal_problems(case: Any, summary: dict[str, Any]) -> list:
    """`intake verify`: every intake token checked (``summary["seal"]`` says what was)."""
    if case.config.seal is None or not case.config.seal.tsa_ca_files:
        return []
    from ..checks import Problem
    from .verify import check_case

    found, summary["seal"] = check_case(case)
    return [Problem("seal", m, repairable=False) for m in found]


def print_seal_summary(sl: dict[str, Any], echo: Any, lang: str = "en") -> None:
    t = translator(lang)
    line = t.gettext("timestamps: {batches} batches, {receipts} receipts under a token; "
                     "{waiting} await one", batches=sl["batches"],
                     receipts=sl["timestamped_receipts"], waiting=sl["awaiting_timestamp"])
    if sl["awaiting_since"]:
        line += " " + t.gettext("(since {since})", since=sl["awaiting_since"])
    echo(line)
    for w in sl["awaiting"]:
        echo("  " + t.gettext("not timestamped yet: item {sha256}…, receipt {receipt}, "
                              "received {received}", sha256=w["sha256"][:12],
                              receipt=w["receipt"], received=w["received_at"]))


def register(cli: click.Group) -> None:
    from ..cli_common import case_option, console, json_option
    from ..cli_common import open_case as _open
    from ..cli_common import print_json as _print_json

    @cli.command("seal")
    @case_option
    @json_option
    def seal(case_dir: Path, as_json: bool) -> None:
        """Fetch the missing timestamps now (every receipt not yet under a token)."""
        from .batches import seal_now

        with _open(case_dir) as case:
            if not stamping(case):
                raise IntakeError("this case has no time-stamping authority: add [seal] "
                                  "tsa_urls to config/intake.toml (docs/seal.md)")
            n, reason = seal_now(case)
            t = translator(case.config.language)
        if as_json:
            _print_json({"timestamped": n, "reason": reason})
        elif n:
            console.print(t.ngettext("timestamped: {n} receipt", "timestamped: {n} receipts", n))
        elif not reason:
            console.print(t.gettext("every receipt already has its timestamp"))
        if reason:
            raise IntakeError(t.gettext("not timestamped: {reason}", reason=reason))

    @cli.group()
    def keys() -> None:
        """Signing keys for the police PDF and chronology.json."""

    @keys.command("new")
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
                  help="Where to write the PKCS#12 file (e.g. config/adviser.p12).")
    @click.option("--name", required=True, help="Who signs: the organisation or the adviser.")
    @click.option("--years", default=5, show_default=True, help="How long the key is valid.")
    def keys_new(out: Path, name: str, years: int) -> None:
        """Make a self-signed signing key (PKCS#12) for an organisation without a PKI."""
        from .keys import new_pkcs12

        secret = os.environ.get("INTAKE_SIGNING_PASSPHRASE")
        if secret is None:
            secret = click.prompt("Passphrase for the new key", hide_input=True,
                                  confirmation_prompt=True)
        cert_path = new_pkcs12(out, name, secret, years)
        console.print(f"wrote {out} (the key) and {cert_path} (its certificate: hand it to "
                      "whoever checks the signatures)", markup=False)
        console.print("NOTE: this self-signed key shows that a document was not changed "
                      "since it was signed, and by whoever holds this key. It does not prove "
                      "who that is. A qualified certificate (a Belgian eID card, or the "
                      "organisation's qualified certificate) is what gives a signature legal "
                      "weight: set [seal] pkcs11_module for the eID (docs/seal.md).",
                      markup=False)
