"""`vigie incidents import FILE --landlord ID [--dry-run]`: bulk-load incidents from a spreadsheet
export (docs/contract.md §2) through intake, so that they meet exactly the API's validation;
a per-line report, in French, of the lines refused.

The file is read as `import_text` and `import_columns` say (encoding, separator, French columns
and values, Paris dates). Chunks of JSON events go to `POST /v1/incidents/batch`, a few at a
time; event ids derive from (landlord, reference, revision), so importing the same file again
counts nothing twice. `--dry-run` sends nothing: each line goes through intake's own check
(`vigie_intake.validation.check_event`) against the territories of the database when it can be
reached (DATABASE_URL or a running `vigie run`), else those of the shipped reference.

Intake is found as for `vigie simulate`: INTAKE_URL / INTAKE_TOKEN, else VIGIE_ADMIN_TOKEN, else
the run file of a running `vigie run`."""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Callable, Container, Iterable
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import orjson
from pydantic import ValidationError
from rich.markup import escape

from vigie.platform.known_territories import territory_ids
from vigie.platform.settings import MissingSettingError
from vigie.platform.territories import parse_territories, reference_csv
from vigie_cli.console import console, err_console, progress_bar
from vigie_cli.context import cli_settings
from vigie_cli.errors import CliError
from vigie_cli.import_text import decode
from vigie_cli.incident_csv import (
    Chunk,
    IncidentFileError,
    IncidentReader,
    Line,
    LineError,
    chunk_lines,
    count_rows,
    errors_csv,
    french,
    ignored_notice,
    line_errors,
    open_file,
    report_path,
)
from vigie_cli.intake_client import BatchResult, GaveUp, IntakeClient, IntakeError
from vigie_cli.intake_target import find_intake
from vigie_intake.validation import Rejected, check_event

FIND_INTAKE_S = 2.0  # a running `vigie run` has intake ready; no long wait for a typo
PATIENCE_S = 120.0  # how long one chunk may wait for an overloaded or restarting intake
IN_FLIGHT = 3  # chunks sent at once: the next is read while intake checks the previous
SHOWN_ERRORS = 20


async def import_incidents(path: Path, *, landlord_id: str, dry_run: bool = False) -> None:
    """Send the file in chunks (or only check it), report rejected lines; fail when any was."""
    if not landlord_id.strip():
        raise CliError("--landlord must not be empty")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from None
    text = decode(data)
    try:
        columns, records = open_file(text.text, separator=text.separator)
    except IncidentFileError as exc:
        raise CliError(f"{path}: {exc}") from None
    total = count_rows(text.text, separator=text.separator)
    separator = {"\t": "tab"}.get(text.separator, text.separator)
    console.print(f"{path.name}: {text.encoding}, separator {separator}, {total:,} lines")
    if notice := ignored_notice(columns):
        err_console.print(escape(notice))
    reader = IncidentReader(columns, landlord_id)
    lines = reader.lines(records)
    if dry_run:
        known, source = await _known_territories()
        with progress_bar(f"checking {path.name}") as update:
            accepted = _check(lines, reader, known=known, update=update, total=total)
        _report(path, reader=reader, accepted=accepted, dry_run=f"territories: {source}")
        return
    first = next(lines, None)
    if first is None:  # every line already refused here: nothing to send
        _report(path, reader=reader, accepted=0)
        return
    lines = itertools.chain([first], lines)
    target = await find_intake(dict(os.environ), wait_s=FIND_INTAKE_S)
    async with IntakeClient(
        url=target.url, token=target.token or "", patience_s=PATIENCE_S
    ) as client:
        with progress_bar(f"incidents {path.name}") as update:
            accepted = await _send(client, lines, reader, update=update, total=total)
    _report(path, reader=reader, accepted=accepted)


async def _send(
    client: IntakeClient,
    lines: Iterable[Line],
    reader: IncidentReader,
    *,
    update: Update,
    total: int,
) -> int:
    """Post the chunks, IN_FLIGHT at a time; the number of events intake accepted."""
    accepted = sent = 0
    pending: dict[asyncio.Task[BatchResult], Chunk] = {}

    def settle(done: set[asyncio.Task[BatchResult]]) -> None:
        nonlocal accepted, sent
        for task in done:
            chunk = pending.pop(task)
            try:
                result = task.result()
            except (GaveUp, IntakeError) as exc:
                for other in pending:
                    other.cancel()
                raise CliError(
                    f"{exc}; {sent:,} lines were sent before (importing the file again is "
                    "safe: same lines, same event ids)"
                ) from None
            for rejection in result.rejected:
                reader.errors.extend(
                    line_errors(
                        chunk,
                        index=rejection.index,
                        errors=rejection.errors,
                        columns=reader.columns,
                    )
                )
            accepted += result.accepted
            sent += len(chunk.lines)
        update(sent + reader.rows - reader.good, total)

    update(0, total)
    for chunk in chunk_lines(lines):
        if len(pending) >= IN_FLIGHT:
            done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            settle(done)
        task = asyncio.create_task(client.post_batch_body(chunk.body, content_type=_JSON))
        pending[task] = chunk
    while pending:
        done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        settle(done)
    update(reader.rows, total)
    return accepted


def _check(
    lines: Iterable[Line],
    reader: IncidentReader,
    *,
    known: Container[str],
    update: Update,
    total: int,
) -> int:
    """A dry run: intake's own check of every line; the number that would be accepted."""
    now = datetime.now(UTC)
    accepted = 0
    for number, line in enumerate(lines):
        checked = check_event(
            orjson.dumps(line.event),
            index=0,
            known_territories=known,
            landlord_id=reader.landlord_id,
            now=now,
        )
        if isinstance(checked, Rejected):
            incident_id = str(line.event.get("incident_id", ""))
            reader.errors.extend(
                LineError(
                    line.number,
                    incident_id,
                    reader.columns.label(e.field),
                    french(e.field, e.message),
                )
                for e in checked.errors
            )
        else:
            accepted += 1
        if number % 10_000 == 0:
            update(reader.rows, total)
    update(reader.rows, total)
    return accepted


async def _known_territories() -> tuple[Container[str], str]:
    """The territory ids of the database if it can be reached, else of the shipped reference;
    and which it is."""
    try:
        dsn = cli_settings().dsn
        conn = await asyncpg.connect(dsn, timeout=5)
    except (MissingSettingError, ValidationError, OSError, asyncpg.PostgresError, TimeoutError):
        territories = parse_territories(reference_csv()).territories
        return frozenset(territories), "the shipped reference, no database reached"
    try:
        return await territory_ids(conn), "the database"
    finally:
        await conn.close()


def _report(
    path: Path, *, reader: IncidentReader, accepted: int, dry_run: str | None = None
) -> None:
    """Print the per-line errors and write them next to the file; fail if there are any."""
    report = report_path(path)
    errors = reader.errors
    if reader.rows == 0:
        raise CliError(f"{path}: no incident line after the header")
    what = "would be accepted" if dry_run else "accepted"
    if not errors:
        report.unlink(missing_ok=True)  # an old report would describe another import
        done = f" (dry run, nothing sent; {dry_run})" if dry_run else ""
        console.print(f"{accepted:,} incident lines {what} from {path}{done}", soft_wrap=True)
        return
    ordered = sorted(errors, key=lambda e: (e.line, e.column))
    for error in ordered[:SHOWN_ERRORS]:
        err_console.print(
            f"line {error.line}, [bold]{escape(error.column)}[/bold]: {escape(error.message)}",
            soft_wrap=True,
        )
    if len(ordered) > SHOWN_ERRORS:
        err_console.print(f"… and {len(ordered) - SHOWN_ERRORS:,} more")
    try:
        report.write_text(errors_csv(ordered), encoding="utf-8-sig")
        where = f"see {report}"
    except OSError as exc:
        where = f"(could not write {report}: {exc.strerror or exc})"
    bad = len({e.line for e in errors})
    done = f" (dry run, nothing sent; {dry_run})" if dry_run else ""
    raise CliError(f"{bad:,} of {reader.rows:,} lines rejected, {accepted:,} {what}{done}; {where}")


Update = Callable[[int, int], None]
_JSON = "application/json"
