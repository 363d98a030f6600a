"""A case with a folder replica ``a`` and an S3 replica ``archief`` on moto (tests/s3/).

``min_copies = 2``, so an original leaves the inbox only once the bucket
holds a verified copy too.
"""

from __future__ import annotations

import json
from pathlib import Path

from .case import new_case, run_intake, set_config
from .moto import MotoServer

FILES = {"sms-export.txt": b"2024-03-01 21:15 +32470000000: je weet waar je woont\n",
         "mail.eml": b"From: x@example.org\r\nSubject: hi\r\n\r\nhello\r\n",
         "note.txt": b"he stood at the door at 22:10\n"}


def s3_case(tmp_path: Path, server: MotoServer, bucket: str, retention: int = 1) -> Path:
    case = new_case(tmp_path / "case")
    set_config(case, '[[replicas]]\nname = "b"\npath = "store/b"\n',
               f'[[replicas]]\nname = "archief"\nkind = "s3"\nendpoint_url = "{server.url}"\n'
               f'bucket = "{bucket}"\nprefix = "cases/anna/"\nregion = "eu-west-1"\n'
               f'retention_days = {retention}\n')
    return case


def key(sha: str) -> str:
    return f"cases/anna/objects/{sha[:2]}/{sha}"


def problems(case: Path, *extra: str) -> list[dict]:
    proc = run_intake("verify", "--json", "--case", case, *extra)
    return json.loads(proc.stdout)["problems"]
