"""Front-end files served compressed once, not on every request.

Starlette's GZip middleware compresses each answer afresh, at level 9: for Plotly's 1.2 MB bundle
that is tens of milliseconds of the server's time on every first visit, and more when the machine is
busy. These files only change when the project is installed again, so each is compressed the first
time it is asked for and kept (keyed by its modification time and size).
"""

from __future__ import annotations

import gzip
import threading

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

#: Smaller files are not worth the header; images are compressed already.
MINIMUM_SIZE = 1024
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")


def accepts_gzip(header: str) -> bool:
    """Whether an Accept-Encoding header takes gzip: named (or ``*``) with a quality above zero."""
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        quality = params.strip().removeprefix("q=") if params.strip().startswith("q=") else "1"
        try:
            if name.strip().lower() in ("gzip", "*") and float(quality) > 0:
                return True
        except ValueError:
            continue
    return False


class CompressedStaticFiles(StaticFiles):
    """``StaticFiles`` whose answers are gzipped, from a copy made once, for clients that accept it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._compressed: dict[tuple, bytes] = {}
        self._lock = threading.Lock()

    async def get_response(self, path: str, scope) -> Response:
        # A browser revalidating the compressed copy sends its tag back: compare it as the file's.
        headers = [
            (k, v.replace(b'-gzip"', b'"') if k == b"if-none-match" else v) for k, v in scope["headers"]
        ]
        response = await super().get_response(path, {**scope, "headers": headers})
        media = response.media_type or ""
        wanted = accepts_gzip(Headers(scope=scope).get("accept-encoding", ""))
        stat = getattr(response, "stat_result", None)
        if (
            not wanted
            or scope["method"] != "GET"
            or response.status_code != 200
            or stat is None
            or stat.st_size < MINIMUM_SIZE
            or not media.startswith(COMPRESSIBLE)
        ):
            return response
        body = self._gzipped(response.path, stat)
        kept = {k: v for k, v in response.headers.items() if k not in ("content-length", "content-encoding")}
        headers = kept | {"content-encoding": "gzip", "vary": "Accept-Encoding"}
        if "etag" in kept:  # the compressed bytes are another representation: another tag
            headers["etag"] = kept["etag"].rstrip('"') + '-gzip"'
        return Response(body, status_code=200, headers=headers, media_type=media)

    def _gzipped(self, path: str, stat) -> bytes:
        key = (path, stat.st_mtime_ns, stat.st_size)
        with self._lock:
            found = self._compressed.get(key)
        if found is None:
            with open(path, "rb") as file:
                found = gzip.compress(file.read(), compresslevel=9, mtime=0)
            with self._lock:
                self._compressed[key] = found
        return found
