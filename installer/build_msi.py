"""Builds CounterGuard.msi from the PyInstaller bundle with installer/CounterGuard.wxs.

    uv run python -m installer.build_msi --bundle dist/CounterGuard --output dist/CounterGuard-0.1.0.msi

The bundle's files are listed into a generated WiX fragment (one component per file, GUIDs derived
from the file's path so they stay the same from version to version), then compiled with `wixl`
(msitools; Linux CI) or, on Windows, WiX Toolset 3's `candle` and `light`. Symbolic links (only in
Linux bundles) are left out: an MSI built from a Linux bundle proves the script, it is not shipped.
COUNTERGUARD_SIGN_COMMAND, if set, signs the MSI ({file} is replaced by its path).
"""

import argparse
import hashlib
import os
import shlex
import shutil
import subprocess
import sys
import tomllib
import uuid
from pathlib import Path
from xml.sax.saxutils import quoteattr

ROOT = Path(__file__).resolve().parents[1]
WXS = ROOT / "installer" / "CounterGuard.wxs"
ICON = ROOT / "assets" / "counterguard.ico"
CONSOLE_EXE_ID = "ConsoleExe"
# Never change: component GUIDs are derived from it and the file's path in the bundle.
_COMPONENT_NAMESPACE = uuid.UUID("0b7c5e52-1d55-4c1f-8a57-6f2b9d3c4e10")


def project_version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"])


def _id(prefix: str, relative: str) -> str:
    return prefix + hashlib.sha1(relative.encode("utf-8"), usedforsecurity=False).hexdigest().upper()


def fragment(bundle: Path, base: Path) -> str:
    """A WiX fragment installing every regular file of `bundle` under INSTALLDIR.

    Sources are relative to `base`, the folder the compiler runs in (wixl finds no absolute path).
    """
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">',
    ]
    lines.append("  <Fragment>")
    components: list[str] = []

    def walk(folder: Path, depth: int) -> None:
        pad = "  " * depth
        for entry in sorted(folder.iterdir(), key=lambda path: (path.is_dir(), path.name)):
            relative = entry.relative_to(bundle).as_posix()
            if entry.is_symlink():
                continue
            if entry.is_dir():
                directory = quoteattr(_id("d", relative))
                lines.append(f"{pad}<Directory Id={directory} Name={quoteattr(entry.name)}>")
                walk(entry, depth + 1)
                lines.append(f"{pad}</Directory>")
                continue
            component = _id("c", relative)
            components.append(component)
            file_id = CONSOLE_EXE_ID if entry.stem == "CounterGuard-console" else _id("f", relative)
            guid = str(uuid.uuid5(_COMPONENT_NAMESPACE, relative.lower())).upper()
            source = quoteattr(os.path.relpath(entry, base))
            lines.append(
                f'{pad}<Component Id={quoteattr(component)} Guid="{guid}" Win64="yes">'
                f'<File Id={quoteattr(file_id)} KeyPath="yes" Source={source} /></Component>'
            )

    lines.append('    <DirectoryRef Id="INSTALLDIR">')
    walk(bundle, 3)
    lines.append("    </DirectoryRef>")
    lines.append('    <ComponentGroup Id="BundleFiles">')
    lines += [f"      <ComponentRef Id={quoteattr(component)} />" for component in components]
    lines += ["    </ComponentGroup>", "  </Fragment>", "</Wix>", ""]
    return "\n".join(lines)


def build(bundle: Path, output: Path, version: str, work: Path) -> Path:
    if not any(bundle.glob("CounterGuard-console*")):
        raise SystemExit(f"{bundle} is not a CounterGuard bundle (no CounterGuard-console executable)")
    work.mkdir(parents=True, exist_ok=True)
    files = work.resolve() / "bundle_files.wxs"
    base = bundle.resolve().parent
    files.write_text(fragment(bundle.resolve(), base), encoding="utf-8")
    icon = os.path.relpath(ICON, base)
    defines = {"Version": version, "IconFile": icon, "ConsoleExeId": CONSOLE_EXE_ID}
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    if shutil.which("wixl"):
        command = ["wixl", "-a", "x64", "-o", str(output)]
        command += [part for key, value in defines.items() for part in ("-D", f"{key}={value}")]
        subprocess.run([*command, str(WXS), str(files.resolve())], check=True, cwd=base)
    elif shutil.which("candle") and shutil.which("light"):
        objects = []
        for source in (WXS, files):
            obj = work / (source.stem + ".wixobj")
            candle = ["candle", "-nologo", "-arch", "x64", "-out", str(obj), str(source)]
            candle += [f"-d{key}={value}" for key, value in defines.items()]
            subprocess.run(candle, check=True, cwd=base)
            objects.append(str(obj))
        light = ["light", "-nologo", "-sice:ICE61", "-cultures:zh-CN", "-out", str(output), *objects]
        subprocess.run(light, check=True, cwd=base)
    else:
        raise SystemExit("neither wixl (apt-get install wixl) nor WiX Toolset 3 (candle, light) is on PATH")
    sign = os.environ.get("COUNTERGUARD_SIGN_COMMAND", "").strip()
    if sign:
        command_line = sign.replace("{file}", str(output))
        subprocess.run(command_line if sys.platform == "win32" else shlex.split(command_line), check=True)
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "CounterGuard")
    parser.add_argument("--output", type=Path)
    parser.add_argument("--version", default=project_version())
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "msi")
    args = parser.parse_args(argv)
    output = args.output or ROOT / "dist" / f"CounterGuard-{args.version}.msi"
    print(f"wrote {build(args.bundle, output, args.version, args.work)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
