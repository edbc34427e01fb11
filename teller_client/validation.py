"""Counter form field checks with zh-CN and English messages that name the field and say the fix."""

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Generic, Literal, TypeAlias, TypeVar

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

LANGUAGES = ("zh-CN", "en")


@dataclass(frozen=True)
class FieldLabel:
    """A form field: `key` is the screening API's field name, the labels are the UI's words for it."""

    key: str
    zh_cn: str
    en: str


PAYER_ACCOUNT = FieldLabel("payer_account", "付款账号", "Payer account")
PAYEE_ACCOUNT = FieldLabel("payee_account", "收款账号", "Payee account")
PAYEE_NAME = FieldLabel("payee_name", "收款人姓名", "Payee name")
CUSTOMER_NAME = FieldLabel("customer.name", "客户姓名", "Customer name")
ID_NUMBER = FieldLabel("customer.id_number", "身份证号码", "Resident ID number")
AMOUNT = FieldLabel("amount", "金额", "Amount")
CURRENCY = FieldLabel("currency", "币种", "Currency")
PURPOSE = FieldLabel("purpose", "用途", "Purpose")


@dataclass(frozen=True)
class FieldError:
    """Why a field was refused: `message` has "zh-CN" and "en" texts, each naming the field and the fix."""

    field: str
    message: Mapping[str, str]

    def __post_init__(self) -> None:
        missing = [language for language in LANGUAGES if not self.message.get(language)]
        if missing:
            raise ValueError(f"FieldError for {self.field} lacks a message in {', '.join(missing)}")
        object.__setattr__(self, "message", MappingProxyType(dict(self.message)))

    def text(self, language: str) -> str:
        """The message in `language`, or in zh-CN when that language has none."""
        return self.message.get(language) or self.message["zh-CN"]


@dataclass(frozen=True)
class Valid(Generic[T_co]):
    """An accepted field: `value` is the normalised value to send and to show back in the form."""

    value: T_co


Checked: TypeAlias = Valid[T] | FieldError
"""Every check returns `Valid(value)` or a `FieldError`: narrow with isinstance or `match`."""


@dataclass(frozen=True)
class ResidentId:
    """An accepted resident ID number and the birth date it contains (for filling the birth date field)."""

    number: str
    birth_date: date


def _error(field: FieldLabel, zh_cn: str, en: str) -> FieldError:
    return FieldError(field.key, {"zh-CN": f"{field.zh_cn}：{zh_cn}", "en": f"{field.en}: {en}"})


# ---------------------------------------------------------------------------------------------------------
# Normalisation

InputKind = Literal["compact", "name", "text"]


def _drop_invisible(text: str) -> str:
    """Without format characters (Unicode category Cf): zero-width spaces and joiners, the soft hyphen, the
    byte order mark, bidirectional marks and overrides, invisible operators, tags. None is visible, yet each
    would change what is sent (a phrase split by an invisible mark) or how it reads (text turned around).
    """
    return "".join(char for char in text if unicodedata.category(char) != "Cf")


def clean_free_text(text: str) -> str:
    """A note or an answer as sent: without invisible format characters and without control characters
    other than line breaks and tabs (pasted text can carry them; the service refuses them), trimmed.
    """
    kept = (char for char in _drop_invisible(text) if char in "\r\n\t" or unicodedata.category(char) != "Cc")
    return "".join(kept).strip()


def _shown(text: str, limit: int = 20) -> str:
    """Typed text quoted in a message: invisible characters spelled out as U+XXXX, at most `limit` shown."""
    shown = "".join(char if char.isprintable() else f"U+{ord(char):04X}" for char in text[: limit + 1])
    return shown[:limit] + "…" if len(shown) > limit else shown


_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_COMPACT_REMOVE = re.compile(f"[\\s{re.escape(_DASHES)}]+")
_NAME_DOTS = re.compile("\\s*[\u00b7\u2027\u2022\u2219\u30fb\u22c5\u0387]\\s*")
_APOSTROPHES = re.compile("[\u2018\u2019\u02bc\u0060\u00b4]")
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_SPACE_BETWEEN_CJK = re.compile(f"(?<=[{_CJK}]) (?=[{_CJK}])")
_SPACE_RUN = re.compile(r"\s+")


def normalise_input(text: str, kind: InputKind = "compact") -> str:
    """Undo what tellers' keyboards and input methods add, without judging the value.

    All kinds drop invisible format characters (zero-width spaces, soft hyphens, bidirectional marks) and
    trim the ends.
    - "compact" (account, card, ID numbers, currency codes, amounts): NFKC, so full-width digits and letters
      become ASCII; every space and hyphen/dash removed; upper-cased (IBAN letters, the ID's final X).
    - "name": NFKC; runs of spaces collapsed to one; middle-dot look-alikes (・ ‧ • ∙) become ·,
      with no spaces around it (买买提 · 艾力 -> 买买提·艾力); a space between two Chinese characters
      is dropped (张 三 -> 张三); curly apostrophes become '.
    - "text" (free text such as the purpose): runs of white space, including line breaks, collapsed to one
      space; no NFKC, so the teller's full-width Chinese punctuation is kept as typed.
    """
    cleaned = _drop_invisible(text)
    if kind == "text":
        return _SPACE_RUN.sub(" ", cleaned).strip()
    cleaned = unicodedata.normalize("NFKC", cleaned)
    if kind == "compact":
        # NFKC again: taking out a space or upper-casing can put a letter next to a combining mark it
        # composes with ("a \u0301" -> "A\u0301" -> "Á"), and a value must read the same when checked again.
        return unicodedata.normalize("NFKC", _COMPACT_REMOVE.sub("", cleaned).upper())
    cleaned = _SPACE_RUN.sub(" ", cleaned).strip()
    cleaned = _NAME_DOTS.sub("\u00b7", cleaned)
    cleaned = _APOSTROPHES.sub("'", cleaned)
    return _SPACE_BETWEEN_CJK.sub("", cleaned)


# ---------------------------------------------------------------------------------------------------------
# Account and card numbers, IBAN

ACCOUNT_MIN_DIGITS = 12
ACCOUNT_MAX_DIGITS = 25

_DIGITS = re.compile(r"[0-9]+")
_IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}")
_STARTS_WITH_LETTERS = re.compile(r"[A-Z]{2}")

# IBAN lengths from the SWIFT IBAN registry for the countries a branch sees most; an IBAN from a country not
# listed here is held to the general 15 to 34 characters.
IBAN_LENGTHS: Mapping[str, int] = MappingProxyType(
    {
        "AD": 24, "AE": 23, "AT": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29, "CH": 21, "CY": 28, "CZ": 24,
        "DE": 22, "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28,
        "IE": 22, "IL": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LI": 21, "LT": 20, "LU": 20,
        "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PT": 25, "QA": 29, "RO": 24,
        "SA": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TR": 26, "UA": 29,
    }
)  # fmt: skip

# Countries and regions payees often come from that do not use IBAN: a "number" starting with these letters is
# a mistake worth explaining.
_NO_IBAN: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "CN": ("中国内地", "Mainland China"),
        "HK": ("香港", "Hong Kong"),
        "MO": ("澳门", "Macao"),
        "TW": ("台湾", "Taiwan"),
        "US": ("美国", "the United States"),
        "CA": ("加拿大", "Canada"),
        "AU": ("澳大利亚", "Australia"),
        "NZ": ("新西兰", "New Zealand"),
        "JP": ("日本", "Japan"),
        "KR": ("韩国", "South Korea"),
        "SG": ("新加坡", "Singapore"),
        "IN": ("印度", "India"),
        "MY": ("马来西亚", "Malaysia"),
        "TH": ("泰国", "Thailand"),
    }
)


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check over an ASCII digit string, check digit last."""
    if not _DIGITS.fullmatch(digits):
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - ord("0")
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def luhn_check_digit(payload: str) -> str:
    """The digit that makes `payload` + digit pass the Luhn check."""
    for candidate in "0123456789":
        if luhn_valid(payload + candidate):
            return candidate
    raise ValueError(f"not a digit string: {payload!r}")


def is_card_number(digits: str) -> bool:
    """Whether a digit string is taken for a payment card number, whose last digit is a Luhn check digit.

    A heuristic, because account numbers without a card are not Luhn-checked and may be as long as a card:
    16 to 19 digits starting with a card scheme's prefix: UnionPay 62, Visa 4, Mastercard 51-55 and
    2221-2720, JCB 35. Other numbers (for example a 17-digit company account starting with 1 or 3) are taken
    for plain account numbers and only their length is checked.
    """
    if not (16 <= len(digits) <= 19 and _DIGITS.fullmatch(digits)):
        return False
    if digits.startswith(("62", "4", "35")):
        return True
    return 51 <= int(digits[:2]) <= 55 or 2221 <= int(digits[:4]) <= 2720


def iban_valid(iban: str) -> bool:
    """ISO 13616 mod-97 check on a compact, upper-case IBAN (no country length check)."""
    if not _IBAN_SHAPE.fullmatch(iban):
        return False
    rearranged = iban[4:] + iban[:4]
    as_number = "".join(str(int(char, 36)) for char in rearranged)
    return int(as_number) % 97 == 1


def check_account(text: str, field: FieldLabel, *, allow_iban: bool = True) -> Checked[str]:
    """A Chinese account or card number (12 to 25 digits, Luhn when `is_card_number`), or an IBAN.

    Full-width characters, spaces and hyphens are normalised away and IBAN letters upper-cased; the value is
    the compact number. Pass `allow_iban=False` for the payer's own (domestic) account.
    """
    number = normalise_input(text, "compact")
    if not number:
        return _error(field, "请输入账号", "enter the account number")
    if _STARTS_WITH_LETTERS.match(number):
        if not allow_iban:
            return _error(field, "只能填写数字，请核对", "must be digits only: check the number")
        return _check_iban(number, field)
    if not _DIGITS.fullmatch(number):
        return _error(
            field,
            "只能包含数字（境外收款人可填写IBAN），请删去其他字符",
            "may contain only digits (or an IBAN for an international payee): remove the other characters",
        )
    if not ACCOUNT_MIN_DIGITS <= len(number) <= ACCOUNT_MAX_DIGITS:
        return _error(
            field,
            f"应为{ACCOUNT_MIN_DIGITS}至{ACCOUNT_MAX_DIGITS}位数字，现为{len(number)}位，请核对是否漏输或多输",
            f"must be {ACCOUNT_MIN_DIGITS} to {ACCOUNT_MAX_DIGITS} digits, not {len(number)}: "
            "check for a missing or extra digit",
        )
    if is_card_number(number) and not luhn_valid(number):
        return _error(
            field,
            "卡号校验位不正确，请核对是否输错",
            "the card number's check digit is wrong: check for a typing error",
        )
    return Valid(number)


def _check_iban(iban: str, field: FieldLabel) -> Checked[str]:
    country = iban[:2]
    if country in _NO_IBAN:
        zh_name, en_name = _NO_IBAN[country]
        return _error(
            field,
            f"{zh_name}（{country}）不使用IBAN，请填写收款银行提供的账号数字",
            f"{en_name} ({country}) does not use IBAN: enter the account number digits the payee's bank gave",
        )
    if not _IBAN_SHAPE.fullmatch(iban):
        return _error(
            field,
            "IBAN应为两个字母、两位校验数字，再接字母和数字，请删去其他字符",
            "an IBAN is two letters, two check digits, then letters and digits: remove any other characters",
        )
    expected = IBAN_LENGTHS.get(country)
    if expected is not None and len(iban) != expected:
        return _error(
            field,
            f"{country}的IBAN应为{expected}位，现为{len(iban)}位，请核对是否漏输或多输",
            f"a {country} IBAN has {expected} characters, not {len(iban)}: check for a missing or extra one",
        )
    if expected is None and not 15 <= len(iban) <= 34:
        return _error(
            field,
            f"IBAN应为15至34位，现为{len(iban)}位，请核对是否漏输或多输",
            f"an IBAN has 15 to 34 characters, not {len(iban)}: check for a missing or extra one",
        )
    if not iban_valid(iban):
        return _error(
            field,
            "IBAN校验码不正确，请核对是否输错",
            "the IBAN's check digits do not match: check for a typing error",
        )
    return Valid(iban)


# ---------------------------------------------------------------------------------------------------------
# Resident ID (GB 11643-1999)

_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
EARLIEST_BIRTH_DATE = date(1900, 1, 1)


def resident_id_check_char(first17: str) -> str:
    """The GB 11643 ISO 7064 MOD 11-2 check character for the first 17 digits of a resident ID."""
    if not re.fullmatch(r"[0-9]{17}", first17):
        raise ValueError(f"not 17 digits: {first17!r}")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def check_resident_id(
    text: str, field: FieldLabel = ID_NUMBER, *, today: date | None = None
) -> Checked[ResidentId]:
    """An 18-character resident ID: 17 digits and a check digit or X (x accepted), a real birth date from
    1900-01-01 to `today` (default: the local date), and the right check character.

    The region code (first 6 digits) is not checked against a code list, which changes over the years.
    """
    number = normalise_input(text, "compact")
    if not number:
        return _error(field, "请输入身份证号码", "enter the 18-character number from the ID card")
    if len(number) == 15 and _DIGITS.fullmatch(number):
        return _error(
            field,
            "15位的旧身份证号码已停用，请填写18位号码",
            "15-digit numbers are no longer in use: enter the 18-character number",
        )
    if len(number) != 18:
        return _error(
            field,
            f"应为18位，现为{len(number)}位，请核对是否漏输或多输",
            f"must be 18 characters, not {len(number)}: check for a missing or extra character",
        )
    if not _ID_SHAPE.fullmatch(number):
        return _error(
            field,
            "前17位应为数字，最后一位为数字或X，请核对",
            "must be 17 digits followed by a digit or X: check the number against the ID card",
        )
    try:
        birth_date = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return _error(
            field,
            "第7至14位的出生日期不是有效日期，请核对",
            "the birth date in characters 7 to 14 is not a real date: check those digits",
        )
    if birth_date > (today or date.today()):
        return _error(
            field,
            "第7至14位的出生日期晚于今天，请核对",
            "the birth date in characters 7 to 14 is in the future: check those digits",
        )
    if birth_date < EARLIEST_BIRTH_DATE:
        return _error(
            field,
            "第7至14位的出生日期早于1900年，请核对",
            "the birth date in characters 7 to 14 is before 1900: check those digits",
        )
    if resident_id_check_char(number[:17]) != number[17]:
        return _error(
            field,
            "校验位不正确，请核对最后一位及是否输错",
            "the check character is wrong: check the last character and look for a typing error",
        )
    return Valid(ResidentId(number, birth_date))


# ---------------------------------------------------------------------------------------------------------
# Amount and currency

_AMOUNT_SHAPE = re.compile(r"(?P<whole>[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.(?P<fraction>[0-9]+))?")
_CENT = Decimal("0.01")


def format_amount(amount: Decimal) -> str:
    """An amount as the counter shows it: thousands separators and two decimals ("12,500.00")."""
    return f"{amount.quantize(_CENT):,}"


def check_amount(text: str, limit: Decimal, field: FieldLabel = AMOUNT) -> Checked[Decimal]:
    """A positive amount with at most 2 decimals, at most `limit`; the value is quantized to 0.01.

    Full-width digits, stray spaces, "," thousands separators in the right places and the Chinese full stop
    "。" as the decimal point are accepted. Signs, exponents, NaN and Infinity are refused; so are "12,50" and
    "12.500", which in some countries mean 12.50 and 12500 and so are ambiguous.
    """
    if not limit.is_finite() or limit <= 0:
        raise ValueError(f"the amount limit must be a positive number, not {limit}")
    # Not the "compact" normalisation: that removes hyphens, and a minus sign must not vanish.
    amount_text = unicodedata.normalize("NFKC", _drop_invisible(text))
    amount_text = _SPACE_RUN.sub("", amount_text).replace("。", ".")
    if not amount_text:
        return _error(field, "请输入金额", "enter the amount")
    if amount_text.startswith(tuple(_DASHES)):
        return _error(field, "必须大于0，请去掉负号", "must be more than 0: remove the minus sign")
    shape = _AMOUNT_SHAPE.fullmatch(amount_text)
    if shape is None and "," in amount_text and re.fullmatch(r"[0-9,]+(?:\.[0-9]*)?", amount_text):
        return _error(
            field,
            "千位分隔符“,”位置不正确，小数请用小数点，例如 12,500.00",
            'has a "," in the wrong place: use "," only between groups of three digits and "." for '
            'decimals, for example "12,500.00"',
        )
    if shape is None:
        return _error(
            field,
            "格式不正确，只能填写数字和小数点，例如 12500.00 或 12,500.00",
            'is not a number: use digits and a decimal point, for example "12500.00" or "12,500.00"',
        )
    fraction = shape.group("fraction") or ""
    if len(fraction) > 2:
        return _error(
            field,
            "最多两位小数（精确到分），请核对小数点位置",
            "may have at most 2 decimals (to the cent): check the decimal point",
        )
    try:
        amount = Decimal(shape.group("whole").replace(",", "") + "." + (fraction or "0"))
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain decimals
        return _error(field, "格式不正确", "is not a number")
    if amount <= 0:
        return _error(field, "必须大于0", "must be more than 0")
    if amount > limit:
        return _error(
            field,
            f"超过单笔上限 {format_amount(limit)}，请核对金额或分笔办理",
            f"is over the single-transaction limit of {format_amount(limit)}: check the amount",
        )
    return Valid(amount.quantize(_CENT))


ALLOWED_CURRENCIES = ("CNY", "USD", "EUR", "HKD", "GBP", "JPY")


def check_currency(text: str, field: FieldLabel = CURRENCY) -> Checked[str]:
    """An ISO 4217 code from `ALLOWED_CURRENCIES`; lower case and full-width letters are accepted."""
    code = normalise_input(text, "compact")
    if not code:
        return _error(field, "请选择币种", "choose the currency")
    if code not in ALLOWED_CURRENCIES:
        allowed = "、".join(ALLOWED_CURRENCIES)
        return _error(
            field,
            f"不支持“{_shown(code)}”，请选择 {allowed} 之一",
            f'"{_shown(code)}" is not accepted: choose one of {", ".join(ALLOWED_CURRENCIES)}',
        )
    return Valid(code)


# ---------------------------------------------------------------------------------------------------------
# Names and free text

NAME_MAX_LENGTH = 50
_NAME_PUNCTUATION = frozenset("\u00b7 '-.")


def check_name(text: str, field: FieldLabel) -> Checked[str]:
    """A person's name: 1 to 50 characters of letters (Chinese, Latin with accents, other scripts), the middle
    dot ·, spaces, apostrophes, hyphens and full stops, starting with a letter; no digits.

    The value is normalised with `normalise_input(text, "name")`.
    """
    name = normalise_input(text, "name")
    if not name:
        return _error(field, "请输入姓名", "enter the name")
    if len(name) > NAME_MAX_LENGTH:
        return _error(
            field,
            f"不能超过{NAME_MAX_LENGTH}个字，现为{len(name)}个字，请核对",
            f"may have at most {NAME_MAX_LENGTH} characters, not {len(name)}: check the name",
        )
    if any(unicodedata.category(char) == "Nd" for char in name):
        return _error(field, "不能包含数字，请删去数字", "may not contain digits: remove them")
    for char in name:
        category = unicodedata.category(char)
        if not (category.startswith(("L", "M")) or char in _NAME_PUNCTUATION):
            return _error(
                field,
                f"不能包含“{_shown(char)}”，只能填写文字、间隔号·、空格、撇号、连字符和点",
                f'may not contain "{_shown(char)}": use letters, the middle dot ·, spaces, apostrophes, '
                "hyphens and full stops",
            )
    if not unicodedata.category(name[0]).startswith("L"):
        return _error(
            field, "应以文字开头，请删去开头的符号", "must start with a letter: remove the leading mark"
        )
    return Valid(name)


PURPOSE_MIN_LENGTH = 2


def check_purpose(text: str, max_length: int = 200, field: FieldLabel = PURPOSE) -> Checked[str]:
    """The purpose of the payment: required, 2 to `max_length` characters after white space is tidied."""
    purpose = normalise_input(text, "text")
    if len(purpose) < PURPOSE_MIN_LENGTH:
        return _error(
            field,
            f"请填写，至少{PURPOSE_MIN_LENGTH}个字",
            f"enter what the payment is for (at least {PURPOSE_MIN_LENGTH} characters)",
        )
    if len(purpose) > max_length:
        return _error(
            field,
            f"不能超过{max_length}个字，现为{len(purpose)}个字，请精简",
            f"may have at most {max_length} characters, not {len(purpose)}: shorten it",
        )
    if any(unicodedata.category(char) == "Cc" for char in purpose):
        return _error(
            field, "含有不可见的控制字符，请重新输入", "contains invisible control characters: retype it"
        )
    return Valid(purpose)


PAYEE_BANK = FieldLabel("payee_bank", "收款银行", "Payee bank")
DOCUMENT_NUMBER = FieldLabel("customer.id_number", "证件号码", "Document number")
_DOCUMENT = re.compile(r"^[A-Z0-9]{5,40}$")


def check_bank_name(text: str, field: FieldLabel = PAYEE_BANK) -> Checked[str]:
    """The payee's bank as the customer names it: required, at most 100 characters."""
    bank = normalise_input(text, "text")
    if len(bank) < 2:
        return _error(field, "请填写收款银行名称", "enter the payee's bank")
    if len(bank) > 100:
        return _error(field, "不能超过100个字，请精简", "may have at most 100 characters: shorten it")
    if any(unicodedata.category(char) == "Cc" for char in bank):
        return _error(
            field, "含有不可见的控制字符，请重新输入", "contains invisible control characters: retype it"
        )
    return Valid(bank)


def check_document_number(text: str, field: FieldLabel = DOCUMENT_NUMBER) -> Checked[str]:
    """Passports and permits: 5 to 40 letters and digits (the resident ID has its own check)."""
    number = normalise_input(text)
    if not _DOCUMENT.fullmatch(number):
        return _error(
            field,
            "应为5至40位字母或数字，请按证件核对",
            "must be 5 to 40 letters and digits: copy it from the document",
        )
    return Valid(number)
