"""``intake serve``: the adviser's workspace in a browser on this computer.

Server-rendered pages (Starlette, Jinja2) over the same functions the CLI
calls; the safety rules for the people using it are in `safety.py`
(docs/web.md).
"""
