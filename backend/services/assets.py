"""Fingerprints of the static files and of the code that renders pages, computed once at startup.

A fingerprinted URL (`/static/css/app.css?v=<hash>`) changes whenever the file's bytes change, so it can
be cached for a year; the offline cache's version includes every fingerprint, so a deploy that changes
a file, a template or the code also gives phones a new service worker.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass, field
from pathlib import Path

import brotli

# Fingerprint length in the URL: 10 hex digits (40 bits) is plenty to tell versions of one file apart.
URL_HASH_LENGTH = 10
IGNORED_NAMES = {".DS_Store", ".gitkeep", "__pycache__"}
# Compressed copies beside the files, for nginx's brotli_static/gzip_static (write_precompressed):
# not files of the app's own, so neither fingerprinted, served nor stored offline.
PRECOMPRESSED_SUFFIXES = (".br", ".gz")
# Kept in memory and compressed once; a larger file is left to Flask's own static view.
MAX_IN_MEMORY = 2 * 1024 * 1024
COMPRESS_MIN_SIZE = 300
COMPRESSIBLE = {"application/javascript", "application/json", "application/manifest+json", "image/svg+xml"}
ENCODINGS = ("br", "gzip")


def _file_hashes(folder: Path, pattern: str = "**/*") -> dict[str, str]:
    """Return {relative posix path: sha256 hex} of every file under folder, in a stable order."""
    hashes: dict[str, str] = {}
    for path in sorted(folder.glob(pattern)):
        if not path.is_file() or any(part in IGNORED_NAMES for part in path.parts):
            continue
        if path.name.endswith(PRECOMPRESSED_SUFFIXES):
            continue
        hashes[path.relative_to(folder).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def _combined(hashes: dict[str, str]) -> str:
    """Return one hash over a {name: hash} mapping."""
    digest = hashlib.sha256()
    for name, value in sorted(hashes.items()):
        digest.update(f"{name}\0{value}\n".encode())
    return digest.hexdigest()


def compress(raw: bytes, encoding: str | None) -> bytes:
    """Compress once at the highest level (br or gzip): the result is kept and served many times."""
    if encoding == "br":
        return brotli.compress(raw, quality=11)
    if encoding == "gzip":
        return gzip.compress(raw, compresslevel=9, mtime=0)
    return raw


@dataclass
class StaticAssets:
    """The static files with their content hashes, and a fingerprint of the page-rendering code."""

    static_folder: Path
    # (folder, glob pattern) pairs whose files decide what a page looks like: templates and Python code.
    code_sources: tuple[tuple[Path, str], ...] = ()
    files: dict[str, str] = field(default_factory=dict)
    static_hash: str = ""
    code_hash: str = ""
    _encoded: dict[tuple[str, str], bytes] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Hash the static files and the code folders again (startup, and each request in debug mode)."""
        files = _file_hashes(self.static_folder)
        if files != self.files:
            self._encoded = {}
        self.files = files
        self.static_hash = _combined(self.files)
        code: dict[str, str] = {}
        for folder, pattern in self.code_sources:
            code.update({f"{folder.name}/{k}": v for k, v in _file_hashes(folder, pattern).items()})
        self.code_hash = _combined(code)

    def fingerprint(self, filename: str) -> str:
        """Return the short content hash used in the URL of one static file."""
        try:
            return self.files[filename][:URL_HASH_LENGTH]
        except KeyError:
            raise KeyError(f"No static file named {filename!r} in {self.static_folder}") from None

    def is_current(self, filename: str, fingerprint: str | None) -> bool:
        """Tell whether a requested fingerprint is the one of the file as it is now."""
        return bool(fingerprint) and filename in self.files and self.fingerprint(filename) == fingerprint

    def mimetype(self, filename: str) -> str:
        """Return the Content-Type of a static file (JavaScript as text/javascript, RFC 9239)."""
        if filename.endswith((".js", ".mjs")):
            return "text/javascript"
        return mimetypes.guess_type(filename)[0] or "application/octet-stream"

    def encodings(self, filename: str) -> tuple[str, ...]:
        """Return the encodings worth offering for a file: none for images or tiny files."""
        kind = self.mimetype(filename)
        path = self.static_folder / filename
        if not (kind.startswith("text/") or kind in COMPRESSIBLE) or path.stat().st_size < COMPRESS_MIN_SIZE:
            return ()
        return ENCODINGS

    def servable(self, filename: str) -> bool:
        """Tell whether the file is served from memory (known at startup and not too large)."""
        if filename not in self.files:
            return False
        try:
            return (self.static_folder / filename).stat().st_size <= MAX_IN_MEMORY
        except OSError:  # removed since startup: let Flask's own view answer (404)
            return False

    def body(self, filename: str, encoding: str | None) -> bytes:
        """Return the file's bytes, compressed with `encoding` (br or gzip) once and then kept."""
        key = (filename, encoding or "identity")
        body = self._encoded.get(key)
        if body is None:
            body = compress((self.static_folder / filename).read_bytes(), encoding)
            self._encoded[key] = body
        return body


def write_precompressed(static_folder: Path) -> list[Path]:
    """Write `<file>.br` and `<file>.gz` beside each static file worth compressing, for nginx.

    The bytes are the ones the app itself sends (compress() at the highest level), so a file looks the
    same whether nginx or the app serves it. Returns the files written.
    """
    assets = StaticAssets(static_folder)
    written: list[Path] = []
    for name in assets.files:
        for encoding in assets.encodings(name):
            target = static_folder / f"{name}.{'br' if encoding == 'br' else 'gz'}"
            target.write_bytes(assets.body(name, encoding))
            written.append(target)
    return written
