"""What the demo feed remembers between runs, in `$VIGIE_DATA_DIR/demo-feed.json`: the seed of
its world, the history it posted (so that a restart posts none, or finishes the same one), how
many streams of events it drew (each run draws its own: no id is ever sent twice) and how far
its clock got (a restart resumes the world there)."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

FILE_NAME = "demo-feed.json"


@dataclass
class FeedState:
    """The demo world of one data directory."""

    seed: int
    history_until: datetime | None = None  # the `now` of the history posted, if any
    history_events: int = 0
    history_done: bool = False
    history_stream: int = 0  # the stream the history was drawn from
    streams: int = 0  # streams taken so far: the first run's is 0
    clock: datetime | None = None  # the world time the live feed reached

    def take_stream(self) -> int:
        """The number of a stream nobody drew from yet, recorded as taken."""
        self.streams += 1
        return self.streams - 1


def load_state(data_dir: Path) -> FeedState | None:
    """The recorded state, or None when there is none or it cannot be read."""
    try:
        raw: dict[str, Any] = orjson.loads((data_dir / FILE_NAME).read_bytes())
        return FeedState(
            seed=int(raw["seed"]),
            history_until=_time(raw.get("history_until")),
            history_events=int(raw.get("history_events", 0)),
            history_done=bool(raw.get("history_done", False)),
            history_stream=int(raw.get("history_stream", 0)),
            streams=int(raw.get("streams", 0)),
            clock=_time(raw.get("clock")),
        )
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


def save_state(data_dir: Path, state: FeedState) -> None:
    """Write the state whole or not at all (a crash never leaves half a file)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / FILE_NAME
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(orjson.dumps(asdict(state), option=orjson.OPT_INDENT_2))
    os.replace(temporary, path)


def _time(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None
