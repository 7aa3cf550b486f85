"""The manifest's JSON schema, kept in the repository next to the code that writes it; chat
widgets and the tests validate a pack's manifest.json against it."""

from __future__ import annotations

import json
from pathlib import Path

SCHEMA_PATH = Path(__file__).with_name("manifest.schema.json")


def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text())
