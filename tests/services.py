"""Real PostgreSQL and Redis servers for the test session (Debian's packages, no mocks).

Each server runs from a temp directory on a free loopback port and stops when the
session ends. PostgreSQL refuses to run as root, so under root it runs as the
``postgres`` system user the Debian package creates (or a user made for it).
When the binaries are missing (``make test`` installs them) the tests that need
them are skipped with a reason that says how to install them.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PG_HINT = "apt-get install -y postgresql (make test does this)"
REDIS_HINT = "apt-get install -y redis-server (make test does this)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_bin_dir() -> Path | None:
    """Debian installs server binaries under /usr/lib/postgresql/<major>/bin."""
    override = os.environ.get("ORCHEO_PG_BIN")
    if override:
        return Path(override)
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


def _as_pg_user(cmd: list[str]) -> tuple[list[str], int | None, int | None]:
    """The command run as a non-root user when we are root (PostgreSQL insists)."""
    if os.geteuid() != 0:
        return cmd, None, None
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/bin/false", "postgres"],
            check=True,
        )
        user = pwd.getpwnam("postgres")
    return ["runuser", "-u", "postgres", "--", *cmd], user.pw_uid, user.pw_gid


@dataclass
class PostgresServer:
    """One throwaway cluster; ``new_database()`` gives each test its own database."""

    bin_dir: Path
    base: Path
    port: int

    @property
    def data(self) -> Path:
        return self.base / "data"

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        out = subprocess.run(
            [
                str(self.bin_dir / "psql"),
                "-X",
                "-q",
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                self.dsn(database),
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()

    def new_database(self) -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        self.psql(f"CREATE DATABASE {name}")
        return self.dsn(name)

    @classmethod
    def start(cls) -> PostgresServer:
        bin_dir = postgres_bin_dir()
        if bin_dir is None or not (bin_dir / "initdb").exists():
            raise FileNotFoundError(f"PostgreSQL server binaries not found; {PG_HINT}")
        base = Path(tempfile.mkdtemp(prefix="orcheo-pg-"))
        _, uid, gid = _as_pg_user([])
        if uid is not None and gid is not None:
            os.chown(base, uid, gid)
        server = cls(bin_dir, base, free_port())
        run = lambda cmd: subprocess.run(  # noqa: E731
            _as_pg_user(cmd)[0], capture_output=True, text=True, check=True, cwd=base
        )
        run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(server.data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ]
        )
        options = (
            f"-p {server.port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c max_connections=400"
        )
        try:
            run(
                [
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(server.data),
                    "-o",
                    options,
                    "-l",
                    str(base / "server.log"),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            )
        except subprocess.CalledProcessError as exc:
            log = (base / "server.log").read_text() if (base / "server.log").exists() else ""
            shutil.rmtree(base, ignore_errors=True)
            raise RuntimeError(f"PostgreSQL did not start: {exc.stderr}\n{log}") from exc
        return server

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            subprocess.run(
                _as_pg_user(
                    [str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]
                )[0],
                capture_output=True,
                check=True,
                cwd=self.base,
            )
        shutil.rmtree(self.base, ignore_errors=True)


@dataclass
class RedisServer:
    process: subprocess.Popen[bytes]
    base: Path
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def database_url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    @classmethod
    def start(cls) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            raise FileNotFoundError(f"redis-server not found; {REDIS_HINT}")
        base = Path(tempfile.mkdtemp(prefix="orcheo-redis-"))
        port = free_port()
        process = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(base),
                "--databases",
                "64",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", port), 1) as s,
            ):
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return cls(process, base, port)
            if process.poll() is not None:
                break
            time.sleep(0.05)
        process.kill()
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer.start()
    except FileNotFoundError as exc:
        pytest.skip(f"SKIPPED POSTGRES TESTS: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_dsn(postgres_server: PostgresServer) -> str:
    """A fresh, empty database for one test."""
    return postgres_server.new_database()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    try:
        server = RedisServer.start()
    except FileNotFoundError as exc:
        pytest.skip(f"SKIPPED REDIS TESTS: {exc}")
    try:
        yield server
    finally:
        server.stop()


_redis_db = itertools.cycle(range(1, 64))


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """A Redis database of its own for one test (flushed first)."""
    db = next(_redis_db)
    url = redis_server.database_url(db)
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url
