"""What a plugin worker loads at its start (issue 19: start-up of every worker).

multiprocessing's "spawn" runs the parent's main script again in each worker;
the ``intake`` script imports only ``intake.launch``, so a worker never loads
the command line (click, rich, every command module) just to run plugins.
Checked inside the real worker, started by the real CLI.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from tests.helpers import drop, meta_dir, new_case, ok, replica, run_intake, with_plugins

PROBE = '''
import sys

from intake import Extraction, hookimpl

__version__ = "1.0.0"


@hookimpl
def intake_extract(item, case):
    if not item.name.endswith(".probe"):
        return None
    loaded = {name: name in sys.modules
              for name in ("intake.cli", "intake.cli_common", "click", "rich", "structlog",
                           "intake.launch", "intake.plugin_worker")}
    main = sys.modules.get("__mp_main__") or sys.modules.get("__main__")
    return Extraction(kind="probe", facts={**loaded, "main": getattr(main, "__file__", "")})
'''


def test_the_plugin_worker_does_not_load_the_command_line(tmp_path: Path) -> None:
    case = new_case(tmp_path / "case", settle=0.0)
    with_plugins(case, {"probe.py": PROBE})
    data = b"probe\n"
    drop(case, "a.probe", data)
    ok(run_intake("ingest", "--case", case, timeout=300))
    sha = hashlib.sha256(data).hexdigest()
    record = json.loads((meta_dir(replica(case, "a"), sha) / "extraction.json").read_bytes())
    facts = record["facts"]
    # the worker ran the intake script again as its main (spawn) ...
    assert facts["main"] == str(Path(sys.executable).with_name("intake"))
    assert facts["intake.launch"] is True and facts["intake.plugin_worker"] is True
    # ... and that loaded none of the command line
    assert {k: facts[k] for k in ("intake.cli", "intake.cli_common", "click", "rich",
                                  "structlog")} == \
        {"intake.cli": False, "intake.cli_common": False, "click": False, "rich": False,
         "structlog": False}
