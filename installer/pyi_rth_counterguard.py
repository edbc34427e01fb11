"""PyInstaller runtime hook: stands in for the one pkg_resources call face_recognition_models makes.

face_recognition_models finds its files with `pkg_resources.resource_filename`; setuptools (which
provides pkg_resources) is left out of the bundle, so this answers that call from the bundle folder.
"""

import os
import sys
import types


def _install() -> None:
    if "pkg_resources" in sys.modules:
        return
    base = getattr(sys, "_MEIPASS", os.path.dirname(sys.executable))

    def resource_filename(package: str, resource: str) -> str:
        return os.path.join(base, *package.split("."), *resource.split("/"))

    shim = types.ModuleType("pkg_resources")
    shim.resource_filename = resource_filename  # type: ignore[attr-defined]
    sys.modules["pkg_resources"] = shim


_install()
