"""Shared test helpers: real cases, files made in code, a running watcher, small disks.

Import them as ``from tests.helpers import new_case, drop, make_mail, watching``;
the chronology samples, court case and media containers are their own modules
(``tests.helpers.samples``, ``.court_case``, ``.media``).
"""

from __future__ import annotations

from .case import (
    EMPTY_SHA256,
    INTAKE,
    add_config,
    custody_lines,
    custody_records,
    drop,
    inbox_top,
    ingest,
    ingested,
    meta_dir,
    new_case,
    object_path,
    ok,
    receipts,
    replica,
    run_intake,
    set_config,
    sha256,
    status,
    stored_objects,
    temp_parts,
    verify,
    wait_for,
    with_plugins,
)
from .corpus import (
    SKIP,
    check_nothing_lost,
    copy_into_inbox,
    corpus_files,
    leftovers,
    pick,
    sha_file,
)
from .disks import fill, small_fs
from .files import MAIL_DATE, make_jpeg, make_mail, make_png
from .sizes import FULL, size
from .tamper import flip_byte, problems
from .watch import WatcherThread, start_watch, stop_watch, watching

__all__ = ['EMPTY_SHA256', 'FULL', 'INTAKE', 'MAIL_DATE', 'SKIP', 'WatcherThread', 'add_config', 'check_nothing_lost', 'copy_into_inbox', 'corpus_files', 'custody_lines', 'custody_records', 'drop', 'fill', 'flip_byte', 'inbox_top', 'ingest', 'ingested', 'leftovers', 'make_jpeg', 'make_mail', 'make_png', 'meta_dir', 'new_case', 'object_path', 'ok', 'pick', 'problems', 'receipts', 'replica', 'run_intake', 'set_config', 'sha256', 'sha_file', 'size', 'small_fs', 'start_watch', 'status', 'stop_watch', 'stored_objects', 'temp_parts', 'verify', 'wait_for', 'watching', 'with_plugins']
