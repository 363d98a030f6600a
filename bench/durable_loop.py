"""The reference of figure 2: the least a durable intake of small files must do, in Python.

    python bench/durable_loop.py SOURCE_FOLDER REPLICA_A REPLICA_B

For each file: read it, SHA-256, exifread's tags, and one copy into each
replica folder, each copy fsynced. No index, no custody log, no plugins, no
metadata files, no folder fsyncs: the floor intake's work is compared with
(issue 19, point 2). Prints the number of files.
"""

import hashlib
import os
import sys
from pathlib import Path

import exifread


def main(source: Path, replicas: list[Path]) -> int:
    n = 0
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        with open(path, "rb") as f:
            exifread.process_file(f, details=False)
        for rep in replicas:
            with open(rep / digest, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
        n += 1
    return n


if __name__ == "__main__":
    print(main(Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]]))
