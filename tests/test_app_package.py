"""appPackage/ is a Teams app package Teams would take: a manifest valid against Microsoft's
schema, localization files for nb, sv and da valid against theirs, commands Pepptalk
understands, icons drawn to Teams' guidance, and a zip that scripts/package-teams builds.

The schemas are .ci/schemas/'s copies of those the npm package @microsoft/app-manifest ships
(.ci/run checks they are the same, and runs that package's own validator too); here they are
read from disk, so these tests need no network.
"""

from __future__ import annotations

import copy
import importlib.machinery
import importlib.util
import json
import os
import re
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
from PIL import Image

from pepptalk.handlers.registry import REGISTRY

REPO = Path(__file__).resolve().parents[1]
ROOT = REPO / "appPackage"
SCHEMAS = REPO / ".ci" / "schemas"
PACKAGE_TEAMS = REPO / "scripts" / "package-teams"
LANGUAGES = ("nb", "sv", "da")
SCHEMA_URL = re.compile(
    r"https://developer\.microsoft\.com/(?:[a-z]{2}-[a-z]{2}/)?json-schemas/"
    r"(teams/(v[0-9.]+)/MicrosoftTeams(\.Localization)?\.schema\.json)"
)
WHITE = (255, 255, 255)
# Teams' icon guidance: a 96x96 symbol with 48 pixels of padding on a 192x192 square, so the
# rounded and hexagonal crops never cut it.
COLOR_SIZE, SYMBOL_SIZE = 192, 96

Json = dict[str, Any]
Pixel = tuple[int, ...]


def load(name: str) -> Json:
    data: Json = json.loads((ROOT / name).read_text(encoding="utf-8"))
    return data


def manifest() -> Json:
    return load("manifest.json")


def localization_files() -> dict[str, str]:
    """Language tag -> file, as localizationInfo names them."""
    info = manifest()["localizationInfo"]
    return {language["languageTag"]: language["file"] for language in info["additionalLanguages"]}


# The schemas are draft-04 but use `const` (manifestVersion), which the npm package's validator
# (ajv-draft-04) applies and jsonschema's Draft4Validator would skip.
TeamsValidator = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    jsonschema.Draft4Validator, {"const": jsonschema.Draft6Validator.VALIDATORS["const"]}
)
# Keywords that only describe: everything else in a schema must be a rule the validator applies.
ANNOTATIONS = {"$schema", "$comment", "title", "description", "default", "examples", "definitions"}
SUBSCHEMAS = ("items", "additionalItems", "additionalProperties", "not", "allOf", "anyOf", "oneOf")


def schema_of(document: Json) -> Json:
    """The schema the document names in $schema, from .ci/schemas/."""
    match = SCHEMA_URL.fullmatch(document["$schema"])
    assert match, f"$schema is not a Teams schema: {document['$schema']}"
    path = SCHEMAS / match[1]
    assert path.exists(), f"{match[1]} is not in .ci/schemas/ (see .ci/schemas/README.md)"
    schema: Json = json.loads(path.read_text(encoding="utf-8"))
    return schema


def schema_errors(document: Json) -> list[str]:
    schema = schema_of(document)
    TeamsValidator.check_schema(schema)
    validator = TeamsValidator(schema, format_checker=TeamsValidator.FORMAT_CHECKER)
    errors = validator.iter_errors(document)
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in errors]


def keywords(schema: Any) -> set[str]:
    """Every keyword used in a schema and the schemas inside it."""
    if isinstance(schema, list):
        return set().union(*map(keywords, schema))
    if not isinstance(schema, dict):
        return set()
    found = set(schema)
    for key, value in schema.items():
        if key in ("properties", "patternProperties", "definitions", "dependencies"):
            found |= keywords(list(value.values()))
        elif key in SUBSCHEMAS:
            found |= keywords(value)
    return found


def localizable_strings(document: Json) -> dict[str, str]:
    """The manifest's strings a localization file translates, by the localization file's key."""
    strings = {
        "name.short": document["name"]["short"],
        "name.full": document["name"]["full"],
        "description.short": document["description"]["short"],
        "description.full": document["description"]["full"],
    }
    for t, tab in enumerate(document.get("staticTabs", [])):
        if "name" in tab:
            strings[f"staticTabs[{t}].name"] = tab["name"]
    for b, bot in enumerate(document["bots"]):
        for c, command_list in enumerate(bot.get("commandLists", [])):
            for i, command in enumerate(command_list["commands"]):
                key = f"bots[{b}].commandLists[{c}].commands[{i}]"
                strings[f"{key}.title"] = command["title"]
                strings[f"{key}.description"] = command["description"]
    return strings


# The manifest and its localization files against Microsoft's schemas.


def test_manifest_is_valid_against_its_schema() -> None:
    document = manifest()
    match = SCHEMA_URL.fullmatch(document["$schema"])
    assert match and not match[3] and match[2] == f"v{document['manifestVersion']}"
    assert schema_errors(document) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_localization_file_is_valid_against_its_schema(language: str) -> None:
    document = load(localization_files()[language])
    match = SCHEMA_URL.fullmatch(document["$schema"])
    # Teams wants the localization files on the manifest's own version.
    assert match and match[3] and match[2] == f"v{manifest()['manifestVersion']}"
    assert schema_errors(document) == []


def _set(path: str, value: Any) -> Callable[[Json], None]:
    def change(document: Json) -> None:
        *parents, last = path.split("/")
        target: Any = document
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        target[int(last) if isinstance(target, list) else last] = value

    return change


def _too_many_commands(document: Json) -> None:
    commands = document["bots"][0]["commandLists"][0]["commands"]
    commands.extend({"title": f"extra{i}", "description": "one too many"} for i in range(11))


def _drop(key: str) -> Callable[[Json], None]:
    return lambda document: document.pop(key)


@pytest.mark.parametrize(
    "break_it",
    [
        _set("notAField", True),
        _drop("developer"),
        _set("accentColor", "green"),
        _set("manifestVersion", "1.17.0"),
        _set("id", "pepptalk"),
        _set("bots/0/commandLists/0/commands/0/title", "x" * 33),
        _set("bots/0/commandLists/0/scopes", ["everywhere"]),
        _set("localizationInfo/additionalLanguages/0/languageTag", "norsk bokmål"),
        _set("localizationInfo/additionalLanguages/0/notAField", "nb.json"),
        _too_many_commands,
    ],
    ids=[
        "unknown field",
        "no developer",
        "bad accent colour",
        "bad manifest version",
        "id not a GUID",
        "title too long",
        "bad scope",
        "bad language tag",
        "unknown field in a language",
        "eleven commands",
    ],
)
def test_a_broken_manifest_fails_validation(break_it: Callable[[Json], None]) -> None:
    document = copy.deepcopy(manifest())
    break_it(document)
    assert schema_errors(document)


@pytest.mark.parametrize(
    "break_it",
    [
        _set("notAKey", "x"),
        _drop("name.full"),
        _set("name.short", "x" * 31),
        _set("description.short", "x" * 81),
        _set("bots[0].commandLists[0].commands[10].title", "help"),
        _set("bots[0].commandLists[0].commands[0].description", "x" * 129),
        _set("bots[0].commandLists[0].commands[0].title", 5),
    ],
    ids=[
        "unknown key",
        "no name.full",
        "short name too long",
        "short description too long",
        "an eleventh command",
        "command description too long",
        "not a string",
    ],
)
def test_a_broken_localization_file_fails_validation(break_it: Callable[[Json], None]) -> None:
    document = copy.deepcopy(load(localization_files()["nb"]))
    break_it(document)
    assert schema_errors(document)


@pytest.mark.parametrize("name", ["manifest.json", "nb.json"])
def test_the_validator_applies_every_rule_of_the_schema(name: str) -> None:
    """A keyword the validator does not know would be skipped without a word."""
    used = keywords(schema_of(load(name)))
    assert used - ANNOTATIONS <= set(TeamsValidator.VALIDATORS)


# The localization: nb, sv and da, each with every string the manifest has.


def test_manifest_is_in_english_with_norwegian_swedish_and_danish_files() -> None:
    info = manifest()["localizationInfo"]
    assert info["defaultLanguageTag"] == "en"
    assert "defaultLanguageFile" not in info  # the English strings are the manifest's own
    assert localization_files() == {language: f"{language}.json" for language in LANGUAGES}
    for file in localization_files().values():
        assert (ROOT / file).is_file()


@pytest.mark.parametrize("language", LANGUAGES)
def test_localization_file_translates_every_string_of_the_manifest(language: str) -> None:
    english = localizable_strings(manifest())
    document = load(localization_files()[language])
    translated = {key: value for key, value in document.items() if key != "$schema"}
    assert list(translated) == list(english)  # the same keys, in the manifest's order
    for key, value in translated.items():
        assert value.strip() == value and value, key
        if key.endswith(".title"):
            # Choosing a command in Teams types its title, and Pepptalk reads English words.
            assert value == english[key], key
        elif key != "name.short":
            assert value != english[key], f"{key} is not translated"
    assert translated["name.short"] == "Pepptalk"


def test_localization_files_share_their_keys() -> None:
    keys = {language: list(load(file)) for language, file in localization_files().items()}
    assert keys["nb"] == keys["sv"] == keys["da"]


# The command lists.


def commands(scope: str) -> list[str]:
    for command_list in manifest()["bots"][0]["commandLists"]:
        if scope in command_list["scopes"]:
            return [command["title"] for command in command_list["commands"]]
    raise AssertionError(f"no command list for {scope}")


def documented_commands() -> list[str]:
    """The commands in docs/commands.md's tables, as written there (`team add @a @b …`)."""
    page = (REPO / "docs" / "commands.md").read_text(encoding="utf-8")
    return re.findall(r"^\| `/pepptalk ([^`]+)` \|", page, re.MULTILINE)


def test_manifest_names_the_bot_its_commands_and_icons() -> None:
    document = manifest()
    assert document["manifestVersion"] == "1.17"
    bot = document["bots"][0]
    assert set(bot["scopes"]) == {"personal", "team", "groupChat"}
    # One command list per scope: each scope gets the commands that make sense there.
    scopes = [scope for command_list in bot["commandLists"] for scope in command_list["scopes"]]
    assert sorted(scopes) == sorted(bot["scopes"])
    for command_list in bot["commandLists"]:
        titles = [command["title"] for command in command_list["commands"]]
        assert 1 <= len(titles) <= 10 and len(set(titles)) == len(titles)
        assert titles[0] == "help"
    assert document["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert document["accentColor"].lower() == "#2f6f5e"


def test_every_command_in_the_manifest_is_one_pepptalk_understands() -> None:
    documented = documented_commands()
    for command_list in manifest()["bots"][0]["commandLists"]:
        for command in command_list["commands"]:
            title = command["title"]
            assert REGISTRY.match(title.split()), f"Pepptalk has no command {title!r}"
            assert any(line == title or line.startswith(f"{title} ") for line in documented), (
                f"{title!r} is not in the commands tables of docs/commands.md"
            )


def test_the_daily_commands_are_in_the_personal_chat_and_the_set_up_in_channels() -> None:
    assert commands("personal") == [
        "help",
        "checkin",
        "note",
        "win",
        "topic",
        "seen",
        "feedback",
        "agenda",
        "digest",
        "team",
    ]
    assert {"team create", "team add", "team set channel", "action"} <= set(commands("team"))
    # A group chat has no channel to make the team channel.
    assert commands("groupChat") == [c for c in commands("team") if c != "team set channel"]


# The personal tab.


def test_the_history_tab_opens_the_sign_in_page_on_pepptalks_own_domain() -> None:
    document = manifest()
    [tab] = document["staticTabs"]
    assert tab["entityId"] == "history" and tab["name"] == "History"
    assert tab["scopes"] == ["personal"]
    # Teams shows a tab only from a domain the app names.
    assert tab["contentUrl"] == "https://pepptalk.example.com/history/signin?from=teams"
    assert tab["websiteUrl"] == "https://pepptalk.example.com/history"
    for url in (tab["contentUrl"], tab["websiteUrl"]):
        assert urlsplit(url).hostname in document["validDomains"]
    names = {
        language: load(file)["staticTabs[0].name"]
        for language, file in localization_files().items()
    }
    assert names == {"nb": "Historikk", "sv": "Historik", "da": "Historik"}


# The icons.


def icons_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("app_package_icons", ROOT / "icons.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def color_icon(source: str) -> Image.Image:
    if source == "drawn":
        drawn: Image.Image = icons_module().draw_color()
        return drawn
    committed = Image.open(ROOT / manifest()["icons"]["color"])
    assert committed.format == "PNG"
    return committed


def outline_icon(source: str) -> Image.Image:
    if source == "drawn":
        drawn: Image.Image = icons_module().draw_outline()
        return drawn
    committed = Image.open(ROOT / manifest()["icons"]["outline"])
    assert committed.format == "PNG"
    return committed


def pixels(image: Image.Image) -> dict[tuple[int, int], Pixel]:
    rgba = image.convert("RGBA")
    data = rgba.tobytes()
    width, height = rgba.size
    return {
        (x, y): tuple(data[(y * width + x) * 4 : (y * width + x) * 4 + 4])
        for y in range(height)
        for x in range(width)
    }


def hex_colour(value: str) -> Pixel:
    return (*bytes.fromhex(value.removeprefix("#")), 255)


@pytest.mark.parametrize("source", ["committed", "drawn"])
def test_color_icon_is_192_square_full_bleed_with_the_symbol_in_the_safe_area(
    source: str,
) -> None:
    icon = color_icon(source)
    assert icon.size == (COLOR_SIZE, COLOR_SIZE)
    background = hex_colour(manifest()["accentColor"])
    every = pixels(icon)
    assert all(pixel[3] == 255 for pixel in every.values()), "a pixel is not opaque"
    last = COLOR_SIZE - 1
    corners = [(0, 0), (last, 0), (0, last), (last, last)]
    edges = [(i, 0) for i in range(COLOR_SIZE)] + [(i, last) for i in range(COLOR_SIZE)]
    edges += [(0, i) for i in range(COLOR_SIZE)] + [(last, i) for i in range(COLOR_SIZE)]
    assert {every[xy] for xy in corners + edges} == {background}
    low = (COLOR_SIZE - SYMBOL_SIZE) // 2
    high = low + SYMBOL_SIZE
    symbol = [xy for xy, pixel in every.items() if pixel != background]
    outside = [(x, y) for x, y in symbol if not (low <= x < high and low <= y < high)]
    assert outside == [], f"the symbol leaves the central {SYMBOL_SIZE}x{SYMBOL_SIZE}"
    assert len(symbol) > SYMBOL_SIZE * SYMBOL_SIZE // 4, "the symbol is missing"
    assert any(every[xy] == (*WHITE, 255) for xy in symbol)


@pytest.mark.parametrize("source", ["committed", "drawn"])
def test_outline_icon_is_32_square_white_on_transparent_only(source: str) -> None:
    icon = outline_icon(source)
    assert icon.size == (32, 32)
    assert icon.mode == "RGBA"
    every = pixels(icon).values()
    assert {pixel[:3] for pixel in every} == {WHITE}, "a colour other than white"
    alphas = [pixel[3] for pixel in every]
    assert alphas.count(0) > 200 and alphas.count(255) > 100
    # Teams asks for no padding around the outline symbol.
    assert icon.getchannel("A").getbbox() == (0, 0, 32, 32)


# The zip.


def package_teams() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("package_teams", str(PACKAGE_TEAMS))
    module = ModuleType(loader.name)
    module.__file__ = str(PACKAGE_TEAMS)
    loader.exec_module(module)
    return module


APP_ID = "7c2e1a3b-0d4f-4e5a-9b6c-8d7e6f5a4b3c"


def test_package_script_zips_the_manifest_and_everything_it_names(tmp_path: Path) -> None:
    out = tmp_path / "pepptalk-teams.zip"
    result = subprocess.run(  # noqa: S603 - our own script, with fixed arguments
        [str(PACKAGE_TEAMS), "--app-id", APP_ID, "--domain", "pepptalk.contoso.com"]
        + ["--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        env={key: value for key, value in os.environ.items() if key != "MICROSOFT_APP_ID"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        assert sorted(names) == sorted(
            ["manifest.json", "color.png", "outline.png", "nb.json", "sv.json", "da.json"]
        )
        for name in names:
            if name != "manifest.json":
                assert archive.read(name) == (ROOT / name).read_bytes()
        packaged = json.loads(archive.read("manifest.json"))
    assert packaged["id"] == packaged["bots"][0]["botId"] == APP_ID
    assert packaged["validDomains"] == ["pepptalk.contoso.com"]
    assert packaged["developer"]["privacyUrl"] == "https://pepptalk.contoso.com/privacy"
    assert packaged["staticTabs"][0]["contentUrl"] == (
        "https://pepptalk.contoso.com/history/signin?from=teams"
    )
    assert "example.com" not in json.dumps(packaged)
    assert schema_errors(packaged) == []
    # Everything else is the manifest as it is.
    original = manifest()
    assert packaged["bots"][0]["commandLists"] == original["bots"][0]["commandLists"]
    assert packaged["localizationInfo"] == original["localizationInfo"]


def test_package_script_keeps_the_placeholders_when_not_told_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MICROSOFT_APP_ID", raising=False)
    out = tmp_path / "first.zip"
    assert package_teams().main(["--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "--app-id" in err and "--domain" in err
    with zipfile.ZipFile(out) as archive:
        assert json.loads(archive.read("manifest.json")) == manifest()
    # The same files make the same zip.
    again = tmp_path / "again.zip"
    package_teams().main(["--out", str(again)])
    assert out.read_bytes() == again.read_bytes()


def test_package_script_takes_the_app_id_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MICROSOFT_APP_ID", APP_ID)
    out = tmp_path / "app.zip"
    package_teams().main(["--out", str(out)])
    with zipfile.ZipFile(out) as archive:
        assert json.loads(archive.read("manifest.json"))["bots"][0]["botId"] == APP_ID


@pytest.mark.parametrize(
    "args", [["--app-id", "not-a-guid"], ["--domain", "https://pepptalk.contoso.com/"]]
)
def test_package_script_refuses_a_bad_app_id_or_domain(
    tmp_path: Path, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bad.zip"
    with pytest.raises(SystemExit) as exit_:
        package_teams().main([*args, "--out", str(out)])
    assert exit_.value.code == 2
    assert not out.exists()
    assert "is not a" in capsys.readouterr().err
