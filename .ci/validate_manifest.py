"""Validates manifest.yml against Slack's manifest schema from ../shared/schemas."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT.parent / "shared" / "schemas" / "slack-manifest.schema.1.0.0.json"

if not SCHEMA.exists():
    print(f"no schema at {SCHEMA}; skipping")
    sys.exit(0)
jsonschema.validate(
    yaml.safe_load((ROOT / "manifest.yml").read_text()), json.loads(SCHEMA.read_text())
)
print("manifest.yml is valid")
