"""The face-verification panel: consent, reference photo, live preview with the instruction, result.

The camera and the analysis run on worker threads (teller_client.face); this panel only draws the
freshest frame ~30 times a second and shows the latest progress. Images exist only in memory and
are dropped when the customer's session ends.
"""

import logging
import random
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from teller_client.face.analysis import FaceAnalyzer, FaceBox, guidance
from teller_client.face.camera import CameraError, CameraWorker, parse_source
from teller_client.face.id_reader import IdCardRead, IdReaderError, read_reference_file
from teller_client.face.matching import MatchOutcome
from teller_client.face.verification import FaceVerification, Progress, Stage, VerificationRunner
from teller_client.settings import Settings
from teller_client.workflow import FaceException, FaceSummary
from ui.tasks import run_in_background
from ui.widgets import DECISION_COLOURS, FieldRow

log = logging.getLogger("counterguard.ui.face")

PREVIEW_INTERVAL_MS = 33
PREVIEW_SIZE = (320, 240)
# The preview keeps 4:3 in whatever width the column gives it.
THUMB_SIZE = 96


def to_pixmap(image: Any, width: int, height: int, boxes: tuple[FaceBox, ...] = ()) -> QPixmap:
    """An RGB array as a pixmap scaled into (width, height), with face boxes drawn; memory only."""
    array = np.ascontiguousarray(image)
    rows, columns = array.shape[:2]
    qimage = QImage(array.data, columns, rows, 3 * columns, QImage.Format.Format_RGB888).copy()
    pixmap = QPixmap.fromImage(qimage)
    if boxes:
        painter = QPainter(pixmap)
        pen = QPen(QColor("#22c55e" if len(boxes) == 1 else "#ef4444"))
        pen.setWidth(max(2, columns // 200))
        painter.setPen(pen)
        for box in boxes:
            painter.drawRect(box.left, box.top, box.width, box.height)
        painter.end()
    return pixmap.scaled(
        width, height, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


class _Relay(QObject):
    """Carries events from worker threads (card reader, camera) to the GUI thread."""

    sig_progress = Signal(object)
    """A new verification progress snapshot."""
    sig_card = Signal(object)
    """An ID card was read (IdCardRead)."""
    sig_card_error = Signal(object)
    """The card reader failed (IdReaderError)."""


class FacePanel(QGroupBox):
    sig_consent = Signal(bool)
    """The customer gave (True) or refused (False) separate consent to face capture."""
    sig_result = Signal(object)
    """A finished check (FaceSummary): verified when outcome match and liveness passed."""
    sig_exception = Signal(str, str)
    """The alternative verification was used: (FaceException value, how identity was checked)."""
    sig_card_read = Signal(object)
    """The ID card reader delivered a card (IdCardRead) for the customer panel's fields."""

    def __init__(self, settings: Settings, language: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("faceVerification")
        self.settings = settings
        self.language = language
        self._analyzer: FaceAnalyzer | None = None
        self._verification: FaceVerification | None = None
        self._camera: CameraWorker | None = None
        self._runner: VerificationRunner | None = None
        self._relay = _Relay()
        self._relay.sig_progress.connect(self._show_progress)
        self._relay.sig_card.connect(self._card_read)
        self._relay.sig_card_error.connect(self._card_failed)
        self._progress: Progress | None = None
        self._pending_reference: tuple[Any, str] | None = None
        self._consent_given = False
        self.attempts_failed = 0

        self.consent_text = QLabel()
        self.consent_text.setWordWrap(True)
        self.consent_text.setObjectName("consentText")
        self.consent_yes = QPushButton()
        self.consent_yes.setObjectName("consentYes")
        self.consent_no = QPushButton()
        self.consent_no.setObjectName("consentNo")
        consent_row = QHBoxLayout()
        consent_row.addWidget(self.consent_yes)
        consent_row.addWidget(self.consent_no)

        self.reference_status = QLabel()
        self.reference_status.setObjectName("referenceStatus")
        self.reference_status.setWordWrap(True)
        self.load_reference_button = QPushButton()
        self.load_reference_button.setObjectName("loadReference")
        self.reference_view = QLabel()
        self.reference_view.setObjectName("referencePhoto")
        self.reference_view.setFixedSize(THUMB_SIZE, int(THUMB_SIZE * 1.25))
        self.reference_view.setFrameShape(QLabel.Shape.StyledPanel)
        self.captured_view = QLabel()
        self.captured_view.setObjectName("capturedFace")
        self.captured_view.setFixedSize(THUMB_SIZE, int(THUMB_SIZE * 1.25))
        self.captured_view.setFrameShape(QLabel.Shape.StyledPanel)
        self.preview = QLabel()
        self.preview.setObjectName("cameraPreview")
        self.preview.setMinimumSize(*PREVIEW_SIZE)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setStyleSheet("background: #111827; color: #e5e7eb;")
        self.instruction = QLabel()
        self.instruction.setObjectName("faceInstruction")
        self.instruction.setWordWrap(True)
        self.instruction.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.instruction.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.start_button = QPushButton()
        self.start_button.setObjectName("startFaceCheck")
        self.result = QLabel()
        self.result.setObjectName("faceResult")
        self.result.setWordWrap(True)

        self.exception_reason = QComboBox()
        self.exception_reason.setObjectName("faceReason")
        self.alternative = FieldRow(QLineEdit())
        self.alternative.editor.setObjectName("alternativeCheck")
        self.alternative_button = QPushButton()
        self.alternative_button.setObjectName("recordAlternative")
        self.exception_box = QGroupBox()
        exception_layout = QVBoxLayout(self.exception_box)
        exception_layout.addWidget(self.exception_reason)
        exception_layout.addWidget(self.alternative)
        exception_layout.addWidget(self.alternative_button)

        faces = QGridLayout()
        self.reference_caption = QLabel()
        self.captured_caption = QLabel()
        faces.addWidget(self.reference_caption, 0, 0)
        faces.addWidget(self.captured_caption, 0, 1)
        faces.addWidget(self.reference_view, 1, 0)
        faces.addWidget(self.captured_view, 1, 1)
        faces.addWidget(self.load_reference_button, 2, 0)
        layout = QVBoxLayout(self)
        layout.addWidget(self.consent_text)
        layout.addLayout(consent_row)
        layout.addWidget(self.reference_status)
        layout.addLayout(faces)
        layout.addWidget(self.preview)
        layout.addWidget(self.instruction)
        layout.addWidget(self.start_button)
        layout.addWidget(self.result)
        layout.addWidget(self.exception_box)

        self.consent_yes.clicked.connect(lambda: self._consent(True))
        self.consent_no.clicked.connect(lambda: self._consent(False))
        self.load_reference_button.clicked.connect(self._pick_reference)
        self.start_button.clicked.connect(self.start_capture)
        self.alternative_button.clicked.connect(self._record_alternative)
        self.preview_timer = QTimer(self)
        self.preview_timer.setInterval(PREVIEW_INTERVAL_MS)
        self.preview_timer.timeout.connect(self._draw_preview)
        self.retranslate()
        self.reset()

    # ------------------------------------------------------------ the steps

    def _consent(self, given: bool) -> None:
        self.consent_yes.setEnabled(False)
        self.consent_no.setEnabled(False)
        # Asked once per customer: the question makes room for the check itself.
        for widget in (self.consent_text, self.consent_yes, self.consent_no):
            widget.hide()
        self._consent_given = given
        self.sig_consent.emit(given)
        if given:
            self.load_reference_button.setEnabled(True)
            self._update_texts()
            if self._pending_reference is not None:
                self.set_reference(*self._pending_reference)
                self._pending_reference = None
        else:
            self.exception_reason.setCurrentIndex(
                self.exception_reason.findData(FaceException.CONSENT_REFUSED.value)
            )
            self.alternative.editor.setFocus()
            self._update_texts()

    def set_reference(self, photo_rgb: Any, origin: str) -> None:
        """The reference photo (card chip or teller's file): encoded once, off the GUI thread."""
        if not self._consent_given:
            self._pending_reference = (photo_rgb, origin)
            return
        self.reference_view.setPixmap(
            to_pixmap(photo_rgb, self.reference_view.width(), self.reference_view.height())
        )
        self.reference_status.setText(self.tr("Reading the reference photo…"))
        verification = self._new_verification()

        def done(issues: Any) -> None:
            if issues:
                self.reference_status.setText(
                    self.tr("The reference photo cannot be used: {problem}").format(
                        problem=guidance(issues[0], self.language)
                    )
                )
                return
            self.reference_status.setText(
                self.tr("Reference photo ready ({origin}).").format(
                    origin=self.tr("ID card chip") if origin == "card_reader" else self.tr("file")
                )
            )
            self.start_button.setEnabled(True)
            self.start_button.setFocus()

        run_in_background(lambda: verification.set_reference(photo_rgb), done, self._failed, pool_name="face")

    def _new_verification(self) -> FaceVerification:
        if self._analyzer is None:
            self._analyzer = FaceAnalyzer()
        self._verification = FaceVerification(
            self._analyzer,
            self.settings.face_match_threshold,
            self.settings.face_no_match_threshold,
            random.SystemRandom(),
            self.settings.face_challenge_seconds,
        )
        return self._verification

    def _pick_reference(self) -> None:
        dialog = QFileDialog(self, self.tr("Reference photo"))
        dialog.setNameFilter(self.tr("Images (*.jpg *.jpeg *.png *.bmp)"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.load_reference_file)
        dialog.open()

    def load_reference_file(self, path: str) -> None:
        try:
            photo = read_reference_file(Path(path))
        except IdReaderError as error:
            self.reference_status.setText(error.message(self.language))
            return
        self.set_reference(photo, "file")

    def card_reader_callbacks(self) -> tuple[Any, Any]:
        """on_card / on_error for the folder-drop reader: they run on its thread, so relay."""
        return self._relay.sig_card.emit, self._relay.sig_card_error.emit

    def _card_read(self, card: IdCardRead) -> None:
        # The window decides whether this card belongs to the customer being served.
        self.sig_card_read.emit(card)

    def refuse_card(self) -> None:
        self.reference_status.setText(
            self.tr("This ID card does not belong to the customer being served; it was not used.")
        )

    def _card_failed(self, error: IdReaderError) -> None:
        self.reference_status.setText(error.message(self.language))

    def start_capture(self) -> None:
        verification = self._verification
        if verification is None or not verification.has_reference:
            return
        self.stop_capture()
        self.result.clear()
        try:
            source = parse_source(self.settings.camera_source).create()
        except CameraError as error:
            self._camera_failed(error)
            return
        self._camera = CameraWorker(source)
        self._camera.start()
        self._runner = VerificationRunner(verification, self._camera, self._relay.sig_progress.emit)
        self._runner.start()
        self.start_button.setEnabled(False)
        self.preview_timer.start()

    def stop_capture(self) -> None:
        self.preview_timer.stop()
        if self._runner is not None:
            self._runner.stop()
            self._runner = None
        if self._camera is not None:
            self._camera.stop()
            self._camera = None

    def _draw_preview(self) -> None:
        camera = self._camera
        if camera is None:
            return
        frame = camera.peek()
        if frame is None:
            return
        boxes = self._progress.boxes if self._progress is not None else ()
        self.preview.setPixmap(to_pixmap(frame.image, self.preview.width(), self.preview.height(), boxes))

    def _show_progress(self, progress: Progress) -> None:
        self._progress = progress
        if progress.camera_error is not None:
            self._camera_failed(progress.camera_error)
            return
        if progress.instruction:
            self.instruction.setText(progress.instruction.get(self.language, ""))
        if progress.best_face is not None:
            self.captured_view.setPixmap(
                to_pixmap(progress.best_face, self.captured_view.width(), self.captured_view.height())
            )
        if progress.stage is Stage.DONE and self._verification is not None:
            self.stop_capture()
            summary = self._verification.summary()
            self._show_result(summary)
            self.sig_result.emit(summary)

    def _show_result(self, summary: FaceSummary) -> None:
        verified = summary.outcome == MatchOutcome.MATCH.value and summary.liveness == "passed"
        if verified:
            text, colour = (
                self.tr("Verified: the customer matches the ID photo and passed the liveness check."),
                "allow",
            )
        elif summary.liveness == "failed":
            text, colour = (
                self.tr("Liveness check failed: the head-turn instructions were not followed in time."),
                "block",
            )
        elif summary.outcome == MatchOutcome.NO_MATCH.value:
            text, colour = self.tr("No match: the live face does not match the ID photo."), "block"
        else:
            text, colour = self.tr("Inconclusive: use the alternative verification procedure."), "warn"
        if summary.distance is not None:
            text += " " + self.tr("(distance {distance:.2f})").format(distance=summary.distance)
        if not verified:
            self.attempts_failed += 1
            self.start_button.setEnabled(True)
            self.start_button.setText(self.tr("Try again"))
            if summary.outcome in (MatchOutcome.NO_MATCH.value, MatchOutcome.INCONCLUSIVE.value):
                self.exception_reason.setCurrentIndex(
                    self.exception_reason.findData(FaceException.REPEATED_MISMATCH.value)
                )
        foreground, background = DECISION_COLOURS[colour]
        self.result.setStyleSheet(
            f"color: {foreground}; background: {background}; padding: 6px; font-weight: bold;"
        )
        self.result.setText(text)
        self.instruction.clear()

    def _camera_failed(self, error: CameraError) -> None:
        self.stop_capture()
        self.preview.setText(error.message(self.language))
        self.result.setText(self.tr("No usable camera: record the alternative verification below."))
        self.exception_reason.setCurrentIndex(self.exception_reason.findData(FaceException.NO_CAMERA.value))
        self.alternative.editor.setFocus()

    def _failed(self, error: BaseException) -> None:
        log.error("face check step failed: %s", error)
        self.reference_status.setText(
            self.tr("The face check could not continue: {error}").format(error=error)
        )

    def _record_alternative(self) -> None:
        editor = self.alternative.editor
        assert isinstance(editor, QLineEdit)
        text = editor.text().strip()
        if len(text) < 4:
            self.alternative.set_error(self.tr("Say how the identity was checked, e.g. second document."))
            editor.setFocus()
            return
        self.alternative.set_error(None)
        self.stop_capture()
        self.sig_exception.emit(str(self.exception_reason.currentData()), text)

    # ------------------------------------------------------------ session end

    def reset(self) -> None:
        """The customer's session ended: stop the camera and drop every image and encoding."""
        self.stop_capture()
        if self._verification is not None:
            self._verification.clear()
        self._verification = None
        self._progress = None
        self._consent_given = False
        self._pending_reference = None
        self.attempts_failed = 0
        for view in (self.reference_view, self.captured_view, self.preview):
            view.clear()
        self.result.clear()
        self.result.setStyleSheet("")
        self.instruction.clear()
        editor = self.alternative.editor
        assert isinstance(editor, QLineEdit)
        editor.clear()
        self.alternative.set_error(None)
        self.consent_yes.setEnabled(True)
        self.consent_no.setEnabled(True)
        for widget in (self.consent_text, self.consent_yes, self.consent_no):
            widget.show()
        self.load_reference_button.setEnabled(False)
        self.start_button.setEnabled(False)
        self._update_texts()

    # ------------------------------------------------------------ texts

    def _update_texts(self) -> None:
        self.reference_status.setText(
            self.tr("Put the ID card on the reader, or load the customer's photo.")
            if self._consent_given
            else self.tr("Ask for consent first.")
        )
        self.start_button.setText(self.tr("&Start face check"))

    def retranslate(self) -> None:
        self.setTitle(self.tr("Face verification"))
        self.consent_text.setText(
            self.tr(
                'Ask the customer: "To confirm your identity we compare your face with your ID card photo on '
                "this computer. The picture is not stored or sent anywhere. Do you agree? If not, we will "
                'check your identity another way."'
            )
        )
        self.consent_yes.setText(self.tr("Customer &agrees"))
        self.consent_no.setText(self.tr("Customer &declines"))
        self.load_reference_button.setText(self.tr("Load &photo…"))
        self.reference_caption.setText(self.tr("ID photo"))
        self.captured_caption.setText(self.tr("Live face"))
        self.preview.setAccessibleName(self.tr("Camera preview"))
        self.exception_box.setTitle(self.tr("Alternative verification"))
        current = self.exception_reason.currentData()
        self.exception_reason.clear()
        self.exception_reason.addItem(self.tr("No camera at this counter"), FaceException.NO_CAMERA.value)
        self.exception_reason.addItem(
            self.tr("Customer refuses face capture"), FaceException.CONSENT_REFUSED.value
        )
        self.exception_reason.addItem(
            self.tr("Face does not match after attempts"), FaceException.REPEATED_MISMATCH.value
        )
        if current is not None:
            self.exception_reason.setCurrentIndex(max(0, self.exception_reason.findData(current)))
        self.exception_reason.setAccessibleName(self.tr("Why the face check is not done"))
        self.alternative.set_caption(self.tr("How identity was checked"))
        self.alternative_button.setText(self.tr("&Record alternative check"))
        if hasattr(self, "_consent_given"):
            self._update_texts()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
