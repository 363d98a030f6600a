"""The core's own hook implementations: the folder replica and the report formats.

Registered first, like any plugin, so that ``intake plugins`` shows them and
an adviser's plugin can add kinds of replica and formats beside them.
"""

from __future__ import annotations

from . import hookimpl


@hookimpl
def intake_storage_backends():
    from .s3 import S3Replica
    from .store import FolderReplica

    return {"folder": FolderReplica, "s3": S3Replica}


@hookimpl
def intake_report_formats():
    from .reports.bundle import write_bundle
    from .reports.csv_report import write_csv
    from .reports.html_report import write_html
    from .reports.json_report import write_json
    from .reports.ombudsman import write_ombudsman
    from .reports.pdf_report import write_pdf
    from .reports.xlsx_report import write_xlsx

    return {"json": write_json, "csv": write_csv, "html": write_html, "pdf": write_pdf,
            "ombudsman": write_ombudsman, "bundle": write_bundle, "xlsx": write_xlsx}
