"""A throw-away PostgreSQL cluster (initdb into a temporary folder, a free loopback port), for tests
that stop and start the database: the project's own cluster is shared by everything else.

As scripts/localdb.sh does it: PostgreSQL refuses to run as root, so as root the cluster belongs
to the postgres system user.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

from django.db import connection

from tests.servers import free_port


def _bin_dir() -> Path:
    root = Path("/usr/lib/postgresql")
    major = max(root.iterdir(), key=lambda path: int(path.name) if path.name.isdigit() else 0)
    return major / "bin"


class ThrowawayCluster:
    def __init__(self) -> None:
        self.bin = _bin_dir()
        # Under /tmp rather than pytest's tmp_path: the postgres user must reach it.
        self.root = Path(tempfile.mkdtemp(prefix="geo-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.password = secrets.token_urlsafe(18)

    def _run(self, *args: str | Path, timeout: float = 60) -> None:
        command = [str(arg) for arg in args]
        if os.getuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=timeout)

    def url(self, database: str = "geo") -> str:
        return f"postgis://postgres:{self.password}@127.0.0.1:{self.port}/{database}"

    def create(self) -> None:
        password_file = self.root / "password"
        password_file.write_text(self.password)
        password_file.chmod(0o600)
        if os.getuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(password_file, "postgres", "postgres")
        self._run(
            self.bin / "initdb", "-D", self.data, "-U", "postgres", f"--pwfile={password_file}",
            "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
            "--no-sync",  # a test's data: waiting for the disk buys nothing (seconds of each fixture)
        )  # fmt: skip
        settings = (
            f"listen_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = '{self.root}'\n"
            # A test's data: durability buys nothing here.
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 60\n"
        )
        self._run("sh", "-c", f"printf '%s' \"$1\" >> {self.data}/postgresql.conf", "sh", settings)

    def create_standby(self, primary: ThrowawayCluster) -> None:
        """This cluster as a hot standby of `primary`: its base backup, streaming from it (pg_basebackup -R
        writes primary_conninfo and standby.signal). The primary's defaults allow it (wal_level replica,
        max_wal_senders, initdb's `host replication` lines for 127.0.0.1)."""
        self.password = primary.password
        if os.getuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        source = f"postgresql://postgres:{primary.password}@127.0.0.1:{primary.port}/postgres"
        backup: list[str | Path] = [
            "-D",
            self.data,
            "-d",
            source,
            "-R",
            "-X",
            "stream",
            "--checkpoint=fast",
            "--no-sync",
        ]
        self._run(self.bin / "pg_basebackup", *backup)
        # Its own port and socket folder (postgresql.conf came from the primary); later lines win.
        settings = f"port = {self.port}\nunix_socket_directories = '{self.root}'\n"
        self._run("sh", "-c", f"printf '%s' \"$1\" >> {self.data}/postgresql.conf", "sh", settings)

    def start(self) -> None:
        self._run(self.bin / "pg_ctl", "-D", self.data, "-l", self.root / "server.log", "-w", "-t", "60", "start")

    def stop(self) -> None:
        """As a restart begins: sessions are told "terminating connection due to administrator command"."""
        self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "60", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> ThrowawayCluster:
        try:
            self.create()
            self.start()
        except BaseException:
            self.remove()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.remove()


def copy_test_database(cluster: ThrowawayCluster) -> None:
    """The test database as it stands (migrated, with the demo) into the cluster's `geo`."""
    source = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": str(source["PASSWORD"] or "")}
    address = ["-h", str(source["HOST"] or "127.0.0.1"), "-p", str(source["PORT"] or 5432), "-U", str(source["USER"])]
    dump = subprocess.run(["pg_dump", "--no-owner", *address, source["NAME"]], check=True, env=env, capture_output=True)
    # pg_dump empties search_path, and then the PostGIS `=` in a trigger's condition resolves to
    # nothing when restored (a known PostGIS dump quirk): restore with public on the path.
    sql = dump.stdout.replace(b"set_config('search_path', '', false)", b"set_config('search_path', 'public', false)")
    target = ["-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres"]
    env["PGPASSWORD"] = cluster.password
    subprocess.run(["createdb", *target, "geo"], check=True, env=env)
    subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", "geo", *target],
        input=sql,
        check=True,
        env=env,
        capture_output=True,
    )
