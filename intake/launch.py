"""The ``intake`` command's entry point, kept tiny on purpose.

Plugin workers are started with multiprocessing's "spawn", which runs the
parent's main script again in every worker (as ``__mp_main__``). When that
script imported ``intake.cli`` at its top, each worker loaded the whole
command line (click, rich, every command module: about 0.12 s of CPU) only to
run plugins. The script now imports this module, which imports the command
line only when the command really runs.
"""

from __future__ import annotations


def main() -> None:
    from .cli import main as run

    run()
