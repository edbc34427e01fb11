"""What the PyInstaller bundle carries and what it leaves out: one set of rules.

`pyinstaller.spec` applies them when it builds; `bench/bundle_metrics.py` groups a built bundle's
size with them; `tests/packaging` checks a built bundle against them. Nothing here imports
PyInstaller, so the rules can be read and tested without building.

Three kinds of rule:

- modules never analysed (`excluded_modules`): face_recognition (importing it loads the
  non-commercial 68-point model), development tools, Qt modules the app does not use, parts of the
  standard library and of bundled packages that nothing imports when the app runs (each executable
  carries its own copy of every module, so these count twice), the service's dependencies in the
  client build;
- files never collected (`unused`): Qt plugins, translations and libraries for platforms and
  formats the app does not use, OpenCV's Haar cascades, and on Windows OpenCV's FFmpeg plugin
  (the camera and video files go through Media Foundation there);
- libraries nothing loads (`unreachable`): after the rules above, a shared library that no kept
  extension module, Qt plugin or the Python runtime links to, directly or through another kept
  library, is left out. PyInstaller collects the dependencies of every plugin before the spec
  drops the plugin, so without this the GTK theme's and Wayland's libraries stayed behind.
"""

import re
from collections.abc import Callable, Iterable
from pathlib import PurePosixPath

# The face models the app loads (teller_client/face/analysis.py). The 68-point landmark model is
# non-commercial (DEVELOPERS.md) and never shipped; neither is the unused CNN detector.
FACE_MODELS = ("shape_predictor_5_face_landmarks.dat", "dlib_face_recognition_resnet_model_v1.dat")
MODEL_68 = "shape_predictor_68_face_landmarks.dat"

# The app uses QtCore, QtGui and QtWidgets only.
UNUSED_QT_MODULES = (
    "QtNetwork", "QtQml", "QtQuick", "QtQuickWidgets", "QtQuickControls2", "QtSql", "QtTest",
    "QtOpenGL", "QtOpenGLWidgets", "QtPrintSupport", "QtSvg", "QtSvgWidgets", "QtXml",
    "QtConcurrent", "QtDBus", "QtDesigner", "QtHelp", "QtUiTools", "QtMultimedia",
    "QtMultimediaWidgets", "QtPdf", "QtPdfWidgets", "QtNetworkAuth", "QtStateMachine",
    "QtSpatialAudio", "QtSerialPort", "QtWebSockets", "QtPositioning", "QtLocation",
    "QtCharts", "QtDataVisualization", "QtGraphs", "Qt3DCore", "QtBluetooth", "QtNfc",
)  # fmt: skip

# Never bundled: face_recognition (importing it loads the 68-point model), development tools,
# setuptools/pkg_resources (a runtime hook stands in for the one call face_recognition_models
# makes), PostgreSQL drivers (the embedded service runs on SQLite) and uvicorn's optional
# accelerators.
ALWAYS_EXCLUDED = (
    "face_recognition", "tkinter", "PIL", "IPython", "matplotlib", "pytest", "hypothesis", "mypy",
    "ruff", "setuptools", "pkg_resources", "psycopg", "psycopg_binary", "psycopg_pool", "psycopg2",
    "uvloop", "watchfiles", "websockets", "wsproto", "dotenv", "yaml", "httptools",
)  # fmt: skip

# Never imported at run time, yet reached by the analysis through imports the app never executes.
# Every module left out here is left out of both executables (each carries all Python modules), so
# each MB counts twice. Checked against what the app imports when it runs (docs/decisions.md).
# Standard library: development and interactive tools (pydoc and its topics, unittest, doctest, pdb,
# distutils, lib2to3, ensurepip, idlelib, the test suite, turtledemo), XML-RPC (the only user of
# the XML parser here, so pyexpat goes too), the pure-Python decimal that _decimal replaces, and
# bz2/lzma (zipfile, tarfile and shutil import them optionally; the app reads no such archive).
UNUSED_STDLIB = (
    "pydoc", "pydoc_data", "unittest", "doctest", "pdb", "distutils", "lib2to3", "ensurepip",
    "idlelib", "test", "turtledemo", "xmlrpc", "_pydecimal", "bz2", "lzma", "_bz2", "_lzma",
)  # fmt: skip
# Parts of bundled packages that their hooks or optional imports pull in and nothing runs: NumPy's
# Fortran wrapper generator, test helpers, masked arrays and polynomial classes (NumPy imports them
# lazily, on first use; the app uses plain arrays); pydantic's v1 compatibility layer (FastAPI only
# tries to import it, to reject v1 models) and mypy plugin; SQLAlchemy's MySQL, SQL Server and
# Oracle dialects and its asyncio extension (the service runs on SQLite or PostgreSQL, synchronously);
# anyio's trio backend (trio is not installed); uvicorn's protocol implementations for the
# libraries excluded above (it serves HTTP/1.1 with h11, without WebSockets); urllib3's
# contributions for Emscripten, pyOpenSSL and SOCKS (none installed); and tzdata, the IANA time
# zone database that zoneinfo reads on Windows: nothing creates a ZoneInfo (605 small files).
UNUSED_SUBMODULES = (
    "numpy.f2py", "numpy.testing", "numpy.distutils", "numpy.ma", "numpy.polynomial",
    "numpy.lib.recfunctions", "pydantic.v1", "pydantic.mypy", "sqlalchemy.dialects.mysql",
    "sqlalchemy.dialects.mssql", "sqlalchemy.dialects.oracle", "sqlalchemy.ext.asyncio",
    "sqlalchemy.connectors.aioodbc", "sqlalchemy.connectors.pyodbc",
    "anyio._backends._trio", "uvicorn.protocols.http.httptools_impl",
    "uvicorn.protocols.http.zttp_impl", "uvicorn.protocols.http.zttp_h2_impl",
    "uvicorn.protocols.http.auto_zttp_impl",
    "uvicorn.protocols.websockets.websockets_impl",
    "uvicorn.protocols.websockets.websockets_sansio_impl",
    "uvicorn.protocols.websockets.wsproto_impl", "urllib3.contrib.emscripten",
    "urllib3.contrib.pyopenssl", "urllib3.contrib.socks", "tzdata",
)  # fmt: skip

# The bank's build (COUNTERGUARD_BUILD=client) has no embedded demo service.
DEMO_SERVICE_MODULES = (
    "screening_service", "fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "mako",
    "argon2", "argon2_cffi_bindings", "pydantic", "pydantic_core", "h11", "anyio",
)  # fmt: skip

BUILDS = ("demo", "client")


def excluded_modules(build: str) -> list[str]:
    if build not in BUILDS:
        raise ValueError(f"COUNTERGUARD_BUILD must be 'demo' or 'client', not {build!r}")
    qt = [f"PySide6.{module}" for module in UNUSED_QT_MODULES]
    return [
        *ALWAYS_EXCLUDED,
        *UNUSED_STDLIB,
        *UNUSED_SUBMODULES,
        *qt,
        *(DEMO_SERVICE_MODULES if build == "client" else ()),
    ]


def is_excluded(module: str, excluded: Iterable[str]) -> bool:
    """True if `module` is one of `excluded` or inside one of them (a package excludes its modules)."""
    return any(module == name or module.startswith(f"{name}.") for name in excluded)


# Files never collected, matched against their path in the bundle ('/' or '\\'). Kept: Qt's
# platform plugins windows, xcb, offscreen and minimal; the image formats the app reads (JPEG and
# ICO; PNG is built in); Qt's Chinese strings.
_UNUSED = re.compile(
    r"(^|[/\\])("
    r"plugins[/\\](platforms[/\\]\w*(eglfs|linuxfb|vnc|wayland|vkkhrdisplay|direct2d)[-\w]*\.\w+"
    r"|egldeviceintegrations|wayland[-\w]*|platforminputcontexts|generic|networkinformation|tls"
    r"|platformthemes|iconengines|platforms[/\\]libqminimalegl\.so"
    r"|imageformats[/\\]\w*(gif|icns|pdf|svg|tga|tiff|wbmp|webp)\w*\.\w+)"
    r"|translations[/\\](?!qtbase_zh_CN\.qm$)[^/\\]+"
    r"|cv2[/\\]data[/\\].*"
    # Qt's software OpenGL for Windows: a widgets app without OpenGL never loads it.
    r"|opengl32sw\.dll"
    # OpenCV's FFmpeg plugin for Windows (31 MB), loaded only when a video file or stream is opened
    # with the FFmpeg backend. Cameras (camera_source 0, 1, ...) go through Media Foundation or
    # DirectShow, built into cv2.pyd; Media Foundation also reads H.264 MP4s such as the demo clips.
    r"|cv2[/\\]opencv_videoio_ffmpeg\w*\.dll"
    r")"
    # Libraries only the dropped plugins need (GTK theme, Wayland, EGLFS, SVG icons): Linux only.
    r"|(^|[/\\])(lib(gtk|gdk|atk|atspi|cairo|pango|epoxy|harfbuzz-gobject|gdk_pixbuf)[-_.\w]*"
    r"|libQt6(WaylandClient|Wl\w+|EglFS\w*|EglFs\w*|Svg)\.so[.\d]*)$"
)


def unused(destination: str) -> bool:
    """True for a file the bundle never carries (its path in the bundle, '/' or '\\')."""
    return bool(_UNUSED.search(destination))


def _name(destination: str) -> str:
    return PurePosixPath(destination.replace("\\", "/")).name


def _key(name: str, windows: bool) -> str:
    return name.lower() if windows else name


def is_root(destination: str, typecode: str) -> bool:
    """Binaries loaded by name at run time rather than linked: Python extension modules, Qt plugins,
    the Python runtime the bootloader loads, and the bootloader's own files."""
    path = destination.replace("\\", "/")
    name = _name(path)
    return (
        typecode == "EXTENSION"
        or name.endswith(".pyd")
        or ".cpython-" in name
        or ".abi3.so" in name
        or "/plugins/" in f"/{path}"
        or re.match(r"(lib)?python3[\d.]*(\.dll$|\.so)", name) is not None
    )


def unreachable(
    binaries: Iterable[tuple[str, str, str]],
    imports: Callable[[str], Iterable[str]],
    windows: bool,
) -> set[str]:
    """Destinations of the shared libraries that nothing kept loads.

    `binaries` are PyInstaller TOC entries (destination, source, typecode); `imports(source)` names
    the libraries a binary links to (base names; on Linux a list that may already be transitive).
    A SYMLINK entry's source is the destination it points to; it is kept with its target's name.
    """
    entries = list(binaries)
    by_name: dict[str, list[tuple[str, str, str]]] = {}
    for entry in entries:
        by_name.setdefault(_key(_name(entry[0]), windows), []).append(entry)
    reached: set[str] = set()
    pending = [entry for entry in entries if is_root(entry[0], entry[2])]
    seen: set[str] = set()
    while pending:
        destination, source, typecode = pending.pop()
        if destination in seen:
            continue
        seen.add(destination)
        reached.add(_key(_name(destination), windows))
        if typecode == "SYMLINK":
            pending.extend(by_name.get(_key(_name(source), windows), ()))
            continue
        for imported in imports(source):
            pending.extend(by_name.get(_key(_name(imported), windows), ()))
    return {
        entry[0]
        for entry in entries
        if _key(_name(entry[0]), windows) not in reached and not is_root(entry[0], entry[2])
    }


# Size groups for bench/bundle_metrics.py, first match wins, on the path in the bundle with '/'.
COMPONENTS = (
    ("face models (5-point, encoder)", r"^_internal/face_recognition_models/"),
    ("OpenCV", r"^_internal/(cv2|opencv_python_headless\.libs)/"),
    ("Qt (PySide6, shiboken6)", r"^_internal/(PySide6|shiboken6)/|^_internal/lib(Qt6|pyside6|shiboken6)"),
    ("NumPy (with OpenBLAS)", r"^_internal/numpy(\.libs)?/"),
    ("dlib", r"^_internal/_dlib_pybind11"),
    ("cryptography (Secret Service)", r"^_internal/cryptography/"),
    (
        "demo service (compiled parts; its modules are in the executables)",
        r"^_internal/(screening_service|sqlalchemy|pydantic_core|_argon2_cffi_bindings|markupsafe)/",
    ),
    ("executables (each carries all Python modules)", r"^[^/]+$"),
    ("package metadata (.dist-info)", r"\.dist-info/"),
    (
        "Python runtime (interpreter, stdlib, OpenSSL, SQLite, C runtime)",
        r"^_internal/((lib)?python3[^/]*|base_library\.zip|[^/]+\.pyd|(lib)?(crypto|ssl|sqlite3|ffi)[-.\w]*"
        r"|(vcruntime|msvcp|concrt|ucrtbase|api-ms-win)[-.\w]*|python3\.\d+/.*)$",
    ),
    ("system libraries (Linux)", r"^_internal/lib[^/]+\.so[.\d]*$"),
    ("other", r""),
)


def component(relative: str) -> str:
    path = relative.replace("\\", "/")
    for label, pattern in COMPONENTS:
        if re.search(pattern, path, flags=re.IGNORECASE):
            return label
    return "other"
