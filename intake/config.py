"""The case config (``config/intake.toml``): read, checked key by key, explained.

A wrong key or value raises ConfigError with one line naming the file, the
key and what is allowed. Paths in the config are relative to the case folder.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError
from .types import DEFAULT_ZONE

CONFIG_NAME = Path("config") / "intake.toml"
LANGUAGES = ("nl", "fr", "en")

DEFAULT_CONFIG = """\
# intake case configuration. Paths are relative to the case folder.
# Every key is explained in docs/configuration.md.

[case]
name = "{name}"
timezone = "Europe/Brussels"   # the zone local times without an offset are read in
language = "nl"                # nl, fr or en: reports and messages

[inbox]
path = "inbox"                 # where the victim drops files
settle_seconds = 1.0           # a file must be unchanged this long before it is taken

[store]
min_copies = 2                 # an original leaves the inbox only when this many replicas hold it

# Each [[replicas]] is one complete copy of the store. Add a USB stick or a
# network share with another block, e.g. path = "/media/usb/intake-store".
[[replicas]]
name = "a"
path = "store/a"

[[replicas]]
name = "b"
path = "store/b"

[plugins]
folders = []                   # folders with an adviser's plugin files (*.py)
timeout_seconds = 60           # a plugin that takes longer on one file is stopped

[ocr]
languages = ["nld", "fra", "eng"]  # Tesseract languages for text in pictures; [] = no OCR

# Who asks the telecom ombudsman to identify a caller (the ombudsman request).
# Empty values are printed as lines to fill in by hand.
[requester]
name = ""                      # the victim's name (default: the person with role victim)
address = ""                   # street and number, postcode and town
phone = ""                     # the number the calls came in on (default: the victim's)
operator = ""                  # e.g. Proximus, Orange, Telenet/BASE
pv = ""                        # police report number (default: PV numbers in the logbook)
police_zone = ""               # e.g. PZ Gent
place = ""                     # where the request is signed
"""


#: the keys of a ``kind = "s3"`` replica (docs/s3.md); credentials never go in the config
S3_KEYS = ("endpoint_url", "bucket", "prefix", "region", "retention_days")

#: ``[requester]``: the victim as the ombudsman request names them (docs/configuration.md).
REQUESTER_KEYS = ("name", "address", "phone", "operator", "pv", "police_zone", "place")


@dataclass(frozen=True)
class ReplicaConfig:
    name: str
    kind: str
    path: Path
    options: dict[str, Any] = field(default_factory=dict)
    external: bool = False  # outside the case folder: may be absent (unplugged)


@dataclass(frozen=True)
class SealConfig:
    """``[seal]``: the time-stamping authorities and the signing key (docs/seal.md)."""

    tsa_urls: tuple[str, ...] = ()
    tsa_ca_files: tuple[Path, ...] = ()
    signing_key: Path | None = None  # a PKCS#12 file
    pkcs11_module: str = ""  # a PKCS#11 library (Belgian eID: the beid module)
    pkcs11_token: str = ""  # the token's label
    pkcs11_key: str = ""  # the key's (and certificate's) label
    timeout_seconds: float = 10.0  # one TSA's answer; intake never waits longer per TSA
    retry_seconds: float = 60.0  # `intake watch`: how long after a failure to ask again

    @property
    def hosts(self) -> tuple[tuple[str, int], ...]:
        """The (host, port) of every TSA: the only addresses intake ever connects to."""
        from urllib.parse import urlsplit

        out = []
        for url in self.tsa_urls:
            parts = urlsplit(url)
            out.append((parts.hostname or "", parts.port or (443 if parts.scheme == "https"
                                                              else 80)))
        return tuple(out)


@dataclass(frozen=True)
class Config:
    case_dir: Path
    name: str
    timezone: str
    language: str
    inbox: Path
    settle_seconds: float
    ignore: tuple[str, ...]
    min_copies: int
    replicas: tuple[ReplicaConfig, ...]
    plugin_folders: tuple[Path, ...]
    plugin_timeout: float
    state_dir: Path  # index, lock: a cache, rebuildable from any replica
    one_device_ok: bool = False  # every replica on one disk is known (a test setup)
    #: who asks the telecom ombudsman (name, address, phone, operator, pv, police_zone, place)
    requester: dict[str, str] = field(default_factory=dict)
    temporary_seconds: float = 600.0  # a temporary-looking name is taken once unchanged this long
    ocr_languages: tuple[str, ...] = ("nld", "fra", "eng")  # [ocr] languages; () = no OCR
    seal: SealConfig | None = None  # [seal]: None keeps the tool fully offline

    @property
    def index_path(self) -> Path:
        return self.state_dir / "index.sqlite"

    @property
    def ingested_dir(self) -> Path:
        return self.inbox / "ingested"

    def rel(self, path: Path) -> str:
        """How a path is recorded: relative to the case folder if inside it, else absolute.

        ``config.case_dir / recorded`` gives the path back in both cases.
        """
        path = Path(path)
        if self.case_dir in path.parents:
            return path.relative_to(self.case_dir).as_posix()
        return str(path.absolute())


_ALLOWED: dict[str, tuple[str, ...]] = {
    "": ("case", "inbox", "store", "replicas", "plugins", "requester", "ocr", "seal"),
    "case": ("name", "timezone", "language"),
    "inbox": ("path", "settle_seconds", "ignore", "temporary_seconds"),
    "store": ("min_copies", "one_device_ok"),
    "replicas": ("name", "kind", "path", "options") + S3_KEYS,
    "plugins": ("folders", "timeout_seconds"),
    "requester": REQUESTER_KEYS,
    "ocr": ("languages",),
    "seal": ("tsa_urls", "tsa_ca_files", "signing_key", "pkcs11_module", "pkcs11_token_label",
             "pkcs11_key_label", "timeout_seconds", "retry_seconds"),
}


class _Reader:
    def __init__(self, path: Path, data: dict[str, Any]):
        self.path = path
        self.data = data

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.path}: key '{key}' {message}", self.path)

    def check_keys(self, table: dict[str, Any], section: str, label: str,
                   allowed: tuple[str, ...] | None = None) -> None:
        allowed = allowed or _ALLOWED[section]
        for key in table:
            if key not in allowed:
                where = f"{label}.{key}" if label else key
                raise self.fail(where, f"is not known (allowed here: {', '.join(allowed)})")

    def table(self, key: str) -> dict[str, Any]:
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, "must be a table, like [" + key + "]")
        self.check_keys(value, key, key)
        return value

    def get(self, table: dict[str, Any], label: str, key: str, kind: type, default: Any) -> Any:
        value = table.get(key, default)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            names = {str: "text in quotes", int: "a whole number", float: "a number",
                     list: "a list like [\"a\", \"b\"]", bool: "true or false"}
            raise self.fail(f"{label}.{key}", f"must be {names.get(kind, kind.__name__)}, "
                                              f"not {value!r}")
        return value


def language_of(path: Path) -> str:
    """The case language a config file asks for, read leniently: the file may be the
    one that failed to load. Dutch (the default) when it does not say; English for
    a file that is no case's config (a pointer to the default case)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "en"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        said = re.search(r"""^\s*language\s*=\s*["'](\w+)["']""", text, re.M)
        lang = said.group(1) if said else "nl"
    else:
        if "pointer" in data:
            return "en"
        case = data.get("case")
        lang = case.get("language", "nl") if isinstance(case, dict) else "nl"
    return lang if lang in LANGUAGES else "nl"


def load_config(case_dir: Path) -> Config:
    """Read and check ``case_dir/config/intake.toml``."""
    case_dir = Path(case_dir).resolve()
    path = case_dir / CONFIG_NAME
    if not path.is_file():
        raise ConfigError(f"{path}: no config file here. Is {case_dir} a case folder? "
                          "Make one with 'intake init DIR' or pass --case DIR")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); check quotes and brackets",
                          path) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text; save it as UTF-8", path) from exc
    if "pointer" in data:
        from .home import default_case_dir

        raise ConfigError(f"{path}: this folder only points to the default case; use "
                          f"--case {default_case_dir()}")
    r = _Reader(path, data)
    r.check_keys(data, "", "")

    case = r.table("case")
    name = r.get(case, "case", "name", str, case_dir.name)
    tz = r.get(case, "case", "timezone", str, DEFAULT_ZONE)
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise r.fail("case.timezone", f"is {tz!r}, which is not a known time zone "
                                      "(use a name like \"Europe/Brussels\")") from exc
    lang = r.get(case, "case", "language", str, "nl")
    if lang not in LANGUAGES:
        raise r.fail("case.language", f"is {lang!r}; allowed: {', '.join(LANGUAGES)}")

    inbox_t = r.table("inbox")
    inbox = case_dir / r.get(inbox_t, "inbox", "path", str, "inbox")
    settle = r.get(inbox_t, "inbox", "settle_seconds", float, 1.0)
    if not 0 <= settle <= 3600:
        raise r.fail("inbox.settle_seconds", f"is {settle}; allowed: 0 to 3600 seconds")
    temporary = r.get(inbox_t, "inbox", "temporary_seconds", float, 600.0)
    if not 0 <= temporary <= 86400:
        raise r.fail("inbox.temporary_seconds", f"is {temporary}; allowed: 0 to 86400 seconds")
    ignore = r.get(inbox_t, "inbox", "ignore", list, [])
    if not all(isinstance(p, str) for p in ignore):
        raise r.fail("inbox.ignore", "must be a list of file name patterns in quotes")

    raw_replicas = data.get("replicas", [{"name": "a", "path": "store/a"},
                                         {"name": "b", "path": "store/b"}])
    if not isinstance(raw_replicas, list) or not raw_replicas:
        raise r.fail("replicas", "must be one or more [[replicas]] blocks")
    replicas = []
    for i, rep in enumerate(raw_replicas, 1):
        label = f"replicas[{i}]"
        if not isinstance(rep, dict):
            raise r.fail(label, "must be a [[replicas]] block")
        is_s3 = rep.get("kind") == "s3"
        if not is_s3:
            for key in S3_KEYS:
                if key in rep:
                    raise r.fail(f"{label}.{key}", 'is only for a replica of kind = "s3"')
        # the keys of the replica's kind only (each is documented in docs/configuration.md)
        r.check_keys(rep, "replicas", label, None if is_s3 else _ALLOWED["replicas"][:4])
        rname = r.get(rep, label, "name", str, f"r{i}")
        if not rname or "/" in rname or rname in {p.name for p in replicas}:
            raise r.fail(f"{label}.name", f"is {rname!r}; each replica needs its own short name")
        kind = r.get(rep, label, "kind", str, "folder")
        if kind == "s3":
            replicas.append(_s3_replica(r, rep, label, rname, case_dir))
            continue
        if "path" not in rep:
            raise r.fail(f"{label}.path", "is missing: say where this copy of the store lives")
        raw_path = Path(r.get(rep, label, "path", str, ""))
        rpath = (case_dir / raw_path).resolve() if not raw_path.is_absolute() else raw_path
        options = r.get(rep, label, "options", dict, {})
        external = case_dir not in rpath.parents
        replicas.append(ReplicaConfig(rname, kind, rpath, options, external))
    paths = [p.path for p in replicas if p.kind != "s3"]
    if len(set(paths)) != len(paths):
        raise r.fail("replicas", "has two replicas in the same folder; give each its own path")

    store = r.table("store")
    min_copies = r.get(store, "store", "min_copies", int, min(2, len(replicas)))
    if not 1 <= min_copies <= len(replicas):
        raise r.fail("store.min_copies", f"is {min_copies}; allowed: 1 to {len(replicas)} "
                                         f"(the number of replicas)")
    one_device_ok = r.get(store, "store", "one_device_ok", bool, False)

    plugins = r.table("plugins")
    folders = r.get(plugins, "plugins", "folders", list, [])
    if not all(isinstance(p, str) for p in folders):
        raise r.fail("plugins.folders", "must be a list of folder paths in quotes")
    folder_paths = tuple((case_dir / p).resolve() for p in folders)
    for folder, raw in zip(folder_paths, folders, strict=True):
        if not folder.is_dir():
            raise r.fail("plugins.folders", f"names {raw!r}, which is not a folder")
    timeout = r.get(plugins, "plugins", "timeout_seconds", float, 60.0)
    if not 1 <= timeout <= 3600:
        raise r.fail("plugins.timeout_seconds", f"is {timeout}; allowed: 1 to 3600")

    _refuse_overlaps(r, case_dir, inbox, inbox_t.get("path", "inbox"), replicas, raw_replicas,
                     list(zip(folder_paths, folders, strict=True)))
    req_t = r.table("requester")
    requester = {k: r.get(req_t, "requester", k, str, "").strip() for k in REQUESTER_KEYS}
    if requester["phone"]:
        from .phones import e164

        phone = e164(requester["phone"])
        if phone is None:
            raise r.fail("requester.phone", f"is {requester['phone']!r}, which is not a phone "
                                            "number (write it like \"0468 99 01 23\")")
        requester["phone"] = phone

    ocr_t = r.table("ocr")
    ocr_languages = r.get(ocr_t, "ocr", "languages", list, ["nld", "fra", "eng"])
    if not all(isinstance(x, str) and re.fullmatch(r"[a-z_]{3,20}", x) for x in ocr_languages):
        raise r.fail("ocr.languages", "must be a list of Tesseract language codes in quotes, "
                                      "like [\"nld\", \"fra\", \"eng\"] ([] turns OCR off)")

    seal = _seal(r, case_dir) if "seal" in data else None
    return Config(case_dir=case_dir, name=name, timezone=tz, language=lang, inbox=inbox,
                  settle_seconds=settle, ignore=tuple(ignore), min_copies=min_copies,
                  replicas=tuple(replicas), plugin_folders=folder_paths,
                  plugin_timeout=timeout, state_dir=case_dir / ".intake",
                  one_device_ok=one_device_ok, requester=requester,
                  temporary_seconds=temporary, ocr_languages=tuple(ocr_languages), seal=seal)


def _seal(r: _Reader, case_dir: Path) -> SealConfig:
    """``[seal]``: every URL and file checked now, so that a typo fails at start, not at night."""
    from urllib.parse import urlsplit

    t = r.table("seal")
    urls = r.get(t, "seal", "tsa_urls", list, [])
    for url in urls:
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise r.fail("seal.tsa_urls", f"holds {url!r}, which is not an http:// or https:// "
                                          "address of a time-stamping authority")
    cas = r.get(t, "seal", "tsa_ca_files", list, [])
    ca_paths = []
    for raw in cas:
        path = case_dir / raw if isinstance(raw, str) else None
        if path is None or not path.is_file():
            raise r.fail("seal.tsa_ca_files", f"names {raw!r}, which is not a file (the TSA's "
                                              "CA certificate, PEM or DER)")
        ca_paths.append(path)
    if urls and not ca_paths:
        raise r.fail("seal.tsa_ca_files", "is empty: name the TSA's CA certificate, so that "
                                          "its timestamps can be checked")
    key_raw = r.get(t, "seal", "signing_key", str, "")
    module = r.get(t, "seal", "pkcs11_module", str, "")
    if key_raw and module:
        raise r.fail("seal.signing_key", "and 'seal.pkcs11_module' are both set; use one")
    key = case_dir / key_raw if key_raw else None
    if key is not None and not key.is_file():
        raise r.fail("seal.signing_key", f"names {key_raw!r}, which is not a file (a PKCS#12 "
                                         "file; 'intake keys new' makes one)")
    if module and not Path(module).is_file():
        raise r.fail("seal.pkcs11_module", f"names {module!r}, which is not a file (the "
                                           "PKCS#11 library, e.g. libbeidpkcs11.so)")
    token = r.get(t, "seal", "pkcs11_token_label", str, "")
    key_label = r.get(t, "seal", "pkcs11_key_label", str, "")
    timeout = r.get(t, "seal", "timeout_seconds", float, 10.0)
    if not 0.1 <= timeout <= 120:
        raise r.fail("seal.timeout_seconds", f"is {timeout}; allowed: 0.1 to 120 seconds")
    retry = r.get(t, "seal", "retry_seconds", float, 60.0)
    if not 0.1 <= retry <= 86400:
        raise r.fail("seal.retry_seconds", f"is {retry}; allowed: 0.1 to 86400 seconds")
    return SealConfig(tuple(urls), tuple(ca_paths), key, module, token, key_label, timeout,
                      retry)


def _s3_replica(r: _Reader, rep: dict[str, Any], label: str, name: str,
                case_dir: Path) -> ReplicaConfig:
    """A replica in an S3 bucket with Object Lock (docs/s3.md); `path` is optional: the
    local cache of downloaded copies (``.intake/s3-cache/<name>`` by default)."""
    options = dict(r.get(rep, label, "options", dict, {}))
    for key in ("endpoint_url", "bucket", "prefix", "region"):
        options[key] = r.get(rep, label, key, str, "").strip()
    if not options["bucket"]:
        raise r.fail(f"{label}.bucket", "is missing: name the bucket (created with Object Lock, "
                                        "see docs/s3.md)")
    if options["endpoint_url"] and not re.match(r"https?://", options["endpoint_url"]):
        raise r.fail(f"{label}.endpoint_url", f"is {options['endpoint_url']!r}; write it like "
                                              "https://s3.example.org (empty for AWS)")
    days = r.get(rep, label, "retention_days", int, 0)
    if not 0 <= days <= 36500:
        raise r.fail(f"{label}.retention_days", f"is {days}; allowed: 0 (no lock) to 36500")
    options["retention_days"] = days
    raw = rep.get("path")
    cache = Path(r.get(rep, label, "path", str, "")) if raw else \
        Path(".intake") / "s3-cache" / name
    options["cache"] = str(cache if cache.is_absolute() else case_dir / cache)
    return ReplicaConfig(name, "s3", Path(options["cache"]), options, False)


def _inside(inner: Path, outer: Path) -> bool:
    return inner == outer or outer in inner.parents


def _refuse_overlaps(r: _Reader, case_dir: Path, inbox: Path, inbox_raw: str,
                     replicas: list[ReplicaConfig], raw_replicas: list[dict],
                     plugin_folders: list[tuple[Path, str]]) -> None:
    """No two of inbox, replicas, plugin folders, config/ and .intake/ inside one another.

    An inbox holding the store would take the case's own copies as new evidence;
    a plugin folder inside the inbox would run a dropped file as code.
    """
    places: list[tuple[str, str, Path]] = [("inbox.path", inbox_raw, inbox.resolve())]
    for i, (rc, raw) in enumerate(zip(replicas, raw_replicas, strict=True), 1):
        if rc.kind == "s3":
            continue  # a bucket: its local cache is in .intake/
        places.append((f"replicas[{i}].path", str(raw["path"]), rc.path.resolve()))
    for folder, raw in plugin_folders:
        places.append(("plugins.folders", raw, folder))
    fixed = [("the case's config folder", "config", (case_dir / "config").resolve()),
             ("the case's state folder", ".intake", (case_dir / ".intake").resolve())]
    pairs = [(p, f) for p in places for f in fixed]
    pairs += [(p, q) for i, p in enumerate(places) for q in places[i + 1:]]
    for (key, raw, path), (key2, raw2, path2) in pairs:
        if not (_inside(path, path2) or _inside(path2, path)):
            continue
        if path2 != path and _inside(path2, path) and (key2, raw2, path2) in places:
            (key, raw, path), (key2, raw2, path2) = (key2, raw2, path2), (key, raw, path)
        what = f"{key2} {raw2}/" if key2.startswith("the ") else f"'{key2}' ({raw2!r})"
        if "plugins.folders" in (key, key2):
            harm = "a file dropped or stored there would run as code"
        elif "inbox.path" in (key, key2):
            harm = "intake would take the case's own files as new evidence"
        else:
            harm = "one would hold the other's files"
        raise r.fail(key, f"is {raw!r}, which overlaps {what}: {harm}; "
                          "give each its own folder, neither inside the other")


def write_default_config(case_dir: Path, name: str) -> Path:
    """Write a fresh config for a new case (never over an existing one)."""
    path = case_dir / CONFIG_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    safe = name.replace("\\", "").replace('"', "")
    with open(path, "x", encoding="utf-8") as f:
        f.write(DEFAULT_CONFIG.format(name=safe))
    return path
