"""Bounds on a request's head, on the real server stack of every service (uvicorn, httptools,
vigie.platform.http_guard): a huge header is refused with 431, a client that trickles its head
(slowloris) or never sends one is cut off with 408, and many idle connections starve nobody."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from vigie.platform.serve import server_config
from vigie.platform.settings import ServiceSettings

HEAD_TIMEOUT_S = 1.0


@pytest.fixture
async def server() -> AsyncIterator[int]:
    """A service-configured server on a free port; yields the port."""
    app = FastAPI()

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    settings = ServiceSettings(port=0, http_head_timeout_s=HEAD_TIMEOUT_S)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)  # connections wait in the backlog until the server accepts them
    config = server_config(app, settings)
    running = uvicorn.Server(config)
    task = asyncio.create_task(running.serve(sockets=[listener]))
    yield listener.getsockname()[1]
    running.should_exit = True
    await task


async def raw_exchange(port: int, head: bytes) -> bytes:
    """Send `head`, read until the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()
    return answer


async def test_a_200_kb_header_is_refused_with_431_and_the_server_goes_on(server: int) -> None:
    huge = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n"
    answer = await raw_exchange(server, huge)
    assert answer.startswith(b"HTTP/1.1 431 ")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server}") as client:
        assert (await client.get("/health")).status_code == 200


async def test_many_small_headers_count_too(server: int) -> None:
    headers = b"".join(b"X-H%d: v\r\n" % i for i in range(5_000))
    answer = await raw_exchange(server, b"GET /health HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431 ")


async def test_an_ordinary_large_header_passes(server: int) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server}") as client:
        answer = await client.get("/health", headers={"Authorization": "Bearer " + "t" * 8_000})
    assert answer.status_code == 200


async def test_a_slowloris_client_is_cut_off_with_408(server: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server)
    writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\n")
    trickled = 0
    answer = b""
    # One header byte every 0.2 s: never a complete head; the server must end it.
    while not reader.at_eof() and trickled < 100:
        try:
            writer.write(b"X")
            await writer.drain()
        except ConnectionError:
            break
        trickled += 1
        try:
            answer += await asyncio.wait_for(reader.read(1024), timeout=0.2)
        except TimeoutError:
            continue
    writer.close()
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert trickled < 100


async def test_idle_connections_are_closed_and_starve_nobody(
    server: int, request: pytest.FixtureRequest
) -> None:
    # 10,000 in the long variant (`--long`, tests/reliability); the file-descriptor limit of the
    # test process must allow it.
    count = 10_000 if request.config.getoption("--long", default=False) else 500
    idle = [await asyncio.open_connection("127.0.0.1", server) for _ in range(count)]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server}") as client:
        assert (await client.get("/health")).status_code == 200
    answers = await asyncio.gather(
        *(asyncio.wait_for(reader.read(), timeout=10) for reader, _ in idle)
    )
    assert all(answer.startswith(b"HTTP/1.1 408 ") for answer in answers)
    for _, writer in idle:
        writer.close()
