"""Counter form field checks: accepted values, refusals whose messages name the field and the fix."""

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from teller_client.validation import (
    ALLOWED_CURRENCIES,
    AMOUNT,
    CURRENCY,
    CUSTOMER_NAME,
    ID_NUMBER,
    PAYEE_ACCOUNT,
    PAYEE_NAME,
    PAYER_ACCOUNT,
    PURPOSE,
    Checked,
    FieldError,
    FieldLabel,
    ResidentId,
    Valid,
    check_account,
    check_amount,
    check_currency,
    check_name,
    check_purpose,
    check_resident_id,
    format_amount,
    iban_valid,
    is_card_number,
    luhn_check_digit,
    luhn_valid,
    normalise_input,
    resident_id_check_char,
)

T = TypeVar("T")

TODAY = date.today()
LIMIT = Decimal("50000.00")
LUHN_MESSAGE = {
    "zh-CN": "收款账号：卡号校验位不正确，请核对是否输错",
    "en": "Payee account: the card number's check digit is wrong: check for a typing error",
}


def valid(result: Checked[T]) -> T:
    assert isinstance(result, Valid), result
    return result.value


def refused(result: Checked[object], label: FieldLabel) -> FieldError:
    """The result is an error for `label`'s field whose messages name that field in both languages."""
    assert isinstance(result, FieldError), result
    assert result.field == label.key
    assert set(result.message) == {"zh-CN", "en"}
    assert result.message["zh-CN"].startswith(f"{label.zh_cn}：")
    assert result.message["en"].startswith(f"{label.en}: ")
    return result


# The tests compute check characters their own way (not with the module's helpers), so that an error in a
# helper cannot hide itself.


def card(payload: str) -> str:
    """`payload` and its Luhn digit: double every second digit from the right of payload + check digit."""
    total = 0
    for index, char in enumerate(reversed(payload)):
        doubled = int(char) * (2 if index % 2 == 0 else 1)
        total += doubled // 10 + doubled % 10
    return payload + str((10 - total % 10) % 10)


def resident_id(region: str, born: date, sequence: int) -> str:
    """ISO 7064 MOD 11-2 as GB 11643 states it: weights 2^(17-i) mod 11, check value (12 - sum) mod 11."""
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    total = sum(int(char) * pow(2, 17 - index, 11) for index, char in enumerate(first17))
    check = (12 - total % 11) % 11
    return first17 + ("X" if check == 10 else str(check))


# --- FieldError and normalisation ---------------------------------------------------------------------------


def test_field_error_needs_both_languages_and_is_read_only() -> None:
    with pytest.raises(ValueError, match="en"):
        FieldError("amount", {"zh-CN": "金额：请输入金额"})
    source = {"zh-CN": "金额：请输入金额", "en": "Amount: enter the amount"}
    error = FieldError("amount", source)
    source["en"] = "changed"
    assert error.message["en"] == "Amount: enter the amount"
    with pytest.raises(TypeError):
        error.message["en"] = "changed"  # type: ignore[index]
    assert error.text("en") == "Amount: enter the amount"
    assert error.text("fr") == "金额：请输入金额"


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("６２２２ ０２０２－００１１", "compact", "622202020011"),
        (" 6222-0202\u200b 0011\t", "compact", "622202020011"),
        ("gb82 west", "compact", "GB82WEST"),
        ("１１０１０５１９４９１２３１００２ｘ", "compact", "11010519491231002X"),
        ("  买买提 ・ 艾力 ", "name", "买买提·艾力"),
        ("买买提‧艾力", "name", "买买提·艾力"),
        ("张　三", "name", "张三"),
        ("  John   O’Neil ", "name", "John O'Neil"),
        ("Ｊｏｈｎ Ｓｍｉｔｈ", "name", "John Smith"),
        ("王 Li Na", "name", "王 Li Na"),
        ("  购房\n\n首付，  分期 ", "text", "购房 首付， 分期"),
    ],
)
def test_normalise_input(text: str, kind: str, expected: str) -> None:
    assert normalise_input(text, kind) == expected  # type: ignore[arg-type]


# --- Accounts, cards and IBANs ------------------------------------------------------------------------------

UNIONPAY_CARD = card("622202020011223344")  # the demo payer account's first 18 digits with a real check digit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (UNIONPAY_CARD, UNIONPAY_CARD),
        ("６２２２ ０２０２ ００１１ ２２３３ ４４６", "6222020200112233446"),
        ("6222-0202-0011-2233-446", "6222020200112233446"),
        ("4111 1111 1111 1111", "4111111111111111"),  # Visa
        ("5555555555554444", "5555555555554444"),  # Mastercard 51-55
        ("2221000000000009", "2221000000000009"),  # Mastercard 2-series
        ("3530111333300000", "3530111333300000"),  # JCB
        (card("621700004444555566"), card("621700004444555566")),
        ("110060149018000123", "110060149018000123"),  # 18-digit account, no card prefix: no Luhn
        ("123456789012", "123456789012"),  # 12 digits, the shortest account
        ("1" * 25, "1" * 25),  # 25 digits, the longest account
        ("622202020011223", "622202020011223"),  # 15 digits starting 62: an account, not a card
        ("62220202001122334455", "62220202001122334455"),  # 20 digits: too long for a card
    ],
)
def test_account_accepted(text: str, expected: str) -> None:
    assert valid(check_account(text, PAYEE_ACCOUNT)) == expected


def test_luhn_failure_names_the_field_and_the_fix() -> None:
    # The demo data's 6222020200112233445 fails the Luhn check, as no real UnionPay card does.
    error = refused(check_account("６２２２ ０２０２ ００１１ ２２３３ ４４５", PAYEE_ACCOUNT), PAYEE_ACCOUNT)
    assert dict(error.message) == LUHN_MESSAGE
    payer = refused(check_account("4111111111111112", PAYER_ACCOUNT), PAYER_ACCOUNT)
    assert payer.message["zh-CN"] == "付款账号：卡号校验位不正确，请核对是否输错"


@pytest.mark.parametrize(
    ("text", "zh_cn", "en"),
    [
        ("", "请输入账号", "enter the account number"),
        ("  ", "请输入账号", "enter the account number"),
        ("12345678901", "现为11位", "not 11: check for a missing or extra digit"),
        ("1" * 26, "现为26位", "not 26"),
        ("6222O20200112233446", "只能包含数字", "only digits"),  # a letter O for a zero
        ("622202020011223344.6", "只能包含数字", "only digits"),
        ("٦٢٢٢٠٢٠٢٠٠١١٢٢٣٣٤٤٦", "只能包含数字", "only digits"),  # Arabic-Indic digits are not NFKC-folded
    ],
)
def test_account_refused(text: str, zh_cn: str, en: str) -> None:
    error = refused(check_account(text, PAYEE_ACCOUNT), PAYEE_ACCOUNT)
    assert zh_cn in error.message["zh-CN"]
    assert en in error.message["en"]


@pytest.mark.parametrize(
    "iban",
    [
        "GB82WEST12345698765432",
        "DE89370400440532013000",
        "FR1420041010050500013M02606",
        "NL91ABNA0417164300",
        "CH9300762011623852957",
        "BE68539007547034",
        "NO9386011117947",
        "IT60X0542811101000000123456",
    ],
)
def test_iban_accepted(iban: str) -> None:
    assert valid(check_account(iban, PAYEE_ACCOUNT)) == iban
    spaced = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)).lower()
    assert valid(check_account(f" {spaced} ", PAYEE_ACCOUNT)) == iban


@pytest.mark.parametrize("iban", ["GB82WEST12345698765432", "DE89370400440532013000", "BE68539007547034"])
def test_iban_with_any_other_check_digits_fails(iban: str) -> None:
    for check in range(100):
        if f"{check:02d}" != iban[2:4]:
            assert not iban_valid(f"{iban[:2]}{check:02d}{iban[4:]}"), check


@pytest.mark.parametrize(
    ("text", "zh_cn", "en"),
    [
        ("GB82WEST12345698765433", "IBAN校验码不正确", "check digits do not match: check for a typing error"),
        ("DE89370400440532013001", "IBAN校验码不正确", "check digits do not match"),
        ("GB82WEST1234569876543", "GB的IBAN应为22位，现为21位", "a GB IBAN has 22 characters, not 21"),
        ("DE893704004405320130001", "DE的IBAN应为22位，现为23位", "a DE IBAN has 22 characters, not 23"),
        ("FR142004101005050001302606", "FR的IBAN应为27位，现为26位", "a FR IBAN has 27 characters"),
        ("HK12345678901234", "香港（HK）不使用IBAN", "Hong Kong (HK) does not use IBAN"),
        ("US12345678901234", "不使用IBAN", "does not use IBAN"),
        ("XY1234", "IBAN应为15至34位，现为6位", "an IBAN has 15 to 34 characters, not 6"),
        ("GB82WEST1234569876543_", "IBAN应为两个字母", "an IBAN is two letters, two check digits"),
        ("GBXXWEST12345698765432", "IBAN应为两个字母", "an IBAN is two letters, two check digits"),
    ],
)
def test_iban_refused(text: str, zh_cn: str, en: str) -> None:
    error = refused(check_account(text, PAYEE_ACCOUNT), PAYEE_ACCOUNT)
    assert zh_cn in error.message["zh-CN"]
    assert en in error.message["en"]


def test_iban_outside_the_length_table_is_held_to_mod_97() -> None:
    body = "BANK1234567890"
    check = 98 - int("".join(str(int(c, 36)) for c in body + "XY00")) % 97
    iban = f"XY{check:02d}{body}"
    assert iban_valid(iban)
    assert valid(check_account(iban, PAYEE_ACCOUNT)) == iban
    refused(check_account(iban[:-1] + "1", PAYEE_ACCOUNT), PAYEE_ACCOUNT)


def test_payer_account_can_refuse_ibans() -> None:
    error = refused(check_account("GB82WEST12345698765432", PAYER_ACCOUNT, allow_iban=False), PAYER_ACCOUNT)
    assert "只能填写数字" in error.message["zh-CN"]
    assert "digits only" in error.message["en"]


@pytest.mark.parametrize(
    ("digits", "expected"),
    [
        ("6222020200112233446", True),
        ("4000000000000002", True),
        ("5100000000000008", True),
        ("5600000000000000", False),  # 56 is not a Mastercard prefix
        ("2220999999999999", False),
        ("2221000000000000", True),
        ("2720999999999999", True),
        ("2721000000000000", False),
        ("3500000000000000", True),
        ("3400000000000000", False),
        ("622202020011223", False),  # 15 digits
        ("62220202001122334455", False),  # 20 digits
        ("62220202001122334X", False),
        ("", False),
    ],
)
def test_card_heuristic(digits: str, expected: bool) -> None:
    assert is_card_number(digits) is expected


# Hypothesis: Luhn over any digit string, and check_account on generated card numbers.

CARD_PREFIXES = ["62", "4", "51", "53", "55", "2221", "2500", "2720", "35"]


@settings(deadline=None)
@given(payload=st.text(alphabet="0123456789", min_size=1, max_size=30), data=st.data())
def test_luhn_detects_every_single_digit_change(payload: str, data: st.DataObject) -> None:
    number = card(payload)
    assert luhn_check_digit(payload) == number[-1]
    assert luhn_valid(number)
    position = data.draw(st.integers(0, len(number) - 1))
    replacement = data.draw(st.sampled_from([d for d in "0123456789" if d != number[position]]))
    changed = number[:position] + replacement + number[position + 1 :]
    assert not luhn_valid(changed)


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(CARD_PREFIXES))
    length = draw(st.integers(16, 19))
    middle = draw(
        st.text(alphabet="0123456789", min_size=length - 1 - len(prefix), max_size=length - 1 - len(prefix))
    )
    return card(prefix + middle)


@settings(deadline=None)
@given(number=card_numbers(), data=st.data())
def test_generated_cards_pass_and_one_changed_digit_fails(number: str, data: st.DataObject) -> None:
    assert is_card_number(number)
    assert valid(check_account(number, PAYEE_ACCOUNT)) == number
    spaced = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    assert valid(check_account(spaced, PAYEE_ACCOUNT)) == number
    position = data.draw(st.integers(0, len(number) - 1))
    replacement = data.draw(st.sampled_from([d for d in "0123456789" if d != number[position]]))
    changed = number[:position] + replacement + number[position + 1 :]
    result = check_account(changed, PAYEE_ACCOUNT)
    if is_card_number(changed):  # still a card (the prefix survived): the check digit gives it away
        assert dict(refused(result, PAYEE_ACCOUNT).message) == LUHN_MESSAGE
    else:  # the change turned the prefix into a plain account's, which carries no check digit
        assert valid(result) == changed


# --- Resident ID --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number", "born"),
    [
        ("11010519491231002X", "11010519491231002X", date(1949, 12, 31)),
        ("11010519491231002x", "11010519491231002X", date(1949, 12, 31)),
        ("１１０１０５ １９４９１２３１ ００２Ｘ", "11010519491231002X", date(1949, 12, 31)),
        ("110105-19491231-002X", "11010519491231002X", date(1949, 12, 31)),
        ("440524198001010013", "440524198001010013", date(1980, 1, 1)),
        (
            resident_id("650102", date(1900, 1, 1), 0),
            resident_id("650102", date(1900, 1, 1), 0),
            date(1900, 1, 1),
        ),
    ],
)
def test_resident_id_accepted(text: str, number: str, born: date) -> None:
    assert valid(check_resident_id(text)) == ResidentId(number, born)


def test_resident_id_check_char_matches_the_standard_examples() -> None:
    assert resident_id_check_char("11010519491231002") == "X"
    assert resident_id_check_char("44052418800101001") == "4"
    assert resident_id("110105", date(1949, 12, 31), 2) == "11010519491231002X"
    assert resident_id("440524", date(1880, 1, 1), 1) == "440524188001010014"
    with pytest.raises(ValueError, match="17 digits"):
        resident_id_check_char("1101051949123100")


@pytest.mark.parametrize(
    ("text", "zh_cn", "en"),
    [
        ("", "请输入身份证号码", "enter the 18-character number"),
        ("11010519491231002", "应为18位，现为17位", "must be 18 characters, not 17"),
        ("11010519491231002X1", "应为18位，现为19位", "not 19"),
        ("110105491231002", "15位的旧身份证号码已停用", "15-digit numbers are no longer in use"),
        ("1101051949123100XX", "前17位应为数字，最后一位为数字或X", "17 digits followed by a digit or X"),
        ("11010519491231002Y", "前17位应为数字", "17 digits followed by a digit or X"),
        ("110105194902300021", "出生日期不是有效日期", "is not a real date: check those digits"),
        ("110105194913010021", "出生日期不是有效日期", "is not a real date"),
        ("110105194912310021", "校验位不正确，请核对最后一位", "check the last character"),
        (resident_id("110105", date(1899, 12, 31), 2), "早于1900年", "before 1900"),
        ("440524188001010014", "早于1900年", "before 1900"),  # the example in GB 11643 itself
    ],
)
def test_resident_id_refused(text: str, zh_cn: str, en: str) -> None:
    error = refused(check_resident_id(text), ID_NUMBER)
    assert zh_cn in error.message["zh-CN"]
    assert en in error.message["en"]


def test_resident_id_birth_date_not_in_the_future() -> None:
    tomorrow = TODAY + timedelta(days=1)
    number = resident_id("110105", tomorrow, 123)
    error = refused(check_resident_id(number, today=TODAY), ID_NUMBER)
    assert "晚于今天" in error.message["zh-CN"]
    assert "in the future" in error.message["en"]
    assert valid(check_resident_id(number, today=tomorrow)).birth_date == tomorrow


@settings(deadline=None)
@given(
    region=st.integers(0, 999_999).map(lambda code: f"{code:06d}"),
    born=st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    sequence=st.integers(0, 999),
    data=st.data(),
)
def test_generated_resident_ids_pass_and_a_changed_check_char_fails(
    region: str, born: date, sequence: int, data: st.DataObject
) -> None:
    number = resident_id(region, born, sequence)
    assert valid(check_resident_id(number, today=TODAY)) == ResidentId(number, born)
    assert valid(check_resident_id(number.lower(), today=TODAY)) == ResidentId(number, born)
    wrong = data.draw(st.sampled_from([c for c in "0123456789X" if c != number[17]]))
    error = refused(check_resident_id(number[:17] + wrong, today=TODAY), ID_NUMBER)
    assert error.message["zh-CN"] == "身份证号码：校验位不正确，请核对最后一位及是否输错"


# --- Amount -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12500", Decimal("12500.00")),
        ("12,500.00", Decimal("12500.00")),
        ("１２，５００．５", Decimal("12500.50")),
        (" 12 500 ", Decimal("12500.00")),
        ("12。5", Decimal("12.50")),
        ("0.01", Decimal("0.01")),
        ("007", Decimal("7.00")),
        ("50000", Decimal("50000.00")),
        ("50,000.00", Decimal("50000.00")),
    ],
)
def test_amount_accepted(text: str, expected: Decimal) -> None:
    amount = valid(check_amount(text, LIMIT))
    assert amount == expected
    assert amount.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("text", "zh_cn", "en"),
    [
        ("", "请输入金额", "enter the amount"),
        ("0", "必须大于0", "must be more than 0"),
        ("0.00", "必须大于0", "must be more than 0"),
        ("-5", "请去掉负号", "remove the minus sign"),
        ("－5", "请去掉负号", "remove the minus sign"),
        ("−5", "请去掉负号", "remove the minus sign"),
        ("12.345", "最多两位小数", "at most 2 decimals"),
        ("12.500", "最多两位小数", "at most 2 decimals"),  # 12500 where "." groups thousands
        ("12,50", "千位分隔符", 'has a "," in the wrong place'),  # 12.50 where "," is the decimal mark
        ("1,2345.00", "千位分隔符", 'has a "," in the wrong place'),
        ("NaN", "格式不正确", "is not a number"),
        ("Infinity", "格式不正确", "is not a number"),
        ("inf", "格式不正确", "is not a number"),
        ("1e3", "格式不正确", "is not a number"),
        ("1E+3", "格式不正确", "is not a number"),
        ("+5", "格式不正确", "is not a number"),
        ("¥500", "格式不正确", "is not a number"),
        (".5", "格式不正确", "is not a number"),
        ("1.2.3", "格式不正确", "is not a number"),
        ("50000.01", "超过单笔上限 50,000.00", "over the single-transaction limit of 50,000.00"),
        ("9" * 40, "超过单笔上限", "over the single-transaction limit"),
    ],
)
def test_amount_refused(text: str, zh_cn: str, en: str) -> None:
    error = refused(check_amount(text, LIMIT), AMOUNT)
    assert zh_cn in error.message["zh-CN"]
    assert en in error.message["en"]


def test_amount_limit_is_the_callers() -> None:
    assert valid(check_amount("200,000", Decimal(200_000))) == Decimal("200000.00")
    refused(check_amount("200,000.01", Decimal(200_000)), AMOUNT)
    refused(check_amount("1000.01", Decimal(1000)), AMOUNT)
    for bad_limit in (Decimal(0), Decimal(-1), Decimal("NaN"), Decimal("Infinity")):
        with pytest.raises(ValueError, match="limit"):
            check_amount("1", bad_limit)


def test_format_amount() -> None:
    assert format_amount(Decimal("12500")) == "12,500.00"
    assert format_amount(Decimal("0.5")) == "0.50"


@st.composite
def limit_and_cents(draw: st.DrawFn) -> tuple[Decimal, int]:
    limit_cents = draw(st.integers(1, 10**14))
    return Decimal(limit_cents).scaleb(-2), draw(st.integers(1, limit_cents))


@settings(deadline=None)
@given(limit_and_amount=limit_and_cents(), separators=st.booleans())
def test_amounts_up_to_the_limit_with_two_places_round_trip(
    limit_and_amount: tuple[Decimal, int], separators: bool
) -> None:
    limit, cents = limit_and_amount
    amount = Decimal(cents).scaleb(-2)
    for form in (amount, amount.normalize()):  # "1200.50" and "1200.5", "100.00" and "100"
        text = f"{form:,f}" if separators else f"{form:f}"
        result = valid(check_amount(text, limit))
        assert result == amount
        assert result.as_tuple().exponent == -2
        assert format_amount(result) == f"{amount:,.2f}"


@settings(deadline=None)
@given(thousandths=st.integers(1, 10**15).filter(lambda n: n % 10 != 0))
def test_amounts_with_three_places_fail(thousandths: int) -> None:
    text = f"{Decimal(thousandths).scaleb(-3):f}"
    error = refused(check_amount(text, Decimal(10**13)), AMOUNT)
    assert "at most 2 decimals" in error.message["en"]


@settings(deadline=None)
@given(limit_and_amount=limit_and_cents(), over=st.integers(1, 10**6))
def test_amounts_over_the_limit_fail(limit_and_amount: tuple[Decimal, int], over: int) -> None:
    limit, _ = limit_and_amount
    text = f"{limit + Decimal(over).scaleb(-2):f}"
    error = refused(check_amount(text, limit), AMOUNT)
    assert format_amount(limit) in error.message["en"]


# --- Currency -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"), [("CNY", "CNY"), (" usd ", "USD"), ("ｅｕｒ", "EUR"), ("Hkd", "HKD")]
)
def test_currency_accepted(text: str, expected: str) -> None:
    assert valid(check_currency(text)) == expected


@pytest.mark.parametrize(
    ("text", "zh_cn", "en"),
    [
        ("", "请选择币种", "choose the currency"),
        ("RUB", "不支持“RUB”", '"RUB" is not accepted'),
        ("人民币", "不支持", "is not accepted"),
        ("US", "不支持", "not accepted"),
    ],
)
def test_currency_refused(text: str, zh_cn: str, en: str) -> None:
    error = refused(check_currency(text), CURRENCY)
    assert zh_cn in error.message["zh-CN"]
    assert en in error.message["en"]
    if text:
        assert all(code in error.message["en"] for code in ALLOWED_CURRENCIES)


# --- Names --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("王小明", "王小明"),
        (" 张 三 ", "张三"),
        ("买买提·艾力", "买买提·艾力"),
        ("买买提 • 艾力", "买买提·艾力"),
        ("阿依古丽・吐尔逊", "阿依古丽·吐尔逊"),
        ("José  María", "José María"),
        ("Mary-Jane O’Neil", "Mary-Jane O'Neil"),
        ("J. R. R. Tolkien", "J. R. R. Tolkien"),
        ("Nguyễn Văn An", "Nguyễn Văn An"),
        ("Ｌｉ Ｎａ", "Li Na"),
        ("李", "李"),
        ("龘" * 50, "龘" * 50),
    ],
)
def test_name_accepted(text: str, expected: str) -> None:
    assert valid(check_name(text, PAYEE_NAME)) == expected


@pytest.mark.parametrize(
    ("text", "zh_cn", "en"),
    [
        ("", "请输入姓名", "enter the name"),
        ("   ", "请输入姓名", "enter the name"),
        ("王小明2", "不能包含数字", "may not contain digits"),
        ("王小明２", "不能包含数字", "may not contain digits"),
        ("张" * 51, "不能超过50个字，现为51个字", "at most 50 characters, not 51"),
        ("Smith, John", "不能包含“,”", 'may not contain ","'),
        ("王小明@", "不能包含“@”", 'may not contain "@"'),
        ("王小明（收）", "不能包含“(”", 'may not contain "("'),
        ("·艾力", "应以文字开头", "must start with a letter"),
        ("-Li", "应以文字开头", "must start with a letter"),
    ],
)
def test_name_refused(text: str, zh_cn: str, en: str) -> None:
    error = refused(check_name(text, CUSTOMER_NAME), CUSTOMER_NAME)
    assert zh_cn in error.message["zh-CN"]
    assert en in error.message["en"]


# --- Purpose ------------------------------------------------------------------------------------------------


def test_purpose() -> None:
    assert valid(check_purpose("  购房首付 ")) == "购房首付"
    assert valid(check_purpose("货款\n\n第二期")) == "货款 第二期"
    assert valid(check_purpose("学费")) == "学费"
    assert valid(check_purpose("款" * 200)) == "款" * 200
    assert valid(check_purpose("款" * 20, max_length=20)) == "款" * 20


@pytest.mark.parametrize(
    ("text", "max_length", "zh_cn", "en"),
    [
        ("", 200, "请填写，至少2个字", "enter what the payment is for (at least 2 characters)"),
        (" 款 ", 200, "至少2个字", "at least 2 characters"),
        ("款" * 201, 200, "不能超过200个字，现为201个字", "at most 200 characters, not 201: shorten it"),
        ("款" * 21, 20, "不能超过20个字，现为21个字", "at most 20 characters, not 21"),
        ("货款\x00", 200, "控制字符", "control characters"),
    ],
)
def test_purpose_refused(text: str, max_length: int, zh_cn: str, en: str) -> None:
    error = refused(check_purpose(text, max_length=max_length), PURPOSE)
    assert zh_cn in error.message["zh-CN"]
    assert en in error.message["en"]


# --- Every check: field named in both languages, no exception on any input ----------------------------------

OTHER_FIELD = FieldLabel("beneficiary", "受益人", "Beneficiary")

CHECKS: list[tuple[Callable[[str], Checked[object]], FieldLabel]] = [
    (lambda text: check_account(text, PAYER_ACCOUNT), PAYER_ACCOUNT),
    (lambda text: check_account(text, PAYEE_ACCOUNT), PAYEE_ACCOUNT),
    (lambda text: check_name(text, PAYEE_NAME), PAYEE_NAME),
    (lambda text: check_name(text, OTHER_FIELD), OTHER_FIELD),
    (check_resident_id, ID_NUMBER),
    (lambda text: check_resident_id(text, OTHER_FIELD), OTHER_FIELD),
    (lambda text: check_amount(text, LIMIT), AMOUNT),
    (check_currency, CURRENCY),
    (check_purpose, PURPOSE),
]


@pytest.mark.parametrize(("check", "label"), CHECKS)
@pytest.mark.parametrize("text", ["", "x", "!!!", "１２３"])
def test_every_refusal_names_its_field(
    check: Callable[[str], Checked[object]], label: FieldLabel, text: str
) -> None:
    result = check(text)
    if isinstance(result, FieldError):
        refused(result, label)


def test_labels_are_the_ui_words() -> None:
    assert (PAYEE_ACCOUNT.zh_cn, PAYEE_ACCOUNT.en) == ("收款账号", "Payee account")
    assert (PAYER_ACCOUNT.zh_cn, PAYER_ACCOUNT.en) == ("付款账号", "Payer account")
    assert ID_NUMBER.key == "customer.id_number"


@settings(deadline=None)
@given(text=st.text(max_size=80))
def test_no_input_raises(text: str) -> None:
    for check, label in CHECKS:
        result = check(text)
        if isinstance(result, FieldError):
            refused(result, label)
        else:
            assert isinstance(result, Valid)
