"""Unit tests of the payee name check (Confirmation of Payee style): screening_service.names."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from screening_service.names import NameCheck, NameCheckOutcome, check_name, normalise_name

MATCH = NameCheck(NameCheckOutcome.MATCH)
NO_MATCH = NameCheck(NameCheckOutcome.NO_MATCH)
UNAVAILABLE = NameCheck(NameCheckOutcome.UNAVAILABLE)


def close(on_record: str) -> NameCheck:
    return NameCheck(NameCheckOutcome.CLOSE_MATCH, on_record)


def test_same_name_matches_without_showing_the_record() -> None:
    assert check_name("王小明", "王小明") == MATCH
    assert check_name("John Smith", "John Smith") == MATCH


@pytest.mark.parametrize(
    ("entered", "on_record"),
    [
        pytest.param("ＪＯＨＮ　ＳＭＩＴＨ", "John Smith", id="full-width letters and space"),
        pytest.param("Ｗａｎｇ　Ｘｉａｏｍｉｎｇ", "wang xiaoming", id="full-width mixed case"),
        pytest.param("王 小明", "王小明", id="space inside a Chinese name"),
        pytest.param("王\u3000小明", "王小明", id="ideographic space"),
        pytest.param(" 王小明 ", "王小明", id="leading and trailing spaces"),
        pytest.param("阿卜杜·热合曼", "阿卜杜热合曼", id="middle dot of a transliterated name"),
        pytest.param("JOHN SMITH", "john smith", id="upper case"),
        pytest.param("john smith", "John Smith", id="lower case"),
        pytest.param("Mary-Jane O'Neil", "MARYJANE ONEIL", id="hyphen and apostrophe"),
        pytest.param("STRASSE", "straße", id="casefold of sharp s"),
    ],
)
def test_normalisation_makes_a_match(entered: str, on_record: str) -> None:
    assert check_name(entered, on_record) == MATCH


@pytest.mark.parametrize(
    ("entered", "on_record"),
    [
        pytest.param("王晓明", "王小明", id="one wrong Chinese character"),
        pytest.param("欧杨娜娜", "欧阳娜娜", id="one slip after a compound surname"),
        pytest.param("Jon Smith", "John Smith", id="one missing Latin letter"),
        pytest.param("John Smyth", "John Smith", id="one wrong Latin letter"),
        pytest.param("Jonathon Smyth", "Jonathan Smith", id="two slips in a long Latin name"),
        pytest.param("Xiaoming Wang", "Wang Xiaoming", id="reordered Latin name"),
        pytest.param("xiaoming WANG", "Wang Xiaoming", id="reordered and differently cased"),
        pytest.param("Smith, John", "John Smith", id="reordered with a comma"),
    ],
)
def test_close_match_shows_the_name_on_record(entered: str, on_record: str) -> None:
    assert check_name(entered, on_record) == close(on_record)


@pytest.mark.parametrize(
    ("entered", "on_record"),
    [
        pytest.param("李小明", "王小明", id="different Chinese surname, rest identical"),
        pytest.param("张三", "章三", id="different surname in a two-character name"),
        pytest.param("汪小明", "王小明", id="look-alike surname"),
        pytest.param("王晓敏", "王小明", id="two slips in a three-character name"),
        pytest.param("Peter Jones", "John Smith", id="another Latin name"),
        pytest.param("Wang Xiaoming", "王小明", id="pinyin against characters"),
        pytest.param("", "王小明", id="empty"),
        pytest.param(" · ", "王小明", id="only ignored characters"),
    ],
)
def test_no_match_never_shows_the_name_on_record(entered: str, on_record: str) -> None:
    assert check_name(entered, on_record) == NO_MATCH


@pytest.mark.parametrize("entered", ["王小明", "", "John Smith"])
def test_unavailable_when_there_is_no_record(entered: str) -> None:
    assert check_name(entered, None) == UNAVAILABLE


def test_normalise_name_folds_width_case_and_separators() -> None:
    assert normalise_name("Ｍａｒｙ-Ｊａｎｅ　O’Neil") == "maryjaneoneil"
    assert normalise_name("阿卜杜·热合曼") == "阿卜杜热合曼"


names = st.text(
    alphabet=st.characters(categories=("Lu", "Ll", "Lo", "Zs", "Pd", "Po")), min_size=0, max_size=12
)


@given(name=names)
def test_any_name_matches_itself_and_is_unavailable_without_record(name: str) -> None:
    # A record with no usable name cannot be checked against: unavailable, not a verdict.
    expected = MATCH if normalise_name(name) else UNAVAILABLE
    assert check_name(name, name) == expected
    assert check_name(name, None) == UNAVAILABLE


@given(entered=names, on_record=names)
def test_name_on_record_is_shown_only_for_a_close_match(entered: str, on_record: str) -> None:
    result = check_name(entered, on_record)
    if result.outcome is NameCheckOutcome.CLOSE_MATCH:
        assert result.name_on_record == on_record
    else:
        assert result.name_on_record is None
