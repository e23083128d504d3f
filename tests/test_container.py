"""The container image and compose.yaml say what operators are told: the image runs
`pepptalk run` as an unprivileged user and is healthy only while /healthz answers 200 (its
health check is run here, as written, against a real `pepptalk run`); compose runs PostgreSQL
and two Pepptalk replicas on it, migrated once before either starts; and compose.env.example
names only settings Pepptalk has."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from aiohttp import web

from pepptalk.bot.config import Settings

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
ENV_EXAMPLE = ROOT / "compose.env.example"
SETTINGS = {name.upper() for name in Settings.model_fields}
ROOT_USERS = {"0", "root"}


@dataclass
class Stage:
    """One FROM of the Dockerfile and the instructions under it, continuation lines joined."""

    image: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [rest for word, rest in self.instructions if word == keyword]

    def last(self, keyword: str) -> str | None:
        found = self.all(keyword)
        return found[-1] if found else None

    def env(self) -> dict[str, str]:
        pairs = (item.partition("=") for rest in self.all("ENV") for item in shlex.split(rest))
        return {key: value for key, _, value in pairs}


def instructions(text: str) -> Iterator[tuple[str, str]]:
    """Each instruction as (KEYWORD, the rest), with its continuation lines joined."""
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue  # comments may sit between continuation lines, too
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, rest = (pending + stripped).partition(" ")
        pending = ""
        yield keyword.upper(), rest.strip()


def stages() -> list[Stage]:
    found: list[Stage] = []
    for keyword, rest in instructions(DOCKERFILE.read_text()):
        if keyword == "FROM":
            words = rest.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            found.append(Stage(image=words[0], name=name))
        else:
            assert found, f"{keyword} before the first FROM"
            found[-1].instructions.append((keyword, rest))
    return found


def final() -> Stage:
    return stages()[-1]


def exec_form(rest: str) -> list[str]:
    command = json.loads(rest)
    assert isinstance(command, list) and all(isinstance(word, str) for word in command), rest
    return command


def healthcheck_command() -> list[str]:
    """The image's health check command, exactly as the Dockerfile has it."""
    check = final().last("HEALTHCHECK")
    assert check is not None, "the final stage has no HEALTHCHECK"
    options, keyword, command = check.partition("CMD ")
    assert keyword and all(word.startswith("--") for word in options.split()), check
    return exec_form(command)


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def command_of(service: dict[str, Any]) -> list[str]:
    """What a service's container runs: its own command, else the image's CMD."""
    command = service.get("command")
    if command is None:
        cmd = final().last("CMD")
        assert cmd is not None
        return exec_form(cmd)
    return shlex.split(command) if isinstance(command, str) else list(command)


def runs_pepptalk_image(service: dict[str, Any]) -> bool:
    return service.get("build") in (".", {"context": "."})


def postgres_service(services: dict[str, Any]) -> str:
    names = [n for n, s in services.items() if str(s.get("image", "")).startswith("postgres:")]
    assert len(names) == 1, f"one PostgreSQL service, from the official image: {names}"
    return names[0]


def replicas(services: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in services.items()
        if runs_pepptalk_image(service) and command_of(service) == ["pepptalk", "run"]
    }


# ---- The Dockerfile ----------------------------------------------------------------------


def test_the_image_is_built_in_a_stage_of_its_own_and_runs_on_slim_python_311() -> None:
    build, *_, runtime = stages()
    assert build.name and build.image == runtime.image
    assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", runtime.image), runtime.image
    assert any(f"--from={build.name}" in rest for rest in runtime.all("COPY"))
    # Nothing is installed or compiled in the image that runs: it takes the built venv.
    for rest in runtime.all("RUN"):
        assert not re.search(r"pip |apt-get|gcc|build-essential|\bmake\b", rest), rest


def test_the_image_does_not_run_as_root() -> None:
    user = final().last("USER")
    assert user is not None, "the final stage has no USER, so it runs as root"
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and uid not in ROOT_USERS, f"USER {user}: a fixed, numeric, non-root UID"
    assert gid == "" or (gid.isdigit() and gid not in ROOT_USERS), f"USER {user}"


def test_the_image_runs_pepptalk_run_with_container_defaults() -> None:
    runtime = final()
    cmd = runtime.last("CMD")
    assert cmd is not None and exec_form(cmd) == ["pepptalk", "run"]
    assert runtime.last("ENTRYPOINT") is None
    env = runtime.env()
    assert env["PYTHONDONTWRITEBYTECODE"] == env["PYTHONUNBUFFERED"] == "1"
    assert env["LOG_FORMAT"] == "json"
    assert runtime.all("EXPOSE") == [env["PORT"]]
    # SQLite, when used, lives in the data volume, which is also the working directory.
    database = Path(env["DATABASE_URL"].removeprefix("sqlite:///"))
    assert database.is_absolute() and runtime.last("WORKDIR") == str(database.parent)
    assert runtime.all("VOLUME") == [json.dumps([str(database.parent)])]
    for name in ("DATABASE_URL", "PLAYGROUND_DATABASE_URL", "PORT", "HOST", "LOG_FORMAT"):
        assert name in SETTINGS, name


def test_the_health_check_asks_healthz() -> None:
    command = healthcheck_command()
    assert command[:2] == ["python", "-c"] and "/healthz" in command[2]


# ---- compose.yaml ------------------------------------------------------------------------


def test_compose_runs_postgresql_with_a_health_check_and_a_named_volume() -> None:
    config = compose()
    services = config["services"]
    postgres = services[postgres_service(services)]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    volume = next(v for v in postgres["volumes"] if v.endswith(":/var/lib/postgresql/data"))
    assert volume.split(":")[0] in config["volumes"]


def test_compose_runs_two_pepptalk_replicas_on_that_postgresql() -> None:
    services = compose()["services"]
    postgres = postgres_service(services)
    running = replicas(services)
    count = sum(int((s.get("deploy") or {}).get("replicas", 1)) for s in running.values())
    assert count >= 2, f"two replicas of Pepptalk: {list(running)}"
    hosts = set()
    for name, service in running.items():
        # As compose makes it: its ${...} replaced (by the password).
        url = urlsplit(re.sub(r"\$\{[^}]*\}", "secret", service["environment"]["DATABASE_URL"]))
        assert url.scheme == "postgresql" and url.hostname == postgres, (name, url.hostname)
        hosts.add((url.hostname, url.port, url.path))
        assert service["env_file"] == ".env", name
        assert service["depends_on"][postgres]["condition"] == "service_healthy", name
        assert not (service.get("healthcheck") or {}).get("disable"), name
    assert len(hosts) == 1, "every replica on the same database"
    published = [port for service in running.values() for port in service.get("ports", [])]
    assert len(published) == len(set(published)), published


def test_compose_migrates_once_before_the_replicas_start() -> None:
    # `pepptalk run` migrates at start, and two processes migrating one fresh PostgreSQL at the
    # same moment can collide; so one service migrates and the replicas wait for it.
    services = compose()["services"]
    migrating = [
        name
        for name, service in services.items()
        if runs_pepptalk_image(service) and command_of(service) == ["pepptalk", "migrate"]
    ]
    assert len(migrating) == 1, migrating
    migrate = migrating[0]
    assert services[migrate]["restart"] == "no"
    for name, service in replicas(services).items():
        assert service["depends_on"][migrate]["condition"] == "service_completed_successfully", name
        assert service["environment"] == services[migrate]["environment"], name


def test_compose_env_example_names_only_real_settings() -> None:
    text = COMPOSE.read_text()
    interpolated = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))
    named = []
    for line in ENV_EXAMPLE.read_text().splitlines():
        found = re.match(r"^(#)?\s*([A-Z][A-Z0-9_]*)=(.*)$", line)
        if found is None:
            continue
        commented, name, value = found.groups()
        named.append(name)
        assert name in SETTINGS or name in interpolated, (
            f"{name} is neither a Pepptalk setting (pepptalk/bot/config.py) nor used by "
            "compose.yaml"
        )
        # An empty value is a value (an empty MICROSOFT_APP_ID turns Teams on without
        # authentication): a setting is listed commented out, or with a value.
        assert commented or value or name not in SETTINGS, f"{name}= with no value"
    assert len(named) == len(set(named)), "a setting listed twice"
    assert interpolated <= set(named), "every ${VARIABLE} in compose.yaml is in the example"
    assert {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "PEPPTALK_ENCRYPTION_KEY"} <= set(named)
    assert {"MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD", "PUBLIC_URL"} <= set(named)


# ---- The health check, run as written ----------------------------------------------------


def environment(**settings: str) -> dict[str, str]:
    """This machine's environment without any Pepptalk setting, and then these."""
    kept = {k: v for k, v in os.environ.items() if k.upper() not in SETTINGS}
    return {**kept, **settings}


async def health_check(port: int) -> tuple[int, str]:
    """The image's health check, run on this machine against `port` (this Python for the
    image's `python`): its exit status and what it said."""
    program, *args = healthcheck_command()
    assert program == "python"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        env=environment(PORT=str(port)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 30)
    return process.returncode or 0, out.decode()


@asynccontextmanager
async def pepptalk_run(tmp_path: Path) -> AsyncIterator[int]:
    """`pepptalk run` in a process of its own, on SQLite in tmp_path, serving the real bot (Teams
    without authentication, local only): the port it listens on."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pepptalk",
        "run",
        cwd=tmp_path,
        env=environment(
            PORT="0",
            HOST="127.0.0.1",
            LOG_FORMAT="json",
            DATABASE_URL=f"sqlite:///{tmp_path / 'pepptalk.db'}",
            MICROSOFT_APP_ID="",
        ),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    try:
        lines: list[str] = []
        port = 0
        while not port:
            raw = await asyncio.wait_for(process.stderr.readline(), 60)
            assert raw, f"pepptalk ended: {lines}"
            lines.append(raw.decode())
            found = re.search(r"up on http://127\.0\.0\.1:(\d+)", lines[-1])
            port = int(found.group(1)) if found else 0
        yield port
    finally:
        if process.returncode is None:
            process.terminate()
        await asyncio.wait_for(process.communicate(), 30)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_the_health_check_passes_against_pepptalk_run(tmp_path: Path) -> None:
    async with pepptalk_run(tmp_path) as port:
        status, said = await health_check(port)
    assert status == 0, said


async def test_the_health_check_fails_when_nothing_listens() -> None:
    status, said = await health_check(free_port())
    assert status != 0
    assert said.startswith("unhealthy:") and "Traceback" not in said, said


@pytest.mark.parametrize("status", [503, 404])
async def test_the_health_check_fails_when_healthz_is_not_200(status: int) -> None:
    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"ok": False, "database": "unreachable"}, status=status)

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = int(runner.addresses[0][1])
        checked, said = await health_check(port)
    finally:
        await runner.cleanup()
    assert checked != 0 and f"HTTP Error {status}" in said, said
