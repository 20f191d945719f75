"""`vigie incidents import FILE --landlord ID`: bulk-load incidents from a CSV through intake,
so they meet exactly the API's validation; a per-line error report for the lines it refuses.

Intake is found as for `vigie simulate`: INTAKE_URL / INTAKE_TOKEN, else VIGIE_ADMIN_TOKEN, else
the run file of a running `vigie run`."""

from __future__ import annotations

import os
from pathlib import Path

from rich.markup import escape

from vigie_cli.console import console, err_console, progress_bar
from vigie_cli.errors import CliError
from vigie_cli.incident_csv import (
    IncidentFile,
    IncidentFileError,
    LineError,
    chunk_lines,
    errors_csv,
    line_errors,
    read_incident_csv,
    report_path,
)
from vigie_cli.intake_client import GaveUp, IntakeClient, IntakeError
from vigie_cli.intake_target import find_intake

FIND_INTAKE_S = 2.0  # a running `vigie run` has intake ready; no long wait for a typo
PATIENCE_S = 120.0  # how long one chunk may wait for an overloaded or restarting intake
SHOWN_ERRORS = 20


async def import_incidents(path: Path, *, landlord_id: str) -> None:
    """Send the file in chunks, report rejected lines; fail when any line was rejected."""
    if not landlord_id.strip():
        raise CliError("--landlord must not be empty")
    file = _read(path, landlord_id=landlord_id)
    if file.total == 0:
        raise CliError(f"{path}: no incident line after the header")
    errors = list(file.errors)
    accepted = 0
    if not file.lines:  # every line already refused here: nothing to send
        _report(path, errors=errors, accepted=accepted, total=file.total)
    target = await find_intake(dict(os.environ), wait_s=FIND_INTAKE_S)
    async with IntakeClient(
        url=target.url, token=target.token or "", patience_s=PATIENCE_S
    ) as client:
        with progress_bar(f"incidents {path.name}") as update:
            done = 0
            update(done, len(file.lines))
            for chunk in chunk_lines(file):
                try:
                    result = await client.post_batch_body(chunk.body, content_type="text/csv")
                except (GaveUp, IntakeError) as exc:
                    raise CliError(
                        f"{exc}; {done:,} of {len(file.lines):,} lines were sent before "
                        "(importing the file again is safe: same lines, same event ids)"
                    ) from None
                rejected = {r.index for r in result.rejected}
                for rejection in result.rejected:
                    errors += line_errors(chunk, index=rejection.index, errors=rejection.errors)
                accepted += len(chunk.lines) - len(rejected)
                done += len(chunk.lines)
                update(done, len(file.lines))
    _report(path, errors=errors, accepted=accepted, total=file.total)


def _read(path: Path, *, landlord_id: str) -> IncidentFile:
    """The parsed file, or a one-line error."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CliError(f"cannot read {path}: not UTF-8 text") from None
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return read_incident_csv(text, landlord_id=landlord_id)
    except IncidentFileError as exc:
        raise CliError(f"{path}: {exc}") from None


def _report(path: Path, *, errors: list[LineError], accepted: int, total: int) -> None:
    """Print the per-line errors and write them next to the file; fail if there are any."""
    report = report_path(path)
    if not errors:
        report.unlink(missing_ok=True)  # an old report would describe another import
        console.print(f"{accepted:,} incident lines accepted from {path}", soft_wrap=True)
        return
    ordered = sorted(errors, key=lambda e: (e.line, e.field))
    for error in ordered[:SHOWN_ERRORS]:
        err_console.print(
            f"line {error.line}: [bold]{escape(error.field)}[/bold] {escape(error.message)}",
            soft_wrap=True,
        )
    if len(ordered) > SHOWN_ERRORS:
        err_console.print(f"… and {len(ordered) - SHOWN_ERRORS:,} more")
    try:
        report.write_text(errors_csv(ordered), encoding="utf-8")
        where = f"see {report}"
    except OSError as exc:
        where = f"(could not write {report}: {exc.strerror or exc})"
    bad = len({e.line for e in errors})
    raise CliError(f"{bad:,} of {total:,} lines rejected, {accepted:,} accepted; {where}")
