"""The bundle's contents rules (installer/bundle_contents.py), which pyinstaller.spec applies and
bench/bundle_metrics.py measures by, checked without building (the built bundle: test_bundle.py)."""

import pytest

from installer import bundle_contents as contents


def test_face_recognition_is_never_analysed_and_the_68_point_model_never_listed() -> None:
    for build in contents.BUILDS:
        assert "face_recognition" in contents.excluded_modules(build)
    assert contents.MODEL_68 not in contents.FACE_MODELS
    assert "shape_predictor_5_face_landmarks.dat" in contents.FACE_MODELS


def test_only_the_client_build_leaves_out_the_demo_service() -> None:
    assert "screening_service" in contents.excluded_modules("client")
    assert "screening_service" not in contents.excluded_modules("demo")
    with pytest.raises(ValueError, match="'demo' or 'client'"):
        contents.excluded_modules("server")


@pytest.mark.parametrize(
    "module",
    [
        "pydoc", "pydoc_data.topics", "unittest.mock", "doctest", "pdb", "distutils.core",
        "xmlrpc.client", "_pydecimal", "lzma", "_bz2", "tzdata.zoneinfo", "numpy.f2py.crackfortran",
        "numpy.testing", "numpy.ma.core", "numpy.polynomial", "pydantic.v1.main", "pydantic.mypy",
        "sqlalchemy.dialects.mysql.base", "sqlalchemy.dialects.oracle", "sqlalchemy.ext.asyncio.engine",
        "anyio._backends._trio", "uvicorn.protocols.http.httptools_impl",
        "uvicorn.protocols.websockets.wsproto_impl", "urllib3.contrib.socks",
    ],
)  # fmt: skip
def test_modules_nothing_imports_at_run_time_are_left_out_of_both_builds(module: str) -> None:
    for build in contents.BUILDS:
        assert contents.is_excluded(module, contents.excluded_modules(build))


@pytest.mark.parametrize(
    "module",
    [
        # What the app, the embedded demo service and the keyring use, including their neighbours
        # in the same packages and names that only start like an excluded one.
        "numpy", "numpy.linalg", "numpy.matrixlib", "numpy.lib._npyio_impl", "numpy.random",
        "sqlalchemy.dialects.sqlite", "sqlalchemy.dialects.postgresql", "sqlalchemy.ext.baked",
        "pydantic", "pydantic.deprecated", "pydantic_core", "decimal", "zoneinfo", "zipfile",
        "tarfile", "email.utils", "statistics", "csv", "concurrent.futures", "multiprocessing",
        "anyio._backends._asyncio", "uvicorn.protocols.http.h11_impl", "uvicorn.protocols.http.auto",
        "uvicorn.protocols.websockets.auto", "urllib3.contrib", "keyring.backends.Windows",
        "keyring.backends.SecretService", "cffi", "unicodedata", "testing", "tests",
    ],
)  # fmt: skip
def test_modules_the_app_imports_are_kept(module: str) -> None:
    assert not contents.is_excluded(module, contents.excluded_modules("demo"))


@pytest.mark.parametrize(
    "destination",
    [
        "cv2\\opencv_videoio_ffmpeg500_64.dll",  # Windows: cameras and MP4s go through Media Foundation
        "cv2/opencv_videoio_ffmpeg500_64.dll",
        "cv2/data/haarcascade_frontalface_default.xml",
        "PySide6\\opengl32sw.dll",
        "PySide6/Qt/translations/qtbase_de.qm",
        "PySide6\\translations\\qt_help_zh_CN.qm",
        "PySide6/Qt/plugins/platforms/libqwayland-egl.so",
        "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
        "PySide6/Qt/plugins/egldeviceintegrations/libqeglfs-kms-integration.so",
        "PySide6\\plugins\\imageformats\\qsvg.dll",
        "PySide6/Qt/lib/libQt6WaylandClient.so.6",
        "PySide6/Qt/lib/libQt6EglFsKmsSupport.so.6",
        "libQt6EglFSDeviceIntegration.so.6",
        "libgtk-3.so.0",
    ],
)
def test_files_the_app_never_uses_are_left_out(destination: str) -> None:
    assert contents.unused(destination)


@pytest.mark.parametrize(
    "destination",
    [
        "cv2\\cv2.pyd",
        "cv2/cv2.abi3.so",
        "PySide6\\plugins\\platforms\\qwindows.dll",
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6\\plugins\\imageformats\\qjpeg.dll",
        "PySide6\\plugins\\imageformats\\qico.dll",
        "PySide6/Qt/translations/qtbase_zh_CN.qm",
        "face_recognition_models/models/shape_predictor_5_face_landmarks.dat",
        "face_recognition_models/models/dlib_face_recognition_resnet_model_v1.dat",
        "assets/i18n/counterguard_zh_CN.qm",
        "PySide6/Qt/lib/libQt6XcbQpa.so.6",
        "libxcb-cursor.so.0",
    ],
)
def test_what_the_app_uses_is_kept(destination: str) -> None:
    assert not contents.unused(destination)


@pytest.mark.parametrize(
    ("destination", "root"),
    [
        ("libpython3.11.so.1.0", True),  # the bootloader loads it by name
        ("python311.dll", True),
        ("python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so", True),
        ("numpy\\_core\\_multiarray_umath.cp311-win_amd64.pyd", True),
        ("PySide6/QtCore.abi3.so", True),
        ("PySide6\\plugins\\platforms\\qwindows.dll", True),
        ("Qt6Core.dll", False),
        ("libglib-2.0.so.0", False),
    ],
)
def test_binaries_loaded_by_name_are_roots(destination: str, root: bool) -> None:
    assert contents.is_root(destination, "BINARY") is root


def test_a_library_only_a_dropped_plugin_needed_is_left_out() -> None:
    binaries = [
        ("PySide6/QtGui.abi3.so", "/wheel/QtGui.abi3.so", "EXTENSION"),
        ("PySide6/Qt/lib/libQt6Gui.so.6", "/wheel/libQt6Gui.so.6", "BINARY"),
        ("libQt6Gui.so.6", "PySide6/Qt/lib/libQt6Gui.so.6", "SYMLINK"),
        ("libglib-2.0.so.0", "/usr/lib/libglib-2.0.so.0", "BINARY"),
        ("libpcre2-8.so.0", "/usr/lib/libpcre2-8.so.0", "BINARY"),
        # needed only by the GTK theme plugin, which the rules dropped before this step
        ("libgio-2.0.so.0", "/usr/lib/libgio-2.0.so.0", "BINARY"),
        ("libQt6Network.so.6", "/wheel/libQt6Network.so.6", "BINARY"),
    ]
    links = {
        "/wheel/QtGui.abi3.so": ["libQt6Gui.so.6"],
        "/wheel/libQt6Gui.so.6": ["libglib-2.0.so.0"],
        "/usr/lib/libglib-2.0.so.0": ["libpcre2-8.so.0"],
        "/usr/lib/libgio-2.0.so.0": ["libglib-2.0.so.0"],
    }
    dropped = contents.unreachable(binaries, lambda source: links.get(source, []), windows=False)
    assert dropped == {"libgio-2.0.so.0", "libQt6Network.so.6"}


def test_windows_library_names_match_whatever_their_case() -> None:
    binaries = [
        ("cv2\\cv2.pyd", "C:\\wheel\\cv2.pyd", "EXTENSION"),
        ("MSVCP140.dll", "C:\\wheel\\MSVCP140.dll", "BINARY"),
        ("PySide6\\Qt6Network.dll", "C:\\wheel\\Qt6Network.dll", "BINARY"),
    ]
    links = {"C:\\wheel\\cv2.pyd": ["msvcp140.dll", "KERNEL32.dll"]}
    dropped = contents.unreachable(binaries, lambda source: links.get(source, []), windows=True)
    assert dropped == {"PySide6\\Qt6Network.dll"}


@pytest.mark.parametrize(
    ("relative", "label"),
    [
        ("_internal/cv2/cv2.pyd", "OpenCV"),
        ("_internal/opencv_python_headless.libs/libavcodec-c4204469.so.62", "OpenCV"),
        ("_internal/PySide6/Qt6Core.dll", "Qt (PySide6, shiboken6)"),
        ("_internal/numpy.libs/libscipy_openblas64_.dll", "NumPy (with OpenBLAS)"),
        ("CounterGuard.exe", "executables (each carries all Python modules)"),
        ("_internal/python311.dll", "Python runtime (interpreter, stdlib, OpenSSL, SQLite, C runtime)"),
        ("_internal/libxcb.so.1", "system libraries (Linux)"),
    ],
)
def test_sizes_are_grouped_by_component(relative: str, label: str) -> None:
    assert contents.component(relative) == label
