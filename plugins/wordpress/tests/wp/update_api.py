"""A stand-in for api.wordpress.org and downloads.wordpress.org, for tests (stdlib only).

The test sites reach it through the `hostpanel-test-env.php` mu-plugin, which turns
`https://api.wordpress.org/X` into `http://127.0.0.1:<port>/api.wordpress.org/X`.
What it offers comes from a catalogue file, read again on every request:

    {"core": {"version": "6.1.10", "package": "wordpress-6.1.10.zip"},
     "plugins": {"akismet/akismet.php": {"slug": "akismet", "new_version": "5.3", "package": "akismet.5.3.zip"}},
     "themes": {"twentytwentyone": {"new_version": "2.1", "package": "twentytwentyone.2.1.zip"}},
     "directory": {"plugins": {"hello": {"name": "Hello", "version": "1.2.0", "package": "hello.1.2.0.zip"}},
                   "themes": {}}}

`directory` is what installing by slug finds (plugins/info and themes/info). Packages
are served from `--files`; the tests write them there.

    python3 update_api.py --port 8090 --catalogue catalogue.json --files DIR
"""

from __future__ import annotations

import argparse
import json
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

DOWNLOADS = "https://downloads.wordpress.org/hostpanel-test/"


def newer(offered: str, installed: str) -> bool:
    """Whether version `offered` is newer than `installed` (numeric parts compared as numbers)."""

    def key(v: str) -> list[tuple[int, str]]:
        return [(int(p), "") if p.isdigit() else (-1, p) for p in re.split(r"[.\-+]", v)]

    return key(offered) > key(installed)


class Handler(BaseHTTPRequestHandler):
    """Answers the few endpoints WordPress 6.1 asks for updates."""

    protocol_version = "HTTP/1.1"
    catalogue = Path("catalogue.json")
    files = Path()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read the sites, not this log."""

    def _send(self, code: int, body: Any, ctype: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        """Version check, information, downloads."""
        self._route({})

    def do_POST(self) -> None:
        """Plugin and theme update checks (a form with the installed items)."""
        size = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(size).decode() if size else ""
        self._route({k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()})

    def _route(self, form: dict[str, str]) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        path = url.path
        cat = json.loads(self.catalogue.read_text())
        if path.startswith("/downloads.wordpress.org/hostpanel-test/"):
            file = self.files / Path(path).name
            if file.is_file():
                return self._send(200, file.read_bytes(), "application/zip")
            return self._send(404, {"error": "no such file"})
        if path.startswith("/api.wordpress.org/core/version-check/"):
            return self._send(200, self._core(cat.get("core"), query.get("version", "0")))
        for kind in ("plugins", "themes"):
            if path.startswith(f"/api.wordpress.org/{kind}/info/"):
                slug = query.get("request[slug]", "")
                return self._send(200, self._info(slug, cat.get("directory", {}).get(kind, {}).get(slug)))
        if path.startswith("/api.wordpress.org/plugins/update-check/"):
            installed = json.loads(form.get("plugins") or "{}").get("plugins", {})
            return self._send(200, self._updates("plugins", cat.get("plugins", {}), installed))
        if path.startswith("/api.wordpress.org/themes/update-check/"):
            installed = json.loads(form.get("themes") or "{}").get("themes", {})
            return self._send(200, self._updates("themes", cat.get("themes", {}), installed))
        return self._send(404, {"error": "not in the stand-in", "path": path})

    @staticmethod
    def _core(offer: dict[str, str] | None, current: str) -> dict[str, Any]:
        if offer and newer(offer["version"], current):
            response, version, package = "upgrade", offer["version"], DOWNLOADS + offer["package"]
        else:
            response, version, package = "latest", current, ""
        packages = {"full": package, "no_content": "", "new_bundled": "", "partial": "", "rollback": ""}
        return {
            "offers": [
                {
                    "response": response,
                    "download": package,
                    "locale": "en_US",
                    "packages": packages,
                    "current": version,
                    "version": version,
                    "php_version": "5.6.20",
                    "mysql_version": "5.0",
                    "new_bundled": "6.1",
                    "partial_version": "",
                }
            ],
            "translations": [],
        }

    @staticmethod
    def _info(slug: str, entry: dict[str, str] | None) -> dict[str, Any]:
        """A directory entry as plugins_api()/themes_api() read it, or the "not found" answer."""
        if not entry:
            return {"error": "Not found."}
        return {
            "name": entry.get("name", slug),
            "slug": slug,
            "version": entry["version"],
            "download_link": DOWNLOADS + entry["package"],
            "language_packs": [],
        }

    @staticmethod
    def _updates(kind: str, offers: dict[str, Any], installed: dict[str, Any]) -> dict[str, Any]:
        update: dict[str, Any] = {}
        none: dict[str, Any] = {}
        for key, header in installed.items():
            offer = offers.get(key)
            if not offer:
                continue
            slug = offer.get("slug", key)
            item = {
                "slug": slug,
                "new_version": offer["new_version"],
                "url": f"https://wordpress.org/{kind}/{slug}/",
                "package": DOWNLOADS + offer["package"],
                "requires": offer.get("requires", False),
                "requires_php": offer.get("requires_php", False),
            }
            if kind == "plugins":
                item |= {"id": f"w.org/plugins/{slug}", "plugin": key, "icons": {}, "banners": {}, "banners_rtl": []}
            else:
                item["theme"] = key
            (update if newer(offer["new_version"], header.get("Version", "0")) else none)[key] = item
        return {kind: update, "translations": [], "no_update": none}


def main() -> None:
    """Serve until killed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--catalogue", type=Path, required=True)
    parser.add_argument("--files", type=Path, default=Path())
    args = parser.parse_args()
    Handler.catalogue, Handler.files = args.catalogue, args.files
    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
