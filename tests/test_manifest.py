"""manifest.yml is a valid Slack app manifest and asks for what Pepptalk uses."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

from pepptalk.bot.history.signin import SIGNIN_PAGE
from pepptalk.bot.slack.oauth import BOT_SCOPES, REDIRECT_PATH

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT.parent / "shared" / "schemas" / "slack-manifest.schema.1.0.0.json"


def test_manifest_asks_for_the_command_events_and_scopes() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert manifest["features"]["slash_commands"][0]["command"] == "/pepptalk"
    assert {"chat:write", "commands", "users:read", "im:history"} <= set(
        manifest["oauth_config"]["scopes"]["bot"]
    )
    assert {"app_home_opened", "user_change", "message.im"} <= set(
        manifest["settings"]["event_subscriptions"]["bot_events"]
    )


def test_manifest_sends_installers_back_and_tells_of_uninstalls() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    paths = [urlsplit(u).path for u in manifest["oauth_config"]["redirect_urls"]]
    # The install's way back, and Sign in with Slack's for the history pages.
    assert paths == [REDIRECT_PATH, f"{SIGNIN_PAGE}/slack/callback"]
    assert manifest["oauth_config"]["scopes"]["user"] == ["openid", "profile"]
    assert {"app_uninstalled", "tokens_revoked"} <= set(
        manifest["settings"]["event_subscriptions"]["bot_events"]
    )
    # "Add to Slack" asks for exactly what the manifest declares.
    assert set(BOT_SCOPES) == set(manifest["oauth_config"]["scopes"]["bot"])


@pytest.mark.skipif(not SCHEMA.exists(), reason="../shared/schemas is not beside this checkout")
def test_manifest_is_valid_against_slacks_schema() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    jsonschema.validate(manifest, json.loads(SCHEMA.read_text()))
