"""appPackage/ holds a Teams app manifest Teams would take, and the two icons it names."""

from __future__ import annotations

import json
import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "appPackage"


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_manifest_names_the_bot_its_commands_and_icons() -> None:
    manifest = json.loads((ROOT / "manifest.json").read_text())
    assert manifest["manifestVersion"] == "1.17"
    bot = manifest["bots"][0]
    assert set(bot["scopes"]) == {"personal", "team", "groupChat"}
    for command_list in bot["commandLists"]:
        assert len(command_list["commands"]) <= 10
        for command in command_list["commands"]:
            assert len(command["title"]) <= 32 and len(command["description"]) <= 128
    assert len(manifest["name"]["short"]) <= 30 and len(manifest["description"]["short"]) <= 80
    assert len(manifest["description"]["full"]) <= 4000
    assert png_size(ROOT / manifest["icons"]["color"]) == (192, 192)
    assert png_size(ROOT / manifest["icons"]["outline"]) == (32, 32)
