"""Ask a time-stamping authority (RFC 3161 over HTTP) for a token over a SHA-256 value.

Only the standard library speaks HTTP here, with no proxy from the environment:
the addresses named in ``[seal] tsa_urls`` are the only ones ever connected to.
"""

from __future__ import annotations

import secrets
import urllib.error
import urllib.request

from asn1crypto import algos, core, tsp

from ..errors import IntakeError

_MAX_ANSWER = 1 << 20  # a token is a few kB; a bigger answer is not one


class TsaError(IntakeError):
    """No TSA gave a usable token; the words say why, for people."""


def make_request(digest: bytes, nonce: int) -> bytes:
    """The DER TimeStampReq for a SHA-256 value, asking for the TSA's certificate."""
    return tsp.TimeStampReq({
        "version": "v1",
        "message_imprint": {"hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                            "hashed_message": digest},
        "nonce": nonce,
        "cert_req": True,
    }).dump()


def read_answer(der: bytes, digest: bytes, nonce: int | None = None) -> tsp.TimeStampResp:
    """Parse a TimeStampResp and check that it grants a token over `digest`.

    :raises TsaError: garbage, a refusal (with the TSA's own words), or a token
        over something else.
    """
    try:  # the status alone first: asn1crypto insists on a token even in a refusal
        info = tsp.PKIStatusInfo.load(core.Sequence.load(der)[0].dump())
        status = info["status"].native
        text = info["status_string"].native or []
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise TsaError("the answer is not an RFC 3161 timestamp response") from exc
    if status not in ("granted", "granted_with_mods"):
        said = "; ".join(str(t) for t in text)
        raise TsaError(f"the TSA refused the request ({status}{': ' + said if said else ''})")
    try:
        resp = tsp.TimeStampResp.load(der)
        tst = resp["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed
        imprint = tst["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        hashed = imprint["hashed_message"].native
        answered_nonce = tst["nonce"].native
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise TsaError("the answer holds no readable timestamp token") from exc
    if algorithm != "sha256" or hashed != digest:
        raise TsaError("the token is over another value than the one asked for (wrong imprint)")
    if nonce is not None and answered_nonce != nonce:
        raise TsaError("the token answers another request (its nonce differs)")
    return resp


def fetch(urls: tuple[str, ...] | list[str], digest: bytes, timeout: float,
          request: tsp.TimeStampReq | None = None) -> bytes:
    """A DER TimeStampResp over `digest` from the first TSA in `urls` that gives one.

    Each TSA gets at most `timeout` seconds. The answer is checked (status,
    imprint, nonce) before it is returned; its signature is checked by
    ``token.check`` against the case's trust anchors. `request`: one already
    made (pyHanko's, for the timestamp inside a PDF signature).

    :raises TsaError: naming each TSA and why it gave nothing.
    """
    if not urls:
        raise TsaError("no time-stamping authority is configured ([seal] tsa_urls is empty)")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    reasons = []
    for url in urls:
        if request is None:
            nonce: int | None = secrets.randbits(63)
            body = make_request(digest, nonce)
        else:
            nonce, body = request["nonce"].native, request.dump()
        req = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/timestamp-query",
                                              "Accept": "application/timestamp-reply"})
        try:
            with opener.open(req, timeout=timeout) as answer:
                der = answer.read(_MAX_ANSWER + 1)
            if len(der) > _MAX_ANSWER:
                raise TsaError("the answer is far too large for a timestamp")
            read_answer(der, digest, nonce)
            return der
        except TsaError as exc:
            reasons.append(f"{url}: {exc}")
        except urllib.error.HTTPError as exc:
            reasons.append(f"{url}: the server answered HTTP {exc.code}")
        except (urllib.error.URLError, OSError) as exc:
            why = getattr(exc, "reason", exc)
            if isinstance(why, TimeoutError) or "timed out" in str(why):
                reasons.append(f"{url}: no answer within {timeout:g} seconds")
            else:
                reasons.append(f"{url}: cannot be reached ({why})")
    raise TsaError("no timestamp: " + "; ".join(reasons))
