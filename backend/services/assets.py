"""Fingerprints of the static files and of the code that renders pages, computed once at startup.

A fingerprinted URL (`/static/css/app.css?v=<hash>`) changes whenever the file's bytes change, so it can
be cached for a year; the offline cache's version includes every fingerprint, so a deploy that changes
a file, a template or the code also gives phones a new service worker.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

# Fingerprint length in the URL: 10 hex digits (40 bits) is plenty to tell versions of one file apart.
URL_HASH_LENGTH = 10
IGNORED_NAMES = {".DS_Store", ".gitkeep", "__pycache__"}


def _file_hashes(folder: Path, pattern: str = "**/*") -> dict[str, str]:
    """Return {relative posix path: sha256 hex} of every file under folder, in a stable order."""
    hashes: dict[str, str] = {}
    for path in sorted(folder.glob(pattern)):
        if not path.is_file() or any(part in IGNORED_NAMES for part in path.parts):
            continue
        hashes[path.relative_to(folder).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def _combined(hashes: dict[str, str]) -> str:
    """Return one hash over a {name: hash} mapping."""
    digest = hashlib.sha256()
    for name, value in sorted(hashes.items()):
        digest.update(f"{name}\0{value}\n".encode())
    return digest.hexdigest()


@dataclass
class StaticAssets:
    """The static files with their content hashes, and a fingerprint of the page-rendering code."""

    static_folder: Path
    # (folder, glob pattern) pairs whose files decide what a page looks like: templates and Python code.
    code_sources: tuple[tuple[Path, str], ...] = ()
    files: dict[str, str] = field(default_factory=dict)
    static_hash: str = ""
    code_hash: str = ""

    def __post_init__(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Hash the static files and the code folders again (startup, and each request in debug mode)."""
        self.files = _file_hashes(self.static_folder)
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
