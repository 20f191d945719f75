"""Changing a field case: each change runs in one transaction with its cases.v1 message, under
the case's row lock, so the outbox says exactly what the table holds (see `cases_publisher`)."""

from __future__ import annotations

from typing import Any

from vigie.contract.nomenclature import Nomenclature
from vigie.platform import audit
from vigie.platform.api import ApiError
from vigie.platform.auth import Principal
from vigie_reporting import case_store
from vigie_reporting.cases import CaseIn, domains_of, public_case, published_message
from vigie_reporting.cases import withdrawn_message as withdrawn
from vigie_reporting.repository import Conn


def _not_found(case_id: str) -> ApiError:
    return ApiError(404, "not_found", f"no case {case_id}")


async def put_case(
    conn: Conn,
    case_id: str,
    body: CaseIn,
    *,
    author: str | None,
    landlord_of_new: str | None,
    author_key_id: str,
    nomenclature: Nomenclature,
) -> tuple[dict[str, Any], bool]:
    """Create or replace a case; the case as shown and whether it is new. `author`: the
    caller's landlord (None: an admin, who edits any case and names the landlord of a new one
    in `landlord_of_new`)."""
    values = body.model_dump()
    values["domains"] = domains_of(body.categories, nomenclature)
    async with conn.transaction():
        current = await case_store.lock_case(conn, case_id)
        if current is not None:
            if author is not None and current["landlord_id"] != author:
                raise ApiError(403, "forbidden", "only the case's author may edit it")
            if current["withdrawn_at"] is not None:
                raise ApiError(409, "withdrawn", f"case {case_id} was withdrawn; use a new id")
            landlord_id = current["landlord_id"]
        else:
            landlord_id = author or _landlord_named(landlord_of_new)
        created = await case_store.upsert_case(
            conn, case_id, landlord_id=landlord_id, author_key_id=author_key_id, values=values
        )
        if created is None:  # another landlord created this id at the same moment
            raise ApiError(409, "conflict", f"case {case_id} was just created by someone else")
        row = await _row(conn, case_id)
        if row["hidden_at"] is None:  # a hidden case's edits stay out of the network's view
            await case_store.add_message(
                conn, case_id, published_message(public_case(row, with_moderation=False))
            )
    return public_case(row, with_moderation=True), created


async def withdraw_case(conn: Conn, case_id: str, *, author: str | None) -> None:
    """The author (or an admin: `author` None) withdraws a case; 404 if gone already, 403 for
    anyone else."""
    async with conn.transaction():
        current = await case_store.lock_case(conn, case_id)
        if current is None or current["withdrawn_at"] is not None:
            raise _not_found(case_id)
        if author is not None and current["landlord_id"] != author:
            raise ApiError(403, "forbidden", "only the case's author may withdraw it")
        await case_store.withdraw_case(conn, case_id)
        row = await _row(conn, case_id)
        if current["hidden_at"] is None:  # a hidden one already left the view
            await case_store.add_message(conn, case_id, _gone(row, reason="withdrawn"))


async def hide_case(
    conn: Conn, case_id: str, *, hidden: bool, principal: Principal, reason: str | None
) -> dict[str, Any]:
    """An admin (the caller checked) hides a case from the network, or shows it again; the
    case as shown."""
    async with conn.transaction():
        current = await case_store.lock_case(conn, case_id)
        if current is None or current["withdrawn_at"] is not None:
            raise _not_found(case_id)
        was_hidden = current["hidden_at"] is not None
        if was_hidden == hidden and not hidden:
            return public_case(await _row(conn, case_id), with_moderation=True)
        await case_store.set_hidden(
            conn,
            case_id,
            by=(principal.name or principal.key_id) if hidden else None,
            reason=reason,
        )
        row = await _row(conn, case_id)
        await audit.record(
            conn,
            actor=principal,
            action="cases.hide" if hidden else "cases.show",
            target=case_id,
            details={"reason": reason} if hidden else {},
        )
        if hidden and not was_hidden:
            await case_store.add_message(conn, case_id, _gone(row, reason="hidden"))
        elif not hidden:
            message = published_message(public_case(row, with_moderation=False))
            await case_store.add_message(conn, case_id, message)
    return public_case(row, with_moderation=True)


def _landlord_named(landlord_id: str | None) -> str:
    if not landlord_id:
        raise ApiError(
            422,
            "invalid",
            "the request is invalid",
            errors=[{"field": "landlord_id", "message": "an admin names the new case's landlord"}],
        )
    return landlord_id


async def _row(conn: Conn, case_id: str) -> dict[str, Any]:
    row = await case_store.get_case(conn, case_id)
    if row is None:  # under the row lock, it cannot vanish
        raise _not_found(case_id)
    return row


def _gone(row: dict[str, Any], *, reason: str) -> dict[str, Any]:
    return withdrawn(
        case_id=row["case_id"],
        revision=row["revision"],
        changed_at=row["updated_at"],
        reason=reason,
    )
