"""The customer panel: identity from the ID document, and the face check (or its recorded alternative)."""

from datetime import date
from typing import Any

from PySide6.QtCore import QDate, QEvent, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from teller_client.settings import Settings
from teller_client.validation import (
    CUSTOMER_NAME,
    FieldError,
    check_document_number,
    check_name,
    check_resident_id,
)
from teller_client.workflow import Customer
from ui.face_panel import FacePanel
from ui.widgets import FieldRow

ID_TYPES = ("resident_id", "passport", "hk_macao_permit", "taiwan_permit", "foreign_permanent_resident")


class CustomerPanel(QGroupBox):
    sig_identity_confirmed = Signal(object)
    """The teller confirmed the customer's identity (a Customer)."""
    sig_alternative_check = Signal(str, str)
    """Identity verified another way: (FaceException value, how it was checked)."""

    def __init__(self, settings: Settings, language: str = "zh-CN", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.language = language
        self.id_type = QComboBox()
        self.id_type.setObjectName("idType")
        self.id_number = FieldRow(QLineEdit())
        self.id_number.editor.setObjectName("idNumber")
        self.customer_name = FieldRow(QLineEdit())
        self.customer_name.editor.setObjectName("customerName")
        self.birth_date_editor = QDateEdit()
        self.birth_date_editor.setObjectName("birthDate")
        self.birth_date_editor.setCalendarPopup(True)
        self.birth_date_editor.setDisplayFormat("yyyy-MM-dd")
        self.birth_date_editor.setDateRange(QDate(1900, 1, 1), QDate.currentDate())
        self.birth_date_editor.setDate(QDate(1980, 1, 1))
        self.birth_date = FieldRow(self.birth_date_editor)
        self.id_type_row = FieldRow(self.id_type)
        self.confirm_button = QPushButton()
        self.confirm_button.setObjectName("confirmIdentity")
        self.status = QLabel()
        self.status.setObjectName("identityStatus")
        self.status.setWordWrap(True)

        self.face = FacePanel(settings, language)
        self.face_box = self.face
        # The exception path lives in the face panel; these names keep the panel's API in one place.
        self.alternative = self.face.alternative
        self.alternative_button = self.face.alternative_button
        self.face_reason = self.face.exception_reason

        layout = QVBoxLayout(self)
        for row in (self.id_type_row, self.id_number, self.customer_name, self.birth_date):
            layout.addWidget(row)
        layout.addWidget(self.confirm_button)
        layout.addWidget(self.status)
        # The face panel is placed by the window in a column of its own (it needs the height).
        layout.addStretch(1)

        self._id_editor.textEdited.connect(self._id_number_edited)
        self.confirm_button.clicked.connect(self.confirm)
        self.face.sig_exception.connect(self.sig_alternative_check.emit)
        for editor in (self.id_number.editor, self.customer_name.editor):
            assert isinstance(editor, QLineEdit)
            editor.returnPressed.connect(self.confirm)
        self.retranslate()
        self.set_stage("identify")

    # ------------------------------------------------------------ behaviour

    @property
    def _id_editor(self) -> QLineEdit:
        editor = self.id_number.editor
        assert isinstance(editor, QLineEdit)
        return editor

    @property
    def _name_editor(self) -> QLineEdit:
        editor = self.customer_name.editor
        assert isinstance(editor, QLineEdit)
        return editor

    def _id_number_edited(self, text: str) -> None:
        # A complete resident ID fills the birth date, so the teller never types it twice.
        if self.id_type.currentData() == "resident_id" and len(text.strip()) >= 18:
            checked = check_resident_id(text)
            if not isinstance(checked, FieldError):
                born = checked.value.birth_date
                self.birth_date_editor.setDate(QDate(born.year, born.month, born.day))
            self._show(self.id_number, checked)
        elif self.id_number.has_error:
            self._show(self.id_number, None)

    def _show(self, row: FieldRow, checked: Any) -> None:
        row.set_error(checked.text(self.language) if isinstance(checked, FieldError) else None)

    def fill_from_card(self, name: str, id_number: str) -> None:
        """The ID card reader read the card: its fields replace typing (only before confirmation)."""
        if not self.confirm_button.isEnabled():
            return
        self.id_type.setCurrentIndex(0)
        self._id_editor.setText(id_number)
        self._id_number_edited(id_number)
        self._name_editor.setText(name)

    def customer(self) -> Customer | None:
        """Validate the identity fields; shows each error beside its field."""
        id_type = str(self.id_type.currentData())
        if id_type == "resident_id":
            checked_id: Any = check_resident_id(self._id_editor.text())
        else:
            checked_id = check_document_number(self._id_editor.text())
        checked_name = check_name(self._name_editor.text(), CUSTOMER_NAME)
        self._show(self.id_number, checked_id)
        self._show(self.customer_name, checked_name)
        qdate = self.birth_date_editor.date()
        birth_date = date(qdate.year(), qdate.month(), qdate.day())
        if isinstance(checked_id, FieldError) or isinstance(checked_name, FieldError):
            (self.id_number if isinstance(checked_id, FieldError) else self.customer_name).editor.setFocus()
            return None
        number = checked_id.value.number if id_type == "resident_id" else checked_id.value
        if id_type == "resident_id":
            birth_date = checked_id.value.birth_date
        return Customer(id_type, number, checked_name.value, birth_date)

    def confirm(self) -> None:
        customer = self.customer()
        if customer is not None:
            self.sig_identity_confirmed.emit(customer)

    def set_stage(self, stage: str) -> None:
        """identify: fields open; verify: identity fixed, face check open; done: all fixed."""
        identifying = stage == "identify"
        for widget in (
            self.id_type,
            self.id_number.editor,
            self.customer_name.editor,
            self.birth_date_editor,
        ):
            widget.setEnabled(identifying)
        self.confirm_button.setEnabled(identifying)
        self.face.setEnabled(stage == "verify")
        self.status.setText(
            {
                "identify": self.tr("Identity not yet confirmed."),
                "verify": self.tr(
                    "Identity confirmed. Verify the customer's face, or record the alternative check."
                ),
                "done": self.tr("Identity confirmed and verified."),
            }[stage]
        )
        self._stage = stage
        if identifying:
            self._id_editor.setFocus()

    def clear(self) -> None:
        for row in (self.id_number, self.customer_name):
            editor = row.editor
            assert isinstance(editor, QLineEdit)
            editor.clear()
            row.set_error(None)
        self.id_type.setCurrentIndex(0)
        self.birth_date_editor.setDate(QDate(1980, 1, 1))
        self.face.reset()
        self.set_stage("identify")

    def retranslate(self) -> None:
        self.setTitle(self.tr("Customer"))
        labels = {
            "resident_id": self.tr("Resident ID card"),
            "passport": self.tr("Passport"),
            "hk_macao_permit": self.tr("Mainland travel permit (HK/Macao)"),
            "taiwan_permit": self.tr("Mainland travel permit (Taiwan)"),
            "foreign_permanent_resident": self.tr("Foreign permanent resident ID"),
        }
        current = self.id_type.currentData()
        self.id_type.clear()
        for key in ID_TYPES:
            self.id_type.addItem(labels[key], key)
        if current is not None:
            self.id_type.setCurrentIndex(ID_TYPES.index(str(current)))
        self.id_type_row.set_caption(self.tr("ID &type"))
        self.id_number.set_caption(self.tr("ID &number"))
        self.customer_name.set_caption(self.tr("Customer &name"))
        self.birth_date.set_caption(self.tr("&Birth date"))
        self.confirm_button.setText(self.tr("&Confirm identity"))
        self.confirm_button.setAccessibleName(self.tr("Confirm identity"))
        if hasattr(self, "_stage"):
            self.set_stage(self._stage)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
