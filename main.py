"""CounterGuard's entry point: the teller application, and IT's `enroll` and `audit verify` commands."""

import argparse
import getpass
import logging
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

from teller_client import credentials, paths
from teller_client.audit import AuditStore
from teller_client.logs import setup_logging
from teller_client.service_client import ServiceClient, ServiceFailure
from teller_client.settings import Settings, SettingsError, load_settings, parse_assignments

log = logging.getLogger("counterguard.app")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="main.py", description="CounterGuard (柜面卫士) teller client")
    parser.add_argument("--service", help="screening service URL (overrides service_url)")
    parser.add_argument("--kiosk", action="store_true", help="run as a lobby kiosk")
    parser.add_argument("--lang", choices=["zh-CN", "en"], help="user interface language")
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override any setting"
    )
    parser.add_argument(
        "--developer-insecure-tls",
        action="store_true",
        help="DEVELOPERS ONLY: do not verify the service's TLS certificate (red banner on every screen)",
    )
    commands = parser.add_subparsers(dest="command")
    enroll = commands.add_parser("enroll", help="store this terminal's API key in the OS keyring")
    enroll.add_argument("--service", dest="enroll_service", required=True, help="screening service URL")
    enroll.add_argument("--key-stdin", action="store_true", help="read the key from standard input")
    audit = commands.add_parser("audit", help="audit log tools")
    audit.add_argument("action", choices=["verify"])
    site = commands.add_parser("configure-site", help="installer: write the site configuration file")
    site.add_argument("--service-url", default="")
    site.add_argument("--branch-id", default="")
    site.add_argument("--kiosk", default="", help="1/true or 0/false; empty leaves it unchanged")
    commands.add_parser("remove-data", help="uninstaller (REMOVE_DATA=1): delete all CounterGuard data")
    parser.add_argument(
        "--screenshot", type=Path, metavar="DIR", help="render every screen and dialog to PNG files in DIR"
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check models, service, window and keyring; exit 1 on failure",
    )
    parser.add_argument(
        "--face-sample-dir", type=Path, metavar="DIR", help="--self-test: folders of photos, one per person"
    )
    # bench/bundle_metrics.py: start, report when the sign-in window is shown, run the camera N frames.
    parser.add_argument("--startup-probe", type=int, metavar="FRAMES", help=argparse.SUPPRESS)
    return parser


def command_line_settings(args: argparse.Namespace) -> dict[str, str]:
    overrides = parse_assignments(args.set)
    if args.service:
        overrides["service_url"] = args.service
    if args.kiosk:
        overrides["kiosk"] = "true"
    if args.lang:
        overrides["language"] = args.lang
    if args.developer_insecure_tls:
        overrides["developer_insecure_tls"] = "true"
    return overrides


def escape_what_output_cannot_encode() -> None:
    """Output redirected to a file or pipe on Windows is in the ANSI code page (cp1252 on an English
    Windows), which has no Chinese: print a backslash escape there instead of failing with
    UnicodeEncodeError (found running the Windows bundle's `--self-test > file`; consoles are unaffected)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)  # None in the windowed executable
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def main(argv: Sequence[str] | None = None) -> int:
    escape_what_output_cannot_encode()
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(command_line_settings(args))
    except SettingsError as error:
        print(f"CounterGuard cannot start: {error}", file=sys.stderr)
        return 2
    setup_logging(paths.log_dir(), settings.log_level)
    if args.command == "enroll":
        return enroll(settings, args.enroll_service, args.key_stdin)
    if args.command == "audit":
        return audit_verify()
    if args.command in ("configure-site", "remove-data"):
        return site_command(args)
    if args.screenshot:
        return run_screenshots(settings, args.screenshot)
    if args.self_test:
        return run_self_test(settings, args.face_sample_dir)
    if args.startup_probe is not None:
        from ui.selftest_window import startup_probe

        return startup_probe(settings, args.startup_probe)
    return run_app(settings)


def enroll(settings: Settings, service_url: str, key_from_stdin: bool) -> int:
    try:
        settings = load_settings({"service_url": service_url})
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    key = sys.stdin.readline().strip() if key_from_stdin else getpass.getpass("terminal key: ").strip()
    if not key:
        print("error: no key given; paste the key printed by issue-terminal-key", file=sys.stderr)
        return 2
    try:
        passphrase = credentials.certificate_passphrase(settings.client_certificate)
        client = ServiceClient(settings.service_url, key, settings, passphrase)
    except (credentials.CredentialError, OSError) as error:  # ssl.SSLError: the client certificate
        print(f"error: the client certificate cannot be used: {error}", file=sys.stderr)
        return 2
    health = client.health()
    client.close()
    if isinstance(health, ServiceFailure):
        print(f"error: the service did not accept this key: {health.detail}", file=sys.stderr)
        return 1
    credentials.store_terminal_key(settings.service_url, key)
    _save_user_settings({"service_url": settings.service_url, "terminal_id": str(health["terminal_id"])})
    print(
        f"enrolled terminal {health['terminal_id']} with {settings.service_url}; key stored in the OS keyring"
    )
    return 0


def _save_user_settings(values: dict[str, str]) -> None:
    """Merge into the user's settings file (plain keys only; the key itself never goes here)."""
    path = paths.user_config_file()
    current: dict[str, object] = {}
    if path.exists():
        current = tomllib.loads(path.read_text(encoding="utf-8"))
    current.update(values)
    lines = [f"{key} = {_toml_value(value)}" for key, value in current.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
    temporary.replace(path)  # never a half-written settings file


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def audit_verify(path: Path | None = None) -> int:
    store = AuditStore(path or paths.data_dir() / "audit.db")
    check = store.verify()
    store.close()
    if check.ok:
        print(f"audit chain intact: {check.records_checked} records verified")
        return 0
    print(
        f"audit chain BROKEN at record #{check.first_broken_sequence} ({check.first_broken_record_id}): "
        f"{check.problem}; {check.records_checked} records before it verified",
        file=sys.stderr,
    )
    return 1


def run_app(settings: Settings) -> int:
    from ui.app import run  # Qt is loaded only for the application itself

    return run(settings)


def run_screenshots(settings: Settings, folder: Path) -> int:
    from ui.screenshots import render_all

    written = render_all(settings, folder)
    print(f"{len(written)} screenshots written to {folder}")
    return 0


def site_command(args: argparse.Namespace) -> int:
    from teller_client import site_config

    if args.command == "remove-data":
        removed = site_config.remove_data()
        print("removed: " + (", ".join(str(folder) for folder in removed) or "nothing"))
        return 0
    try:
        path = site_config.configure_site(args.service_url, args.branch_id, args.kiosk)
    except site_config.SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"site configuration written to {path}")
    return 0


def run_self_test(settings: Settings, face_sample_dir: Path | None) -> int:
    from teller_client.selftest import run_self_test as run_checks
    from ui.selftest_window import check_main_window

    return run_checks(settings, face_sample_dir, check_main_window)


if __name__ == "__main__":
    sys.exit(main())
