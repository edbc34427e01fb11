"""Fixed-window rate limits counted in the database, so every instance shares one count."""

import time

from sqlalchemy import delete
from sqlalchemy.engine import Engine

from screening_service.database import insert_for, write_transaction
from screening_service.problems import ProblemError
from screening_service.schema import rate_limit_counters

WINDOW_SECONDS = 60


def hit(engine: Engine, bucket: str, limit: int) -> None:
    """Count one request in `bucket`; raise 429 with Retry-After once the window's limit is passed."""
    now = time.time()
    window = int(now // WINDOW_SECONDS)
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
    if hits > limit:
        retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now) + 1)
        raise ProblemError(
            429,
            "rate-limited",
            "Too many lookups",
            f"This terminal may make {limit} lookups a minute; try again in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )
