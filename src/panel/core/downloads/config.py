"""Settings of the downloads feature (`PANEL_CORE_DOWNLOADS_*`, or `[plugins.core_downloads]`)."""

from __future__ import annotations

from panel.settings import Setting, Settings, parse_int

PLUGIN = "core_downloads"
AREA = "downloads"  # the folder of the upload store (`<data_dir>/uploads/downloads/`)
DEFAULT_MAX_UPLOAD_MB = 100


def _positive_mb(value: int) -> None:
    if not 1 <= value <= 10_240:
        raise ValueError("must be between 1 and 10240 (MB)")


SETTINGS = (
    Setting(
        "max_upload_mb",
        "The largest file staff may upload to the downloads, in MB.",
        DEFAULT_MAX_UPLOAD_MB,
        parse=parse_int,
        validate=_positive_mb,
    ),
)


def max_upload_bytes(settings: Settings | None) -> int:
    """The upload limit in bytes (the default without settings)."""
    values = settings.for_plugin(PLUGIN) if settings is not None else {}
    return int(values.get("max_upload_mb", DEFAULT_MAX_UPLOAD_MB)) * 1024 * 1024


def request_limit(settings: Settings | None) -> int:
    """The largest request body the upload forms accept: the file limit plus room for the other fields.

    A file a little over the limit still arrives, so the form can say so beside the
    field; a far larger body is refused with 413 before it is read.
    """
    return max_upload_bytes(settings) + 1024 * 1024
