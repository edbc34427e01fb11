"""Payee name check in the manner of UK Confirmation of Payee / EU Verification of Payee."""

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from screening_service.api_models import name_problem


class NameCheckOutcome(StrEnum):
    MATCH = "match"
    CLOSE_MATCH = "close_match"
    NO_MATCH = "no_match"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class NameCheck:
    outcome: NameCheckOutcome
    # Shown only for a close match ("did you mean ...?"), as CoP does; never for a no match.
    name_on_record: str | None = None


_IGNORED = set(" \t·•.-,'’")


def normalise_name(name: str) -> str:
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(ch for ch in folded if ch not in _IGNORED)


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def _token_set(name: str) -> frozenset[str]:
    folded = unicodedata.normalize("NFKC", name).casefold()
    for separator in _IGNORED:
        folded = folded.replace(separator, " ")
    return frozenset(folded.split())


def _is_cjk(name: str) -> bool:
    return bool(name) and all("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" for ch in name)


def check_name(entered: str, on_record: str | None) -> NameCheck:
    if on_record is None:
        return NameCheck(NameCheckOutcome.UNAVAILABLE)
    a, b = normalise_name(entered), normalise_name(on_record)
    if not b:
        return NameCheck(NameCheckOutcome.UNAVAILABLE)  # a directory entry with no usable name
    # Invisible and direction characters ("王\u200b小明", "\u202e明小王" shown as 王小明) never make a
    # match, not even a close one: the API refuses them, and this holds for any other caller.
    if not a or name_problem(entered):
        return NameCheck(NameCheckOutcome.NO_MATCH)
    if a == b:
        return NameCheck(NameCheckOutcome.MATCH)
    # "Xiaoming Wang" for "Wang Xiaoming": the same words in another order.
    if _token_set(entered) == _token_set(on_record):
        return NameCheck(NameCheckOutcome.CLOSE_MATCH, on_record)
    # A different surname is a different person, however alike the rest looks.
    if _is_cjk(a) and _is_cjk(b) and a[0] != b[0]:
        return NameCheck(NameCheckOutcome.NO_MATCH)
    # One slip per four characters: 王晓明 for 王小明, "Jon Smith" for "John Smith".
    allowed = max(1, len(b) // 4)
    if _edit_distance(a, b) <= allowed:
        return NameCheck(NameCheckOutcome.CLOSE_MATCH, on_record)
    return NameCheck(NameCheckOutcome.NO_MATCH)
