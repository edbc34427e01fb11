"""Fixed-window rate limits counted in the database, so every instance shares one count."""

import time
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from screening_service.database import insert_for, write_transaction
from screening_service.problems import ProblemError
from screening_service.schema import rate_limit_counters

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Window:
    """The count of a bucket's current window, and the whole seconds until the next window starts."""

    hits: int
    retry_after: int


def _window(window_seconds: int) -> tuple[int, int]:
    now = time.time()
    window = int(now // window_seconds)
    return window, max(1, int((window + 1) * window_seconds - now) + 1)


def count(engine: Engine, bucket: str, window_seconds: int = WINDOW_SECONDS) -> Window:
    """Count one event in `bucket`'s current window."""
    window, retry_after = _window(window_seconds)
    insert = insert_for(engine)
    statement = insert(rate_limit_counters).values(bucket=bucket, window_start=window, hits=1)
    statement = statement.on_conflict_do_update(
        index_elements=["bucket", "window_start"],
        set_={"hits": rate_limit_counters.c.hits + 1},
    ).returning(rate_limit_counters.c.hits)
    with write_transaction(engine) as connection:
        hits = connection.execute(statement).scalar_one()
        if hits == 1:
            connection.execute(
                delete(rate_limit_counters).where(
                    rate_limit_counters.c.bucket == bucket,
                    rate_limit_counters.c.window_start < window,
                )
            )
    return Window(int(hits), retry_after)


def peek(engine: Engine, bucket: str, window_seconds: int = WINDOW_SECONDS) -> Window:
    """The count of `bucket`'s current window, without counting."""
    window, retry_after = _window(window_seconds)
    with engine.connect() as connection:
        hits = connection.execute(
            select(rate_limit_counters.c.hits).where(
                rate_limit_counters.c.bucket == bucket, rate_limit_counters.c.window_start == window
            )
        ).scalar()
    return Window(int(hits or 0), retry_after)


def hit(engine: Engine, bucket: str, limit: int) -> None:
    """Count one request in `bucket`; raise 429 with Retry-After once the window's limit is passed."""
    seen = count(engine, bucket)
    if seen.hits > limit:
        raise ProblemError(
            429,
            "rate-limited",
            "Too many lookups",
            f"This terminal may make {limit} lookups a minute; try again in {seen.retry_after} s.",
            headers={"Retry-After": str(seen.retry_after)},
        )
