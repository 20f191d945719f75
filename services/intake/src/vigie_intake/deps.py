"""The handlers' dependencies, as `Annotated` aliases over what the app's lifespan opened
(`app.py` sets them); handlers never read `app.state` themselves. The authenticator is the
platform's (`vigie.platform.api.AUTHENTICATOR`, `AuthenticatorDep`)."""

from __future__ import annotations

from typing import Annotated

import asyncpg
from fastapi import Depends

from vigie.platform.api import AppResource

POOL = AppResource("pool", asyncpg.Pool)
Pool = Annotated[asyncpg.Pool, Depends(POOL.get)]
