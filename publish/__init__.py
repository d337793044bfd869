"""klyngedata: publish Denmark's national cluster strategy as linked open data."""

from __future__ import annotations

__version__ = "0.1.0"
