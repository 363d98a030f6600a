"""``intake serve``: start the workspace on this computer and print its one-time link."""

from __future__ import annotations

import socket
import threading
import webbrowser
from pathlib import Path

import click

from ..errors import IntakeError
from ..i18n import translator
from ..messages import translate

LOOPBACK = "127.0.0.1"


def register(cli: click.Group, case_option) -> None:
    @cli.command()
    @case_option
    @click.option("--port", default=0, show_default=True,
                  help="Port to listen on (0: any free port).")
    @click.option("--host", default=LOOPBACK, show_default=True,
                  help="Address to listen on; anything but 127.0.0.1 lets other computers try.")
    @click.option("--no-browser", is_flag=True, help="Do not open the browser.")
    @click.option("--watch", is_flag=True, help="Also watch the inbox, in this same program.")
    @click.option("--max-upload", default=2048, show_default=True,
                  help="Largest upload at once, in MiB.")
    def serve(case_dir: Path, port: int, host: str, no_browser: bool, watch: bool,
              max_upload: int) -> None:
        """The adviser's workspace in the browser (Ctrl+C to stop)."""
        run(case_dir, port=port, host=host, browser=not no_browser, watch=watch,
            max_upload=max_upload << 20)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise IntakeError(f"cannot listen on {host}:{port} ({exc.strerror}); "
                          "choose another --port") from None
    sock.listen(64)
    return sock


def run(case_dir: Path, *, port: int = 0, host: str = LOOPBACK, browser: bool = True,
        watch: bool = False, max_upload: int = 2048 << 20) -> None:
    import uvicorn

    from ..config import load_config
    from .app import create_app
    from .safety import Gate

    case_config = load_config(case_dir)  # a bad config stops here, with its reason
    _ = translator(case_config.language).gettext
    if host != LOOPBACK:
        click.echo(_("WARNING: listening on {host}: other computers on this network can reach "
                     "this page (they still need the link).", host=host), err=True)
    sock = _bind(host, port)
    bound = sock.getsockname()[1]
    gate = Gate(host, bound, max_upload,
                on_new_token=lambda url: click.echo(_("New link (the last one was used): {url}",
                                                      url=url)),
                lang=case_config.language)
    watcher = _WatchThread(case_dir) if watch else None
    app = create_app(case_dir, gate, watcher)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    if watcher is not None:
        watcher.start()
        watcher.wait_ready()
    click.echo(gate.url(), err=False)
    if browser:
        threading.Timer(0.5, webbrowser.open, args=(gate.url(),)).start()
    try:
        server.run(sockets=[sock])  # Ctrl+C: uvicorn finishes the open requests first
    except KeyboardInterrupt:
        pass  # uvicorn hands the Ctrl+C back once it has stopped: a clean stop
    finally:
        if watcher is not None:
            watcher.stop()
        sock.close()
    click.echo(_("Stopped."))


class _WatchThread(threading.Thread):
    """``--watch``: the watcher in this program, on its own thread, the case's one writer.

    The case is opened on this thread (SQLite connections stay on the thread
    that made them); the pages hand their changes to it by `call`.
    """

    def __init__(self, case_dir: Path) -> None:
        super().__init__(name="intake-watcher", daemon=True)
        self.case_dir = case_dir
        self.ready = threading.Event()
        self.watcher = None
        self.error: BaseException | None = None

    def run(self) -> None:
        from ..case import Case
        from ..ingest import Pipeline
        from ..reporting import rebuild_chronology
        from ..watcher import Watcher

        try:
            with Case.open(self.case_dir) as case, Pipeline(case) as pipeline:
                _ = translator(case.config.language).gettext
                def rebuild() -> None:
                    try:
                        rebuild_chronology(case)
                    except Exception as exc:  # a report failure must not stop the watcher
                        click.echo(_("the chronology could not be rebuilt: {reason}",
                                     reason=translate(str(exc), case.config.language)),
                                   err=True)
                self.watcher = Watcher(case, pipeline, on_settled=rebuild)
                self.ready.set()
                self.watcher.run()
        except BaseException as exc:  # shown on the pages' next change, and here
            self.error = exc
            click.echo(f"intake: the watcher stopped: {exc}", err=True)
        finally:
            self.ready.set()

    def wait_ready(self) -> None:
        self.ready.wait(120)
        if self.error is not None:
            raise self.error if isinstance(self.error, IntakeError) else IntakeError(
                f"the watcher could not start: {self.error}")

    def call(self, fn):
        self.ready.wait(120)
        if self.watcher is None or not self.is_alive():
            raise IntakeError("the watcher is not running; restart 'intake serve --watch'")
        return self.watcher.call(fn)

    def stop(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        self.join(60)
