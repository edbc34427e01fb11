"""Command line of the screening service: serve, migrate, import lists, tellers, terminal keys, demo data."""

import argparse
import dataclasses
import getpass
import logging
import os
import ssl
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from screening_service import __version__, workers
from screening_service.admin import AdminError, add_teller, issue_terminal_key, revoke_terminal_key
from screening_service.database import (
    SchemaOutdatedError,
    default_database_url,
    make_engine,
    migrate,
    require_current_schema,
)
from screening_service.demo import DEMO_TELLERS, seed_demo
from screening_service.lists import import_list
from screening_service.rules import DEFAULT_RULES_PATH, RulesError, load_rules
from screening_service.settings import ServiceSettings

log = logging.getLogger("screening_service.cli")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
DEFAULT_PORT = 8470


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be 1 or more")
    return value


def _add_database(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database",
        default=None,
        help="SQLAlchemy URL: sqlite:///path.db or postgresql://user@host/db "
        "(default: a SQLite file in the CounterGuard data folder)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m screening_service", description="CounterGuard reference screening service"
    )
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_positive_int, default=DEFAULT_PORT)
    serve.add_argument("--workers", type=_positive_int, default=1, help="worker processes (default 1)")
    serve.add_argument("--rules", type=Path, default=DEFAULT_RULES_PATH, help="rules TOML file")
    serve.add_argument(
        "--lookup-per-minute",
        type=_positive_int,
        default=int(
            os.environ.get("COUNTERGUARD_SERVICE_LOOKUP_PER_MINUTE", ServiceSettings.lookup_per_minute)
        ),
        help="public account lookups allowed per terminal per minute (default %(default)s)",
    )
    serve.add_argument("--tls-certificate", type=Path, help="serve HTTPS with this PEM certificate (chain)")
    serve.add_argument("--tls-key", type=Path, help="the certificate's PEM private key")
    serve.add_argument(
        "--tls-client-ca", type=Path, help="mutual TLS: accept only client certificates issued by this CA"
    )
    serve.add_argument(
        "--no-migrate",
        action="store_true",
        help="refuse to start on an old schema instead of upgrading it",
    )
    _add_database(serve)

    migrate_command = commands.add_parser("migrate", help="upgrade the database schema")
    _add_database(migrate_command)

    importer = commands.add_parser("import-list", help="import listed accounts from a CSV file")
    importer.add_argument("file", type=Path)
    importer.add_argument("--source", required=True, choices=["police", "peer", "internal"])
    importer.add_argument("--rules", type=Path, default=DEFAULT_RULES_PATH)
    _add_database(importer)

    teller = commands.add_parser("add-teller", help="add a teller or supervisor")
    teller.add_argument("--id", required=True, dest="teller_id")
    teller.add_argument("--name", required=True)
    teller.add_argument("--role", default="teller", choices=["teller", "supervisor"])
    teller.add_argument("--branch", required=True)
    teller.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    teller.add_argument("--replace", action="store_true", help="reset an existing teller")
    _add_database(teller)

    key = commands.add_parser("issue-terminal-key", help="issue (or re-issue) a terminal API key")
    key.add_argument("--terminal", required=True)
    key.add_argument("--branch", required=True)
    key.add_argument("--kind", default="counter", choices=["counter", "kiosk"])
    _add_database(key)

    revoke = commands.add_parser(
        "revoke-terminal-key", help="revoke a terminal's API key (lost or stolen PC)"
    )
    revoke.add_argument("--terminal", required=True)
    _add_database(revoke)

    demo = commands.add_parser("demo-seed", help="load the demo data set")
    _add_database(demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level, format=LOG_FORMAT, stream=sys.stderr)
    database = args.database or default_database_url()
    handlers: dict[str, Callable[[argparse.Namespace, str], int]] = {
        "serve": _serve,
        "migrate": _migrate,
        "import-list": _import_list,
        "add-teller": _add_teller,
        "issue-terminal-key": _issue_key,
        "revoke-terminal-key": _revoke_key,
        "demo-seed": _demo_seed,
    }
    try:
        return handlers[args.command](args, database)
    except (AdminError, RulesError, SchemaOutdatedError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ArgumentError as error:
        print(f"error: --database {database!r} is not a database URL ({error})", file=sys.stderr)
        return 2
    except OperationalError as error:
        where = make_url(database).render_as_string(hide_password=True)
        print(f"error: cannot use the database {where}: {error.orig}", file=sys.stderr)
        return 2


def _serve(args: argparse.Namespace, database: str) -> int:
    import uvicorn  # imported here: the other commands should not pay for it

    if bool(args.tls_certificate) != bool(args.tls_key) or (args.tls_client_ca and not args.tls_certificate):
        print(
            "error: --tls-certificate and --tls-key go together (and --tls-client-ca needs them)",
            file=sys.stderr,
        )
        return 2
    load_rules(args.rules)  # a broken rules file stops start-up with its own message
    engine = make_engine(database)
    if args.no_migrate:
        require_current_schema(engine)
    else:
        migrate(engine)
    engine.dispose()
    # Settings not on the command line (session length, lockout, ...) keep their
    # COUNTERGUARD_SERVICE_* values; the command line wins where it has an option.
    os.environ.setdefault("COUNTERGUARD_SERVICE_DATABASE_URL", database)
    settings = dataclasses.replace(
        ServiceSettings.from_environment(),
        database_url=database,
        rules_path=args.rules,
        lookup_per_minute=args.lookup_per_minute,
    )
    os.environ.update(settings.to_environment())
    own_sockets = args.workers > 1 and workers.supported()
    if own_sockets:
        try:
            workers.check_port_free(args.host, args.port)
        except OSError as error:
            reason = error.strerror or error
            print(f"error: cannot listen on {args.host}:{args.port}: {reason}", file=sys.stderr)
            return 2
    scheme = "https" if args.tls_certificate else "http"
    print(
        f"CounterGuard screening service {__version__} listening on "
        f"{scheme}://{args.host}:{args.port} (database {engine.url.render_as_string()})",
        flush=True,
    )
    options: dict[str, Any] = {
        "log_config": None,
        # Paths carry account numbers (GET /v1/accounts/{number}/risk): no access log.
        "access_log": False,
        "log_level": args.log_level.lower(),
    }
    if args.tls_certificate:
        options.update(ssl_certfile=str(args.tls_certificate), ssl_keyfile=str(args.tls_key))
    if args.tls_client_ca:
        options.update(ssl_ca_certs=str(args.tls_client_ca), ssl_cert_reqs=ssl.CERT_REQUIRED)
    if own_sockets:
        return workers.Supervisor(args.workers, args.host, args.port, options, LOG_FORMAT).run()
    uvicorn.run(workers.APP, factory=True, host=args.host, port=args.port, workers=args.workers, **options)
    return 0


def _migrate(_args: argparse.Namespace, database: str) -> int:
    migrate(make_engine(database))
    print("database schema is up to date")
    return 0


def _progress_printer(label: str) -> Callable[[int, int], None]:
    interactive = sys.stderr.isatty()
    last_shown = [-1]

    def show(done: int, total: int) -> None:
        percent = done * 100 // max(total, 1)
        if interactive:
            bar = "#" * (percent // 4)
            end = "\n" if done >= total else ""
            print(f"\r{label} [{bar:<25}] {percent:3d}% {done}/{total}", end=end, file=sys.stderr)
        elif percent // 10 != last_shown[0] // 10 or done >= total:
            print(f"{label}: {percent}% ({done}/{total})", file=sys.stderr)
        last_shown[0] = percent

    return show


def _import_list(args: argparse.Namespace, database: str) -> int:
    if not args.file.is_file():
        print(f"error: {args.file}: no such file", file=sys.stderr)
        return 2
    rules = load_rules(args.rules)
    engine = make_engine(database)
    migrate(engine)
    report = import_list(engine, args.file, args.source, rules.typologies, _progress_printer("importing"))
    for error in report.errors:
        print(error, file=sys.stderr)
    print(
        f"{args.file}: {report.rows_read} rows read, {report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged, {len(report.errors)} rejected"
    )
    return 1 if report.errors else 0


def _add_teller(args: argparse.Namespace, database: str) -> int:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {args.teller_id}: ")
        if getpass.getpass("again: ") != password:
            print("error: the two passwords differ", file=sys.stderr)
            return 2
    engine = make_engine(database)
    migrate(engine)
    add_teller(engine, args.teller_id, args.name, args.role, args.branch, password, args.replace)
    print(f"{args.role} {args.teller_id} ({args.name}) saved for branch {args.branch}")
    return 0


def _issue_key(args: argparse.Namespace, database: str) -> int:
    engine = make_engine(database)
    migrate(engine)
    issued = issue_terminal_key(engine, args.terminal, args.branch, args.kind)
    print(
        f"terminal {args.terminal} ({args.kind}, branch {args.branch}); any earlier key is revoked.\n"
        "Store this key in the terminal's keyring now; it is not shown again:",
        file=sys.stderr,
    )
    print(issued.key)
    return 0


def _revoke_key(args: argparse.Namespace, database: str) -> int:
    engine = make_engine(database)
    migrate(engine)
    revoke_terminal_key(engine, args.terminal)
    print(f"terminal {args.terminal}: key revoked; issue-terminal-key gives it a new one")
    return 0


def _demo_seed(_args: argparse.Namespace, database: str) -> int:
    engine = make_engine(database)
    migrate(engine)
    seed = seed_demo(engine)
    print(f"demo data loaded into branch {seed.branch_id}")
    for teller in DEMO_TELLERS:
        print(f"  {teller.role:<10} {teller.teller_id}  {teller.name}  password: {teller.password}")
    print(f"  counter terminal {seed.counter_terminal_id} key: {seed.counter_key}")
    print(f"  kiosk terminal   {seed.kiosk_terminal_id} key: {seed.kiosk_key}")
    return 0
