"""Property tests and fuzz runs of every parser the client has (issue 8, hostile and malformed input).

What is fuzzed, and the property each module holds to:

- test_validation_fuzz.py: the counter form's validators never raise for any text, normalisation is
  idempotent, valid generated account/card/IBAN/resident ID numbers are accepted and one changed
  character is refused, amounts are never NaN, infinite, negative, over the limit or finer than a cent,
  and every error names its field in zh-CN and English. Masking never lets a number through.
- test_service_responses_fuzz.py: contract.parse_* return a fully valid object or raise ContractError;
  ServiceClient, against a raw loopback HTTP server answering fuzzed statuses, headers and bodies
  (arbitrary JSON, mutations of real answers captured from a real service process, non-JSON,
  truncated, wrong encodings), returns a valid result or a ServiceFailure, never raises, and never
  gives "allow" unless the body was a valid allow; CounterSession never lets such a result proceed
  unless it was a valid allow.
- test_id_reader_fuzz.py: the ID card reader's drop-folder files (text fields in any encoding, any
  photo bytes, decompression bombs, partial writes) give a valid card or one IdReaderError, and every
  file of the card is deleted either way.
- test_settings_fuzz.py: configuration files, environment variables and command-line values give
  Settings or a SettingsError that names where the value came from and the key; configure_site writes
  only what load_settings reads back.

Example counts are bounded so that this folder runs in about a minute. For a long fuzz run set
COUNTERGUARD_FUZZ_EXAMPLES, which multiplies every property's example count:

    COUNTERGUARD_FUZZ_EXAMPLES=50 uv run pytest tests/fuzz --hypothesis-show-statistics

Hypothesis keeps the failing examples it finds in .hypothesis/ and replays them first on the next run;
every bug found so far is also pinned with @example or a plain test next to its property.
"""

import os

from hypothesis import HealthCheck, settings

FUZZ_EXAMPLES_ENV = "COUNTERGUARD_FUZZ_EXAMPLES"


def fuzz_scale() -> int:
    """The multiplier of every example count: 1 by default, COUNTERGUARD_FUZZ_EXAMPLES for a long run."""
    raw = os.environ.get(FUZZ_EXAMPLES_ENV, "").strip()
    if not raw:
        return 1
    try:
        scale = int(raw)
    except ValueError:
        raise ValueError(
            f"{FUZZ_EXAMPLES_ENV}={raw!r}: give a whole number (the example multiplier)"
        ) from None
    if scale < 1:
        raise ValueError(f"{FUZZ_EXAMPLES_ENV}={raw!r}: the multiplier must be at least 1")
    return scale


def fuzz(examples: int, *, io: bool = False) -> settings:
    """Hypothesis settings for one property: `examples` examples (times the long-fuzz multiplier).

    `io=True` for properties that touch sockets or files: no per-example deadline (the machine is shared
    and a loaded moment must not fail a correct example), and module-scoped fixtures are allowed.
    """
    return settings(
        max_examples=examples * fuzz_scale(),
        deadline=None if io else 2000,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
        + ([HealthCheck.function_scoped_fixture] if io else []),
        print_blob=True,
    )
