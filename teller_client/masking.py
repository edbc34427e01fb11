"""Masking of personal data for logs and screens: account numbers, ID numbers and names."""

import re

# 12-25 digits, possibly grouped by spaces or hyphens: account and card numbers.
_ACCOUNT = re.compile(r"(?<![\dA-Za-z])\d(?:[ -]?\d){11,24}(?![\dA-Za-z])")
# 18-character resident ID numbers (17 digits and a digit or X).
_RESIDENT_ID = re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])")


def mask_account(number: str) -> str:
    """6222 **** **** 1234: the first four and the last four digits stay readable."""
    digits = re.sub(r"[^\dA-Za-z]", "", number)
    if len(digits) <= 8:
        return "*" * len(digits)
    return f"{digits[:4]} **** **** {digits[-4:]}"


def mask_id_number(number: str) -> str:
    compact = number.replace(" ", "")
    if len(compact) <= 4:
        return "*" * len(compact)
    return compact[:1] + "*" * (len(compact) - 4) + compact[-3:]


def mask_name(name: str) -> str:
    """张** for 张建国; J*** S**** for John Smith."""
    name = name.strip()
    if not name:
        return ""
    if " " in name:
        return " ".join(mask_name(part) for part in name.split())
    return name[0] + "*" * (len(name) - 1)


def mask_text(text: str) -> str:
    """Mask every account or ID number found in free text (log messages, error details)."""
    text = _RESIDENT_ID.sub(lambda match: mask_id_number(match.group()), text)
    return _ACCOUNT.sub(lambda match: mask_account(match.group()), text)
