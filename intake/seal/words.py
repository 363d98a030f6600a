"""Words of the seal that readers see (PDF "how to check" page, signature box, status).

English message ids with the context ``seal``, translated in the gettext
catalogues (intake/locale, docs/i18n.md).
"""

from __future__ import annotations

from intake.i18n import translator


def signed_by(lang: str | None, signer: str) -> str:
    """The text of the visible signature box (the time is added by pyHanko)."""
    return translator(lang).pgettext("seal", "Digitally signed by {signer}").format(
        signer=signer)


def how_to_check(lang: str | None, info: dict[str, str], files: list[str]) -> dict:
    """The PDF's section on the timestamp and signature: what each command proves."""
    t = translator(lang)

    steps = []
    if "chronology.json.tsr" in files:
        steps.append({
            "text": t.pgettext("seal", "The timestamp: a time-stamping authority (TSA) signed that "
                              "chronology.json, byte for byte, existed no later than {time} "
                              "({tsa}). Extract it and check it with OpenSSL; its answer must "
                              "end in OK. tsa-ca.pem is the TSA's CA "
                              "certificate, published by the TSA:").format(
                time=info.get("tsa_time") or "-", tsa=info.get("tsa_name") or "-"),
            "cmd": "qpdf --show-attachment=chronology.json.tsr chronology.pdf > "
                   "chronology.json.tsr\nopenssl ts -reply -in chronology.json.tsr -text\n"
                   "openssl ts -verify -data chronology.json -in chronology.json.tsr "
                   "-CAfile tsa-ca.pem"})
    if "chronology.json.p7s" in files:
        steps.append({
            "text": t.pgettext("seal", "The signature of chronology.json by {signer}: the answer must "
                              "be \"Verification successful\". signer.pem is the signer's "
                              "certificate or its CA (for a Belgian eID: the Belgium Root "
                              "CA):").format(signer=info.get("signer") or "-"),
            "cmd": "qpdf --show-attachment=chronology.json.p7s chronology.pdf > "
                   "chronology.json.p7s\nopenssl cms -verify -binary -inform DER "
                   "-content chronology.json -in chronology.json.p7s -CAfile signer.pem "
                   "-out /dev/null"})
        steps.append({
            "text": t.pgettext("seal", "This PDF itself is signed (PAdES): a PDF reader shows the "
                              "signature panel; any change to the PDF after signing shows "
                              "there as a broken signature."),
            "cmd": ""})
    return {"title": t.pgettext("seal", "Timestamp and signature"),
            "intro": t.pgettext("seal", "Whoever holds chronology.json and these files can check, "
                               "without intake and without trusting whoever made this report, "
                               "that not a byte of it changed since the time below."),
            "steps": steps}
