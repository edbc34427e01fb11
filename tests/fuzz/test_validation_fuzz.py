"""Fuzz of the counter form's validators and of the masking of personal data.

Every validator takes any text a keyboard, an input method, a paste or a card reader can produce: the
whole of Unicode (no surrogates), control characters, NUL, bidirectional and zero-width marks, and
strings of hundreds of thousands of characters. The only outcomes allowed are `Valid` and a
`FieldError` whose zh-CN and English messages name the field.
"""

import re
import string
import unicodedata
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from teller_client.masking import mask_account, mask_id_number, mask_name, mask_text
from teller_client.validation import (
    ACCOUNT_MAX_DIGITS,
    ACCOUNT_MIN_DIGITS,
    AMOUNT,
    CURRENCY,
    CUSTOMER_NAME,
    DOCUMENT_NUMBER,
    EARLIEST_BIRTH_DATE,
    IBAN_LENGTHS,
    ID_NUMBER,
    PAYEE_ACCOUNT,
    PAYEE_BANK,
    PAYEE_NAME,
    PAYER_ACCOUNT,
    PURPOSE,
    Checked,
    FieldError,
    FieldLabel,
    InputKind,
    ResidentId,
    Valid,
    check_account,
    check_amount,
    check_bank_name,
    check_currency,
    check_document_number,
    check_name,
    check_purpose,
    check_resident_id,
    format_amount,
    is_card_number,
    luhn_check_digit,
    normalise_input,
    resident_id_check_char,
)
from tests.fuzz import fuzz

TODAY = date(2026, 11, 27)
LIMIT = Decimal("5000000.00")

# ---------------------------------------------------------------------------------------------------------
# Hostile text

# What tellers' keyboards, input methods and pastes add, and what an attacker would try.
TRICKS = [
    "\u200b",  # zero-width space
    "\u200c",
    "\u200d",
    "\u2060",  # word joiner
    "\ufeff",  # byte order mark
    "\u00ad",  # soft hyphen
    "\u200e",  # left-to-right mark
    "\u200f",  # right-to-left mark
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",  # right-to-left override: reverses what follows on screen
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u2061",  # invisible function application
    "\u2062",
    "\u2063",
    "\u2064",
    "\u180e",  # Mongolian vowel separator
    "\U000e0041",  # tag character
    "\u034f",  # combining grapheme joiner
    "\x00",
    "\x07",
    "\x1b",
    "\x7f",
    "\x85",
    "\t",
    "\n",
    "\r",
    "\u3000",  # ideographic space
    "\u00a0",
    "\u2028",
    "\u2029",
    "\uff10",  # full-width 0
    "\uff19",
    "\uff38",  # full-width X
    "\uff0d",  # full-width hyphen
    "\u2212",  # minus sign
    "\u2013",
    "\uff0c",  # full-width comma
    "\u3002",  # ideographic full stop
    "\uff0e",
    "\u00b7",
    "\u30fb",
    "\u0661",  # Arabic-Indic digit one
    "\u0967",  # Devanagari digit one
    "\U0001d7ce",  # mathematical bold digit zero (NFKC: 0)
    "\u2460",  # circled digit one (NFKC: 1)
    "\u00b2",  # superscript two (NFKC: 2)
    "\u2167",  # Roman numeral eight (NFKC: VIII)
    "\ufb01",  # fi ligature
    "\u00df",  # sharp s (upper: SS)
    "\u0130",  # I with dot above (lower: two characters)
    "\u1e9e",
    "\u0301",  # combining acute accent
    "\u00b4",
    "\u2019",
    "'",
    '"',
    "<script>",
    "';--",
    "' OR '1'='1",
    "%s",
    "{0}",
    "NaN",
    "Infinity",
    "1e9",
    "张",
    "三",
    "\U00020000",  # CJK extension B
]

any_text = st.text()  # all of Unicode except surrogates, control characters and NUL included
tricky_text = st.lists(
    st.sampled_from(TRICKS) | st.sampled_from(list(string.digits)) | st.characters(), max_size=40
).map("".join)
digit_text = st.text(alphabet=string.digits + " -,.X\u3002\uff10\uff11\uff19\u200b\u2212", max_size=40)
# Long inputs: a paste of a whole document, a stuck key.
huge_text = st.builds(
    lambda chunk, times: chunk * times, st.text(min_size=1, max_size=6), st.integers(2_000, 60_000)
)
hostile_text = any_text | tricky_text | digit_text | huge_text


def _check_iban_only(text: str) -> Checked[Any]:
    return check_account(text, PAYER_ACCOUNT, allow_iban=False)


VALIDATORS: list[tuple[FieldLabel, Callable[[str], Checked[Any]]]] = [
    (PAYEE_ACCOUNT, lambda text: check_account(text, PAYEE_ACCOUNT)),
    (PAYER_ACCOUNT, _check_iban_only),
    (ID_NUMBER, lambda text: check_resident_id(text, today=TODAY)),
    (AMOUNT, lambda text: check_amount(text, LIMIT)),
    (CURRENCY, check_currency),
    (PAYEE_NAME, lambda text: check_name(text, PAYEE_NAME)),
    (CUSTOMER_NAME, lambda text: check_name(text, CUSTOMER_NAME)),
    (PURPOSE, check_purpose),
    (PAYEE_BANK, check_bank_name),
    (DOCUMENT_NUMBER, check_document_number),
]

# Zero-width marks and bidirectional controls: invisible on screen, yet they would change what is sent
# (a phrase the service looks for, split by an invisible mark) or reorder what a supervisor reads.
INVISIBLE_CATEGORIES = ("Cf",)


def assert_field_error(error: FieldError, label: FieldLabel) -> None:
    """The error is for `label`'s field and both messages name it, in plain visible text."""
    assert error.field == label.key
    assert error.message["zh-CN"].startswith(f"{label.zh_cn}："), error.message
    assert error.message["en"].startswith(f"{label.en}: "), error.message
    for text in error.message.values():
        # The teller must be able to read what to fix: no invisible or reordering characters, and no
        # message longer than a form can show.
        assert text.isprintable(), repr(text)
        assert len(text) <= 300, f"a message of {len(text)} characters"


@fuzz(400)
@given(text=hostile_text)
@example(text="\u202e3621 0010 0200 2212 26")
@example(text="张\u202e三")
@example(text="x" * 100_000)
@example(text="CNY\x00")
def test_every_validator_answers_valid_or_a_field_error(text: str) -> None:
    for label, check in VALIDATORS:
        result = check(text)
        if isinstance(result, FieldError):
            assert_field_error(result, label)
        else:
            assert isinstance(result, Valid), (label, result)


@fuzz(300)
@given(text=hostile_text, kind=st.sampled_from(["compact", "name", "text"]))
@example(text="a\u202eb", kind="text")
@example(text="a \u0301", kind="compact")  # found by the long fuzz: "A\u0301" the first time, "Á" the second
def test_normalisation_is_idempotent_and_leaves_nothing_invisible(text: str, kind: InputKind) -> None:
    once = normalise_input(text, kind)
    assert normalise_input(once, kind) == once
    assert once == once.strip()
    hidden = [char for char in once if unicodedata.category(char) in INVISIBLE_CATEGORIES]
    assert not hidden, f"{kind}: invisible characters kept: {[f'U+{ord(c):04X}' for c in hidden]}"


@fuzz(300)
@given(text=hostile_text)
def test_an_accepted_value_is_accepted_again_as_it_is_sent(text: str) -> None:
    """What the form shows back and sends (the normalised value) passes its own check unchanged."""
    for label, check in VALIDATORS:
        result = check(text)
        if not isinstance(result, Valid):
            continue
        value = result.value
        if isinstance(value, ResidentId):
            again = check(value.number)
        elif isinstance(value, Decimal):
            again = check(str(value))
            assert check(format_amount(value)) == Valid(value)
        else:
            again = check(value)
        assert again == Valid(value), (label, value, again)


# ---------------------------------------------------------------------------------------------------------
# Account and card numbers, IBAN, resident ID: generated valid numbers and one changed character

CARD_PREFIXES = ["62", "4", "51", "55", "2221", "2720", "35"]


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(CARD_PREFIXES))
    length = draw(st.integers(16, 19))
    size = length - 1 - len(prefix)
    payload = prefix + draw(st.text(alphabet=string.digits, min_size=size, max_size=size))
    return payload + luhn_check_digit(payload)


def _changed(value: str, position: int, alphabet: str, data: st.DataObject) -> str:
    replacement = data.draw(st.sampled_from([c for c in alphabet if c != value[position]]))
    return value[:position] + replacement + value[position + 1 :]


def _full_width(text: str) -> str:
    return "".join(chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char for char in text)


@fuzz(200)
@given(number=card_numbers(), data=st.data())
def test_valid_cards_are_accepted_however_typed_and_one_changed_digit_is_refused(
    number: str, data: st.DataObject
) -> None:
    typed = data.draw(
        st.sampled_from(
            [
                number,
                " ".join(number[i : i + 4] for i in range(0, len(number), 4)),
                _full_width(number),
                "\u200b" + number + "\u3000",
                "-".join(number[i : i + 4] for i in range(0, len(number), 4)),
            ]
        )
    )
    assert check_account(typed, PAYEE_ACCOUNT) == Valid(number)
    # Past the scheme prefix, so the changed number is still taken for a card and Luhn-checked.
    changed = _changed(number, data.draw(st.integers(4, len(number) - 1)), string.digits, data)
    result = check_account(changed, PAYEE_ACCOUNT)
    assert isinstance(result, FieldError), changed
    assert_field_error(result, PAYEE_ACCOUNT)


@fuzz(100)
@given(digits=st.text(alphabet=string.digits, min_size=1, max_size=40))
def test_plain_account_numbers_are_held_to_their_length(digits: str) -> None:
    result = check_account(digits, PAYER_ACCOUNT, allow_iban=False)
    if ACCOUNT_MIN_DIGITS <= len(digits) <= ACCOUNT_MAX_DIGITS and not is_card_number(digits):
        assert result == Valid(digits)
    elif not ACCOUNT_MIN_DIGITS <= len(digits) <= ACCOUNT_MAX_DIGITS:
        assert isinstance(result, FieldError)


def _iban_check_digits(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    remainder = int("".join(str(int(char, 36)) for char in rearranged)) % 97
    return f"{98 - remainder:02d}"


@st.composite
def ibans(draw: st.DrawFn) -> str:
    country = draw(st.sampled_from(sorted(IBAN_LENGTHS)))
    size = IBAN_LENGTHS[country] - 4
    bban = draw(st.text(alphabet=string.digits + string.ascii_uppercase, min_size=size, max_size=size))
    return country + _iban_check_digits(country, bban) + bban


@fuzz(200)
@given(iban=ibans(), data=st.data())
def test_valid_ibans_are_accepted_and_one_changed_character_is_refused(
    iban: str, data: st.DataObject
) -> None:
    spaced = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)).lower()
    assert check_account(data.draw(st.sampled_from([iban, spaced])), PAYEE_ACCOUNT) == Valid(iban)
    position = data.draw(st.integers(0, len(iban) - 1))
    # A digit for a digit, a letter for a letter: ISO 7064 mod 97-10 catches every such substitution
    # (a letter for a digit changes the length of the number it checks, which it does not promise to catch).
    alphabet = string.digits if iban[position].isdigit() else string.ascii_uppercase
    changed = _changed(iban, position, alphabet, data)
    result = check_account(changed, PAYEE_ACCOUNT)
    assert isinstance(result, FieldError), changed
    assert_field_error(result, PAYEE_ACCOUNT)


@st.composite
def resident_ids(draw: st.DrawFn) -> tuple[str, date]:
    region = draw(st.integers(110000, 659999))
    born = draw(st.dates(EARLIEST_BIRTH_DATE, TODAY))
    sequence = draw(st.integers(0, 999))
    first17 = f"{region:06d}{born:%Y%m%d}{sequence:03d}"
    return first17 + resident_id_check_char(first17), born


@fuzz(200)
@given(generated=resident_ids(), data=st.data())
def test_valid_resident_ids_are_accepted_with_their_birth_date_and_one_changed_character_is_refused(
    generated: tuple[str, date], data: st.DataObject
) -> None:
    number, born = generated
    typed = data.draw(
        st.sampled_from([number, number.lower(), _full_width(number), f" {number[:6]} {number[6:]}"])
    )
    assert check_resident_id(typed, today=TODAY) == Valid(ResidentId(number, born))
    position = data.draw(st.integers(0, 17))
    changed = _changed(number, position, string.digits + ("X" if position == 17 else ""), data)
    result = check_resident_id(changed, today=TODAY)
    assert isinstance(result, FieldError), changed
    assert_field_error(result, ID_NUMBER)


@fuzz(100)
@given(
    born=st.dates(date(1000, 1, 1), date(9999, 12, 31)).filter(
        lambda d: not EARLIEST_BIRTH_DATE <= d <= TODAY
    )
)
def test_birth_dates_outside_1900_to_today_are_refused_even_with_the_right_check_character(
    born: date,
) -> None:
    first17 = f"110105{born:%Y%m%d}123"
    result = check_resident_id(first17 + resident_id_check_char(first17), today=TODAY)
    assert isinstance(result, FieldError)
    assert_field_error(result, ID_NUMBER)


# ---------------------------------------------------------------------------------------------------------
# Amounts

amount_text = (
    hostile_text
    | st.decimals(allow_nan=True, allow_infinity=True).map(str)
    | st.floats().map(repr)
    | st.integers(-(10**30), 10**30).map(str)
    | st.sampled_from(["NaN", "-NaN", "sNaN", "inf", "-inf", "Infinity", "1e3", "1E+2", "0", "0.00", "-0.01",
                      "\u22121", "+5", "0x10", "1_000", "1" * 10_000, "1." + "0" * 10_000,
                      "9" * 10_000 + ".99"])
)  # fmt: skip


@fuzz(400)
@given(text=amount_text)
@example(text="1" * 10_000)
@example(text="5000000.001")
def test_amounts_are_never_nan_infinite_negative_over_the_limit_or_finer_than_a_cent(text: str) -> None:
    result = check_amount(text, LIMIT)
    if isinstance(result, FieldError):
        assert_field_error(result, AMOUNT)
        return
    amount = result.value
    assert isinstance(amount, Decimal)
    assert amount.is_finite()
    assert Decimal(0) < amount <= LIMIT
    assert amount.as_tuple().exponent == -2
    # What was typed had at most two decimals: nothing was rounded away.
    typed = unicodedata.normalize("NFKC", text).replace("\u3002", ".")
    digits_after_point = typed.rpartition(".")[2] if "." in typed else ""
    assert len("".join(c for c in digits_after_point if c.isdigit())) <= 2, text


@fuzz(200)
@given(cents=st.integers(1, int(LIMIT * 100)), style=st.sampled_from(["plain", "grouped", "full", "stop"]))
def test_every_amount_up_to_the_limit_is_accepted_exactly(cents: int, style: str) -> None:
    amount = Decimal(cents) / 100
    text = {
        "plain": f"{amount:.2f}",
        "grouped": f"{amount:,.2f}",
        "full": _full_width(f"{amount:.2f}"),
        "stop": f"{amount:.2f}".replace(".", "\u3002"),
    }[style]
    assert check_amount(text, LIMIT) == Valid(amount.quantize(Decimal("0.01")))


@fuzz(100)
@given(
    cents=st.integers(1, 10**20),
    extra=st.text(alphabet=string.digits, min_size=1, max_size=30).filter(lambda d: d.strip("0")),
)
def test_over_the_limit_or_three_decimals_is_refused(cents: int, extra: str) -> None:
    over = Decimal(int(LIMIT * 100) + cents) / 100
    assert isinstance(check_amount(f"{over:.2f}", LIMIT), FieldError)
    assert isinstance(check_amount(f"1.{extra.rjust(3, '0')}", LIMIT), FieldError)
    assert isinstance(check_amount(f"-{over:.2f}", LIMIT), FieldError)


# ---------------------------------------------------------------------------------------------------------
# Masking

ACCOUNT_LIKE = st.text(alphabet=string.digits, min_size=12, max_size=25)
# Characters that may stand next to a number in a log message: anything but ASCII letters and digits
# (a number glued to letters is part of a longer token such as a hex ID, and is left alone by design).
NEIGHBOUR = st.characters(exclude_characters=string.ascii_letters, exclude_categories=("Nd", "Cs"))
NO_DIGITS = st.text(st.characters(exclude_categories=("Nd", "Cs")))
LONG_DIGIT_RUN = re.compile(r"\d{5,}")


@fuzz(300)
@given(text=hostile_text | st.lists(ACCOUNT_LIKE | any_text, max_size=6).map(" ".join))
def test_masking_never_raises_and_is_idempotent(text: str) -> None:
    masked = mask_text(text)
    assert mask_text(masked) == masked
    for mask in (mask_account, mask_id_number, mask_name):
        assert isinstance(mask(text), str)


@fuzz(300)
@given(
    number=ACCOUNT_LIKE,
    separator=st.sampled_from(["", " ", "-"]),
    before=NEIGHBOUR,
    after=NEIGHBOUR,
    prefix=NO_DIGITS,
    suffix=NO_DIGITS,
)
def test_no_account_number_survives_masking_in_any_message(
    number: str, separator: str, before: str, after: str, prefix: str, suffix: str
) -> None:
    grouped = separator.join(number[i : i + 4] for i in range(0, len(number), 4))
    masked = mask_text(f"{prefix}{before}{grouped}{after}{suffix}")
    # Only the first and the last four digits stay readable.
    assert not LONG_DIGIT_RUN.search(masked.replace(" ", "").replace("-", "")), masked


@fuzz(100)
@given(
    number=st.builds(
        lambda body: body + resident_id_check_char(body),
        st.text(alphabet=string.digits, min_size=17, max_size=17),
    ),
    before=NEIGHBOUR,
    after=NEIGHBOUR,
)
def test_no_resident_id_survives_masking(number: str, before: str, after: str) -> None:
    masked = mask_text(f"{before}{number}{after}")
    assert not LONG_DIGIT_RUN.search(masked), masked


def test_the_birth_date_boundaries_of_the_generators() -> None:
    """The generators above reach both ends of the accepted birth dates (so the properties cover them)."""
    for born in (EARLIEST_BIRTH_DATE, TODAY, TODAY - timedelta(days=1)):
        first17 = f"110105{born:%Y%m%d}001"
        assert isinstance(check_resident_id(first17 + resident_id_check_char(first17), today=TODAY), Valid)


@pytest.mark.parametrize(
    ("text", "label", "check"),
    [
        ("张\x07三", PAYEE_NAME, lambda text: check_name(text, PAYEE_NAME)),
        ("CNY\u202eDSU", CURRENCY, check_currency),
        ("X" * 5000, CURRENCY, check_currency),
        ("银行\x00", PAYEE_BANK, check_bank_name),
    ],
)
def test_refusals_show_what_to_fix_in_visible_text(
    text: str, label: FieldLabel, check: Callable[[str], Checked[Any]]
) -> None:
    result = check(text)
    assert isinstance(result, FieldError), result
    assert_field_error(result, label)


@pytest.mark.parametrize("mark", ["\u202e", "\u200e", "\u2066", "\u2063", "\U000e0041", "\u180e"])
def test_invisible_marks_are_dropped_so_what_is_sent_is_what_the_teller_sees(mark: str) -> None:
    """Invisible marks are dropped, so what is sent is what the teller sees (found by the fuzz).

    Bidirectional marks, invisible operators and tags were kept and sent.

    A right-to-left override turns what a supervisor reads around, and a mark inside 安全账户 hides the
    phrase from the service's scam-phrase rules while the teller sees it unchanged.
    """
    assert check_name(f"张{mark}三", PAYEE_NAME) == Valid("张三")
    assert check_purpose(f"转到安{mark}全账户") == Valid("转到安全账户")
    assert check_account(f"6212 2602 {mark}0000 1234 562", PAYEE_ACCOUNT) == Valid("6212260200001234562")
