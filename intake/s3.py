"""The ``s3`` replica kind: S3-compatible object storage with Object Lock (docs/s3.md).

A copy nobody can delete before its retention ends: every object, metadata
file and custody-log piece is uploaded with a SHA-256 checksum the server
checks on arrival (intake also compares the checksum the server reports with
its own) and locked in COMPLIANCE mode for ``retention_days``. Big files go up
in parts of `PART` bytes, one part in memory at a time.

Nothing is ever deleted, so nothing needs the right to delete: a damaged copy
is "set aside" by a small marker object naming its version
(``aside/<version>/<key>``); a good copy put again is a new version. The
custody log's segments are pieces ``custody/<segment>/<byte offset>``, each
locked once written. Bucket layout under ``prefix``::

    REPLICA.json  objects/ab/ab12…  meta/…  custody/0000000001.jsonl/000000000000
    aside/<version id>/<key>  checksums/<version id>  (a big file's part checksums)
"""

from __future__ import annotations

import base64
import errno
import hashlib
import json
import os
import secrets
import tempfile
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from .files import sha256_file
from .replica import CHUNK, ReplicaUnavailable

PART = 8 << 20  # bytes per uploaded part: the most a big file keeps in memory
#: after the service failed to answer, requests fail at once for this long (seconds), so a
#: batch does not wait on a dead endpoint file after file; the items wait and are caught up
QUIET = 30.0
MARKER = "REPLICA.json"
OPTIONS = ("endpoint_url", "bucket", "prefix", "region", "retention_days")

_CREDENTIALS = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken",
                "TokenRefreshRequired", "AuthorizationHeaderMalformed", "InvalidClientTokenId"}
_THROTTLED = {"SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded",
              "TooManyRequests", "ServiceUnavailable", "503"}
_FULL = {"QuotaExceeded", "XMinioStorageFull", "StorageFull", "InsufficientStorage"}


def plain_reason(exc: BaseException, endpoint: str, bucket: str) -> str:
    """What a failed request to the storage service means, in words people read."""
    from botocore import exceptions as be

    if isinstance(exc, be.NoCredentialsError | be.PartialCredentialsError):
        return ("no credentials for the storage service (set them in the environment or an "
                "AWS profile, never in the config)")
    if isinstance(exc, be.EndpointConnectionError | be.ConnectTimeoutError
                  | be.ReadTimeoutError | be.ConnectionClosedError | be.ConnectionError):
        return f"the storage service {endpoint} cannot be reached"
    if isinstance(exc, be.ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in _CREDENTIALS:
            return f"the storage service refused the credentials ({code})"
        if code in ("AccessDenied", "403"):
            return "the storage service refused access (check the credentials and the " \
                   "bucket's policy)"
        if code in ("NoSuchBucket", "404") and not exc.response.get("Key"):
            return f"the bucket {bucket} does not exist"
        if code in _THROTTLED:
            return "the storage service asks to slow down (throttled) and is tried again later"
        if code in _FULL:
            return "the bucket's quota is used up"
        return f"the storage service answered {code}"
    return f"the storage service failed ({type(exc).__name__})"


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


class S3Replica:
    """One complete copy of the store in an S3 bucket (a prefix of it), locked.

    The ``intake.replica.Replica`` protocol; ``hash_object(sha, read_data=True)``
    downloads and re-hashes instead of trusting the checksum the server keeps
    (``intake verify --read-data``).
    """

    def __init__(self, name: str, location: str, options: dict | None = None,
                 external: bool = False) -> None:
        opts = dict(options or {})
        self.name = name
        self.options = opts  # what the config gave (where the copies are: intake.devices)
        self.external = external
        self.bucket = str(opts.get("bucket", ""))
        self.prefix = str(opts.get("prefix", ""))
        self.endpoint_url = str(opts.get("endpoint_url", "") or "")
        self.region = str(opts.get("region", "") or "")
        self.retention_days = int(opts.get("retention_days", 0))
        cache = opts.get("cache") or (Path(location) if location and "://" not in location
                                      else None)
        self.cache = Path(cache) if cache else Path(tempfile.mkdtemp(prefix="intake-s3-"))
        self._client: Any = None
        self._gone = ""  # why the service was out of reach at the last request
        self._gone_at = 0.0
        self._aside: set[str] = set()  # "<version>/<key>" of copies set aside
        self._pieces: dict[str, int] | None = None  # custody segment -> bytes held
        self._held: set[str] | None = None  # the objects held, as listed once

    def __repr__(self) -> str:
        return f"S3Replica({self.name!r}, {self.describe()!r})"

    # --- the client and its errors ------------------------------------------

    @property
    def client(self) -> Any:
        if self._client is None:
            try:
                import boto3
                from botocore.config import Config
            except ImportError:
                raise ReplicaUnavailable("the s3 kind needs boto3: pip install 'intake[s3]'") \
                    from None

            # The credential chain's last resort asks a cloud machine's metadata address
            # (169.254.169.254), which no config names: offline by default, it is off
            # unless the adviser turned it on in the environment (docs/s3.md).
            os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
            self._client = boto3.session.Session().client(
                "s3", endpoint_url=self.endpoint_url or None, region_name=self.region or None,
                config=Config(connect_timeout=5, read_timeout=30,
                              retries={"max_attempts": 3, "mode": "standard"},
                              request_checksum_calculation="when_required",
                              response_checksum_validation="when_required"))
        return self._client

    def _fail(self, exc: BaseException) -> OSError:
        """An OSError saying in words what went wrong; remembered when the service is
        out of reach, so `health` takes the replica out until it answers again."""
        from botocore import exceptions as be

        reason = plain_reason(exc, self.endpoint_url or "AWS S3", self.bucket)
        if not isinstance(exc, be.ClientError) or any(
                w in reason for w in ("credentials", "refused access", "throttled", "quota")):
            self._gone, self._gone_at = reason, time.monotonic()
        return OSError(errno.EIO, reason)

    def _call(self, op: str, **kw: Any) -> Any:
        from botocore import exceptions as be

        if self._gone and time.monotonic() - self._gone_at < QUIET:
            raise OSError(errno.EIO, self._gone)
        try:
            result = getattr(self.client, op)(Bucket=self.bucket, **kw)
        except (be.BotoCoreError, be.ClientError) as exc:
            raise self._fail(exc) from exc
        self._gone = ""
        return result

    @staticmethod
    def _missing(exc: OSError) -> bool:
        cause = exc.__cause__
        code = getattr(cause, "response", {}).get("Error", {}).get("Code", "")
        return code in ("404", "NoSuchKey", "NoSuchVersion", "NotFound")

    def _head(self, key: str) -> dict | None:
        """The latest version's head of `key`, None if there is none (or it is set aside)."""
        try:
            head = self._call("head_object", Key=self.prefix + key, ChecksumMode="ENABLED")
        except OSError as exc:
            if self._missing(exc):
                return None
            raise
        return None if f"{head.get('VersionId')}/{key}" in self._aside else head

    def _lock(self) -> dict[str, Any]:
        if self.retention_days <= 0:
            return {}
        until = datetime.now(UTC) + timedelta(days=self.retention_days)
        return {"ObjectLockMode": "COMPLIANCE", "ObjectLockRetainUntilDate": until}

    def _put_small(self, key: str, data: bytes) -> str:
        """Upload whole bytes, checksummed and locked; returns the version id."""
        want = _b64(hashlib.sha256(data).digest())
        got = self._call("put_object", Key=self.prefix + key, Body=data,
                         ChecksumAlgorithm="SHA256", ChecksumSHA256=want, **self._lock())
        self._check(key, got, want)
        return str(got.get("VersionId"))

    def _check(self, key: str, answer: dict, want: str) -> None:
        """The checksum the server reports must be ours (moto stores one unchecked)."""
        said = str(answer.get("ChecksumSHA256") or "").split("-")[0]
        if said != want.split("-")[0]:
            if not key.startswith("aside/"):
                self._mark_aside(key, str(answer.get("VersionId")))
            raise OSError(errno.EIO, "the storage service reports another checksum than "
                                     "the bytes sent, so the copy does not count")

    def _latest(self, sub: str) -> Iterator[tuple[str, str]]:
        """(key under prefix, version id) of each current version below `sub`, in order."""
        pages = self._paginate("list_object_versions", Prefix=self.prefix + sub)
        for page in pages:
            for v in page.get("Versions", []):
                if v.get("IsLatest"):
                    key = v["Key"][len(self.prefix):]
                    if f"{v.get('VersionId')}/{key}" not in self._aside:
                        yield key, str(v.get("VersionId"))

    def _paginate(self, op: str, **kw: Any) -> list[dict]:
        from botocore import exceptions as be

        if self._gone and time.monotonic() - self._gone_at < QUIET:
            raise OSError(errno.EIO, self._gone)
        try:
            return list(self.client.get_paginator(op).paginate(Bucket=self.bucket, **kw))
        except (be.BotoCoreError, be.ClientError) as exc:
            raise self._fail(exc) from exc

    def _mark_aside(self, key: str, version: str) -> None:
        self._put_small(f"aside/{version}/{key}", b"")
        self._aside.add(f"{version}/{key}")

    def _set_aside(self, key: str) -> None:
        head = self._head(key)
        if head is not None:
            self._mark_aside(key, str(head.get("VersionId")))

    # --- presence -----------------------------------------------------------

    def open(self, case_id: str, create: bool) -> None:
        """The bucket must exist with versioning (Object Lock) and serve this case."""
        if not self.bucket:
            raise ReplicaUnavailable("no bucket is named in the config")
        try:
            self._call("head_bucket")
            versioning = self._call("get_bucket_versioning").get("Status")
            if versioning != "Enabled":
                raise ReplicaUnavailable(f"the bucket {self.bucket} has no versioning, so it "
                                         "cannot hold locked copies (create it with Object "
                                         "Lock, docs/s3.md)")
            marker = self.read_meta_key(MARKER)
            if marker is None:
                if create:
                    self._put_small(MARKER, json.dumps(
                        {"format": "intake-replica/1", "case_id": case_id,
                         "replica": self.name}, sort_keys=True).encode() + b"\n")
            else:
                info = json.loads(marker)
                if info.get("case_id") != case_id:
                    raise ReplicaUnavailable("it belongs to another case "
                                             f"({info.get('case_name', '?')})")
            self._aside = {k[len("aside/"):] for k, _v in self._latest("aside/")}
            self._pieces = self._held = None
        except OSError as exc:
            raise ReplicaUnavailable(exc.strerror or str(exc)) from exc
        except ValueError as exc:
            raise ReplicaUnavailable(f"its REPLICA.json cannot be read ({exc})") from exc

    def health(self) -> str | None:
        return self._gone or None

    def case_of(self) -> str | None:
        try:
            data = self.read_meta_key(MARKER)
            return str(json.loads(data)["case_id"]) if data else None
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def describe(self) -> str:
        where = self.endpoint_url or "AWS"
        return f"s3://{self.bucket}/{self.prefix} at {where}"

    def clean_temp(self) -> int:
        """Abort uploads in parts left unfinished by an interrupted run."""
        n = 0
        for page in self._paginate("list_multipart_uploads", Prefix=self.prefix + "objects/"):
            for up in page.get("Uploads", []):
                self._call("abort_multipart_upload", Key=up["Key"], UploadId=up["UploadId"])
                n += 1
        return n

    def begin_batch(self) -> None:
        """Nothing to put off: every PUT is durable when S3 answers it."""

    def barrier(self) -> None:
        """Nothing to do: each PUT was durable when it returned (group commit)."""

    # --- objects ------------------------------------------------------------

    @staticmethod
    def _okey(sha256: str) -> str:
        return f"objects/{sha256[:2]}/{sha256}"

    def has_object(self, sha256: str) -> bool:
        """From one listing of the bucket per run (catch-up asks for every item at every
        start: one request per thousand items, not one per item); `hash_object` asks anew."""
        if self._held is None:
            self._held = set(self.list_objects())
        return sha256 in self._held

    def object_size(self, sha256: str) -> int | None:
        head = self._head(self._okey(sha256))
        return None if head is None else int(head["ContentLength"])

    def hash_object(self, sha256: str, read_data: bool = False) -> str | None:
        """The stored copy's SHA-256: from the checksum the server keeps, or with
        `read_data` (or no usable checksum) by downloading and re-hashing."""
        key = self._okey(sha256)
        head = self._head(key)
        if head is None:
            return None
        said = str(head.get("ChecksumSHA256") or "")
        parts = "-" in str(head.get("ETag", "")).strip('"')
        if not read_data and said and not parts:
            return base64.b64decode(said.split("-")[0]).hex()
        if not read_data and said and parts:
            kept = self.read_meta_key(f"checksums/{head['VersionId']}")
            if kept is not None:  # the part checksums intake checked when it uploaded
                return sha256 if kept.decode() == said.split("-")[0] else f"parts:{said}"
        with self._get(key, str(head["VersionId"])) as body:
            return hashlib.file_digest(body, "sha256").hexdigest()

    def _get(self, key: str, version: str | None = None) -> BinaryIO:
        kw = {"VersionId": version} if version else {}
        return self._call("get_object", Key=self.prefix + key, **kw)["Body"]

    def open_object(self, sha256: str) -> BinaryIO:
        key = self._okey(sha256)
        head = self._head(key)
        if head is None:
            raise FileNotFoundError(errno.ENOENT, "not held in the bucket", sha256)
        return self._get(key, str(head["VersionId"]))

    def list_objects(self) -> Iterable[str]:
        return sorted(k.rsplit("/", 1)[1] for k, _v in self._latest("objects/"))

    def object_file(self, sha256: str) -> Path | None:
        """A local copy (downloaded once into the cache, verified) for readers needing a path."""
        path = self.cache / sha256
        if path.is_file() and sha256_file(path) == sha256:
            return path
        try:
            with self.open_object(sha256) as body:
                self.cache.mkdir(parents=True, exist_ok=True, mode=0o700)
                part = self.cache / f".{sha256}.{secrets.token_hex(4)}.part"
                with open(part, "wb") as f:
                    while chunk := body.read(CHUNK):
                        f.write(chunk)
            if sha256_file(part) != sha256:
                part.unlink(missing_ok=True)
                return None
            part.replace(path)
        except OSError:
            return None
        return path

    def set_aside_object(self, sha256: str) -> None:
        self._set_aside(self._okey(sha256))
        if self._held is not None:
            self._held.discard(sha256)

    def put_object(self, sha256: str, source: BinaryIO) -> str:
        """Upload a stream (in parts when big), checked against `sha256` and the server's
        checksum before it counts; a damaged copy in the way is set aside."""
        key = self._okey(sha256)
        outcome = "written"
        if self._head(key) is not None:
            if self.hash_object(sha256) == sha256:
                return "present"
            self._set_aside(key)
            outcome = "repaired"
        first = source.read(PART)
        if len(first) < PART:
            if hashlib.sha256(first).hexdigest() != sha256:
                raise OSError(errno.EIO, "the bytes read do not have the SHA-256 they are "
                                         "stored under")
            self._put_small(key, first)
        else:
            self._put_parts(key, sha256, first, source)
        if self._held is not None:
            self._held.add(sha256)
        return outcome

    def _put_parts(self, key: str, sha256: str, first: bytes, source: BinaryIO) -> None:
        """A multipart upload: one part in memory at a time; aborted if anything is off."""
        up = self._call("create_multipart_upload", Key=self.prefix + key,
                        ChecksumAlgorithm="SHA256", **self._lock())["UploadId"]
        whole, digests, parts = hashlib.sha256(), [], []
        try:
            chunk = first
            while chunk:
                whole.update(chunk)
                digest = hashlib.sha256(chunk).digest()
                digests.append(digest)
                got = self._call("upload_part", Key=self.prefix + key, UploadId=up,
                                 PartNumber=len(parts) + 1, Body=chunk,
                                 ChecksumAlgorithm="SHA256", ChecksumSHA256=_b64(digest))
                if got.get("ChecksumSHA256") not in (None, _b64(digest)):
                    raise OSError(errno.EIO, "the storage service reports another checksum "
                                             "for a part than the bytes sent")
                parts.append({"PartNumber": len(parts) + 1, "ETag": got["ETag"],
                              "ChecksumSHA256": _b64(digest)})
                chunk = source.read(PART)
            if whole.hexdigest() != sha256:
                raise OSError(errno.EIO, "the bytes read do not have the SHA-256 they are "
                                         "stored under")
            done = self._call("complete_multipart_upload", Key=self.prefix + key, UploadId=up,
                              MultipartUpload={"Parts": parts})
        except BaseException:
            try:
                self._call("abort_multipart_upload", Key=self.prefix + key, UploadId=up)
            except OSError:
                pass  # clean_temp aborts it at the next start
            raise
        composite = _b64(hashlib.sha256(b"".join(digests)).digest())
        version = str(done.get("VersionId"))
        head = self._call("head_object", Key=self.prefix + key, VersionId=version,
                          ChecksumMode="ENABLED")
        self._check(key, head, composite)
        if self.retention_days > 0 and head.get("ObjectLockMode") != "COMPLIANCE":
            lock = self._lock()
            self._call("put_object_retention", Key=self.prefix + key, VersionId=version,
                       Retention={"Mode": "COMPLIANCE",
                                  "RetainUntilDate": lock["ObjectLockRetainUntilDate"]})
        self._put_small(f"checksums/{version}", composite.encode())

    # --- metadata files -------------------------------------------------------

    def read_meta_key(self, key: str) -> bytes | None:
        """The latest (not set aside) version of any key, or None."""
        try:
            got = self._call("get_object", Key=self.prefix + key)
        except OSError as exc:
            if self._missing(exc):
                return None
            raise
        if f"{got.get('VersionId')}/{key}" in self._aside:
            return None
        with got["Body"] as body:
            return body.read()

    def write_meta(self, rel: str, data: bytes) -> None:
        self._put_small(f"meta/{rel}", data)

    def read_meta(self, rel: str) -> bytes | None:
        return self.read_meta_key(f"meta/{rel}")

    def list_meta(self) -> Iterable[str]:
        return sorted(k[len("meta/"):] for k, _v in self._latest("meta/"))

    def set_aside_meta(self, rel: str) -> None:
        self._set_aside(f"meta/{rel}")

    # --- the custody log: each append is one locked piece ------------------------

    def _held_pieces(self) -> dict[str, list[tuple[int, str]]]:
        segs: dict[str, list[tuple[int, str]]] = {}
        for key, version in self._latest("custody/"):
            _c, seg, offset = key.split("/", 2)
            if offset.isdigit():
                segs.setdefault(seg, []).append((int(offset), version))
        return {s: sorted(p) for s, p in sorted(segs.items())}

    def append_custody(self, segment: str, data: bytes) -> None:
        if self._pieces is None:
            self._pieces = {s: sum(len(b) for b in self._read_pieces(s, p))
                            for s, p in self._held_pieces().items()}
        have = self._pieces.get(segment, 0)
        try:
            self._put_small(f"custody/{segment}/{have:012d}", data)
        except OSError:
            self._pieces = None  # it may have arrived all the same: listed again next time
            raise
        self._pieces[segment] = have + len(data)

    def _read_pieces(self, seg: str, pieces: list[tuple[int, str]]) -> Iterator[bytes]:
        """The pieces of a segment in order, up to the first gap (a piece set aside)."""
        at = 0
        for offset, version in pieces:
            if offset != at:
                return
            with self._get(f"custody/{seg}/{offset:012d}", version) as body:
                data = body.read()
            yield data
            at += len(data)

    def read_custody(self) -> list[tuple[str, bytes]]:
        return [(seg, b"".join(self._read_pieces(seg, pieces)))
                for seg, pieces in self._held_pieces().items()]

    def set_aside_custody(self, segment: str) -> None:
        for offset, version in self._held_pieces().get(segment, []):
            self._mark_aside(f"custody/{segment}/{offset:012d}", version)
        self._pieces = None

