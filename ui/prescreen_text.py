"""The lobby pre-screen's answers in plain words, for the remittance form and the risk warning."""

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QObject

# Answers that point to a scam; shown with a warning mark.
RISKY_ANSWERS = {
    ("purpose", "safe_account_request"),
    ("purpose", "loan_or_fee"),
    ("purpose", "tax_or_fine"),
    ("who_asked", "caller_claiming_authority"),
    ("who_asked", "online_contact"),
    ("who_asked", "customer_service"),
    ("relationship_to_payee", "never_met"),
    ("relationship_to_payee", "unknown"),
    ("urgency", "immediately_or_threatened"),
    ("on_phone_now", True),
    ("told_to_keep_secret", True),
}


class PrescreenWording(QObject):
    """Translated texts for the answers; call lines() again after a language change."""

    def _choices(self) -> dict[str, dict[Any, str]]:
        yes_no = {True: self.tr("Yes"), False: self.tr("No")}
        return {
            "purpose": {
                "family_support": self.tr("Supporting family"),
                "rent_or_bills": self.tr("Rent or bills"),
                "purchase": self.tr("A purchase"),
                "investment": self.tr("An investment"),
                "loan_or_fee": self.tr("A loan, or a fee to get a loan"),
                "tax_or_fine": self.tr("A tax or a fine"),
                "safe_account_request": self.tr('Moving money to a "safe account" as asked'),
                "other": self.tr("Other"),
            },
            "who_asked": {
                "self": self.tr("Nobody: the customer's own decision"),
                "family": self.tr("A family member"),
                "friend": self.tr("A friend"),
                "employer": self.tr("The employer or a boss"),
                "caller_claiming_authority": self.tr(
                    "A caller claiming to be the police, a court or an official"
                ),
                "online_contact": self.tr("Someone met online"),
                "customer_service": self.tr("Someone claiming to be customer service"),
                "other": self.tr("Someone else"),
            },
            "relationship_to_payee": {
                "self": self.tr("The customer's own account"),
                "family": self.tr("Family"),
                "friend": self.tr("A friend"),
                "business": self.tr("A business contact"),
                "never_met": self.tr("Never met in person"),
                "unknown": self.tr("Does not know who it is"),
            },
            "urgency": {
                "none": self.tr("Not urgent"),
                "today": self.tr("Must be sent today"),
                "immediately_or_threatened": self.tr("Immediately, or under threat"),
            },
            "amount_band": {
                "under_10k": self.tr("Under 10,000"),
                "10k_to_50k": self.tr("10,000 to 50,000"),
                "50k_to_200k": self.tr("50,000 to 200,000"),
                "over_200k": self.tr("Over 200,000"),
            },
            "on_phone_now": yes_no,
            "told_to_keep_secret": yes_no,
            "first_time_payee": yes_no,
        }

    def _captions(self) -> dict[str, str]:
        return {
            "purpose": self.tr("Purpose: {value}"),
            "purpose_text": self.tr("In the customer's words: {value}"),
            "who_asked": self.tr("Who asked for the transfer: {value}"),
            "relationship_to_payee": self.tr("Relationship to the payee: {value}"),
            "urgency": self.tr("Urgency: {value}"),
            "on_phone_now": self.tr("On the phone with someone now: {value}"),
            "told_to_keep_secret": self.tr("Told to keep it secret: {value}"),
            "first_time_payee": self.tr("First payment to this payee: {value}"),
            "amount_band": self.tr("Amount (CNY): {value}"),
            "remarks": self.tr("Lobby manager's remarks: {value}"),
        }

    def title(self, prescreen: Mapping[str, Any]) -> str:
        return self.tr("Lobby pre-screen {code}").format(code=prescreen.get("code", ""))

    def lines(self, prescreen: Mapping[str, Any]) -> list[str]:
        """One line per answer, in the questionnaire's order; risky answers start with a warning mark."""
        answers = prescreen.get("answers") or {}
        choices = self._choices()
        lines = []
        for key, caption in self._captions().items():
            if key not in answers:
                continue
            value = answers[key]
            shown = choices.get(key, {}).get(value, str(value)) if key in choices else str(value)
            mark = "⚠ " if (key, value) in RISKY_ANSWERS else ""
            lines.append(mark + caption.format(value=shown))
        return lines

    def text(self, prescreen: Mapping[str, Any]) -> str:
        return "\n".join(self.lines(prescreen))
