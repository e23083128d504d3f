"""The browser tests' axe-core, fetched once per run."""

from __future__ import annotations

import pytest

from tests.bot.playground.axe import axe_script


@pytest.fixture(scope="session")
def axe() -> str:
    script, why = axe_script()
    if script is None:
        pytest.skip(why)
    return script
