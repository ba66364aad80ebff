"""The `koldo` command."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import date, datetime
from pathlib import Path
from typing import NoReturn

from koldo import patches
from koldo.settings import Settings, SettingsError, load_settings

DESCRIPTION = """Koldo: the Telegram bot of the Center for the Protection of Children (Bishkek).

Settings come from KOLDO_* environment variables or a .env file in the working directory
(see README.md)."""


class _OneLineErrors(argparse.ArgumentParser):
    """A missing or unknown argument of `koldo export` said in one line, as the command's own
    checks say theirs (a script running exports reads one line)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"koldo: {message} (see: {self.prog} --help).\n")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="koldo", description=DESCRIPTION, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "run",
        help="a small deployment in one process: migrate the database to the newest schema,\n"
        "then handle Telegram's updates by long polling and do the background work (the\n"
        "outbox, scheduled jobs) until SIGINT or SIGTERM",
    )
    commands.add_parser(
        "bot",
        help="only handle Telegram's updates (one such process per bot token while polling);\n"
        "the database must be migrated (koldo migrate) and a worker must run somewhere",
    )
    commands.add_parser(
        "worker",
        help="only do the background work: send the outbox and run the scheduled jobs; run\n"
        "two or more, exactly one works at a time and another takes over within seconds\n"
        "when it dies",
    )
    migrate = commands.add_parser(
        "migrate",
        help="bring the database to the newest schema and exit (a deploy step: koldo bot and\n"
        "koldo worker do not migrate)",
    )
    migrate.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit with 3 when the database is not at the newest schema",
    )
    seed = commands.add_parser(
        "seed",
        help="load reference data (settlements, day centres, urgent numbers, programmes)\n"
        "from the reviewed data file; running it again changes only what changed",
    )
    seed.add_argument("--file", type=Path, help="data file (default: data/reference.toml)")
    staff = commands.add_parser(
        "staff",
        help="manage who may act in the staff group (card buttons, /queue, replies):\n"
        "koldo staff add USER_ID NAME [--admin] [--on-duty] | remove USER_ID | list",
    )
    staff_commands = staff.add_subparsers(dest="staff_command", required=True, metavar="ACTION")
    add = staff_commands.add_parser("add", help="list a person as staff (or update them)")
    add.add_argument("user_id", type=int, help="their Telegram user id")
    add.add_argument("name", help="the name shown on cards and in mentions")
    add.add_argument("--admin", action="store_true", help="an administrator")
    add.add_argument(
        "--on-duty", action="store_true", help="mentioned when an urgent request arrives"
    )
    remove = staff_commands.add_parser("remove", help="take a person off the staff list")
    remove.add_argument("user_id", type=int)
    staff_commands.add_parser("list", help="show the staff list")
    export = commands.add_parser(
        "export",
        help="write data for CPC's reports to a file:\n"
        "koldo export bookings --from YYYY-MM-DD --to YYYY-MM-DD [--format csv|xlsx] "
        "[--output FILE]",
    )
    export_commands = export.add_subparsers(
        dest="export_command", required=True, metavar="WHAT", parser_class=_OneLineErrors
    )
    bookings = export_commands.add_parser(
        "bookings",
        help="one row per day-centre booking whose visit falls on the days given (both\n"
        "included, in the centres' time zone), cancelled ones too, with attendance",
    )
    _span_options(bookings, "bookings-FROM-to-TO.csv (or .xlsx)")
    sessions = commands.add_parser(
        "sessions",
        help="training sessions: koldo sessions import FILE.csv|FILE.xlsx (columns in README;\n"
        "nothing is imported unless every line is good; importing again changes nothing)",
    )
    session_commands = sessions.add_subparsers(
        dest="sessions_command", required=True, metavar="ACTION"
    )
    import_ = session_commands.add_parser("import", help="import sessions from a table")
    import_.add_argument("file", type=Path, help="a .csv or .xlsx file with a header line")
    report = commands.add_parser(
        "report",
        help="figures for CPC and its donors:\n"
        "koldo report trainings --from 2027-01-01 --to 2027-03-31 [--format csv|xlsx]",
    )
    report_commands = report.add_subparsers(
        dest="report_command", required=True, metavar="WHAT", parser_class=_OneLineErrors
    )
    trainings = report_commands.add_parser(
        "trainings",
        help="sessions held, who came by programme, settlement, gender and age band, and\n"
        "trainers active, as a table here and, with --format or --output, in a file",
    )
    _span_options(trainings, "trainings-FROM-to-TO.csv (or .xlsx); none: the table only")
    return parser


def _span_options(parser: argparse.ArgumentParser, default_output: str) -> None:
    """--from, --to, --format and --output, as every command that writes a file for CPC's
    reports takes them; checked in `_span` and `_file`, which say what is wrong in one line."""
    parser.add_argument(
        "--from", dest="first", required=True, metavar="YYYY-MM-DD", help="the first day"
    )
    parser.add_argument(
        "--to", dest="last", required=True, metavar="YYYY-MM-DD", help="the last day (included)"
    )
    parser.add_argument("--format", metavar="csv|xlsx", help="default: csv, or --output's")
    parser.add_argument("--output", type=Path, metavar="FILE", help=f"default: {default_output}")


NOT_CURRENT = 3  # `koldo migrate --check`: the database is behind


async def _migrate_in_child(*arguments: str) -> int:
    """`koldo migrate` in a short-lived child process: Alembic's memory then never stays in a
    long-running one. Returns the child's exit code."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "koldo.cli", "migrate", *arguments
    )
    return await child.wait()


async def _serve(settings: Settings, command: str) -> None:
    from koldo.roles import Role, serve

    if settings.telegram.token is None:
        raise SettingsError(
            "Setting KOLDO_TELEGRAM__TOKEN is missing: put the bot token from @BotFather "
            "in the environment or in .env."
        )
    if command == "run":
        if await _migrate_in_child() != 0:
            raise SettingsError("The database could not be migrated; see the error above.")
        roles = frozenset(Role)
    else:
        if await _migrate_in_child("--check") != 0:
            raise SettingsError(
                "The database is not at the newest schema: run `koldo migrate` first."
            )
        roles = frozenset({Role(command)})
    await serve(settings, roles)


async def _seed(settings: Settings, path: Path | None) -> None:
    from core.errors import InvalidInput
    from core.reference import seed
    from storage.database import Database

    db = Database.from_url(settings.database.url)
    try:
        report = await seed(db, path or settings.data.reference_file)
    except InvalidInput as error:
        raise SettingsError(
            f"The reference data file is not valid: {error.params.get('where')}, "
            f"field {error.params.get('field')}."
        ) from error
    finally:
        await db.dispose()
    for table in report.changed:
        print(
            f"{table}: {report.changed[table]} added or changed, "
            f"{report.deactivated[table]} no longer listed"
        )
    for overflow in report.overflows:
        local = overflow.starts_at.astimezone(settings.locale.zone)
        print(
            f"kept, though the data no longer allows them ({overflow.why}): "
            f"{overflow.centre_code} {overflow.service_code} {local:%Y-%m-%d %H:%M}, "
            f"{overflow.booked} booked for {overflow.places} places: "
            f"{', '.join(overflow.references)}"
        )


async def _staff(settings: Settings, args: argparse.Namespace) -> None:
    from core import staff
    from core.errors import InvalidInput, NotFound
    from storage.database import Database

    db = Database.from_url(settings.database.url)
    try:
        if args.staff_command == "add":
            member = await staff.add_staff(
                db, args.user_id, args.name, is_admin=args.admin, on_duty=args.on_duty
            )
            print(f"{member.user_id} {member.name}: listed as staff")
        elif args.staff_command == "remove":
            await staff.remove_staff(db, args.user_id)
            print(f"{args.user_id}: no longer staff")
        else:
            for member in await staff.list_staff(db):
                flags = [
                    f for f, on in (("admin", member.is_admin), ("on duty", member.on_duty)) if on
                ]
                print(f"{member.user_id}\t{member.name}\t{', '.join(flags)}".rstrip())
    except NotFound as error:
        raise SettingsError(f"{args.user_id} is not on the staff list.") from error
    except InvalidInput as error:
        raise SettingsError(f"The staff {error.code} is not valid.") from error
    finally:
        await db.dispose()


def _day(value: str, option: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as error:
        raise SettingsError(f"{option} {value!r} is not a date like 2027-03-01.") from error


def _span(args: argparse.Namespace) -> tuple[date, date]:
    """The days asked for (both included), checked before anything is read or written."""
    first, last = _day(args.first, "--from"), _day(args.last, "--to")
    if last < first:
        raise SettingsError(f"--from {first} is after --to {last}.")
    return first, last


def _file(args: argparse.Namespace, name: str, *, wanted: bool = True) -> Path | None:
    """Where to write `name` (bookings, trainings) for the span: --output, or a name saying the
    span in the working directory; None when a file is not `wanted` and none was asked for."""
    from koldo.tables import FORMATS

    if not wanted and args.format is None and args.output is None:
        return None
    suffix = args.output.suffix.lstrip(".").lower() if args.output else ""
    file_format = (args.format or suffix or "csv").lower()
    if file_format not in FORMATS:
        raise SettingsError(f"--format {args.format!r} is not one of {', '.join(FORMATS)}.")
    if args.output and suffix != file_format:
        raise SettingsError(f"--output {args.output} is not a .{file_format} file.")
    output = args.output or Path(f"{name}-{args.first}-to-{args.last}.{file_format}")
    if not output.parent.is_dir():
        raise SettingsError(f"--output {output}: the folder {output.parent} does not exist.")
    return output


async def _export_bookings(settings: Settings, first: date, last: date, output: Path) -> None:
    from core.booking_export import bookings_between
    from koldo.exports import write
    from storage.database import Database

    db = Database.from_url(settings.database.url)
    try:
        rows = await bookings_between(
            db, first=first, last=last, zone=settings.locale.zone, actor="cli",
            file_format=output.suffix.lstrip("."),
        )  # fmt: skip
    finally:
        await db.dispose()
    try:
        write(rows, output)
    except OSError as error:
        raise SettingsError(f"--output {output} could not be written: {error.strerror}.") from error
    print(f"{len(rows)} bookings from {first} to {last} written to {output}")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = load_settings()
        if args.command in ("run", "bot", "worker"):
            # Only where Telegram is served: the short commands load no aiogram at all.
            patches.install(settings.performance)
            asyncio.run(_serve(settings, args.command))
        elif args.command == "migrate" and args.check:
            from storage.migrate import is_current

            return 0 if asyncio.run(is_current(settings.database.url)) else NOT_CURRENT
        elif args.command == "migrate":
            from storage.migrate import upgrade_sync

            upgrade_sync(settings.database.url)
            print("Database is at the newest schema.")
        elif args.command == "seed":
            from storage.migrate import upgrade_sync

            upgrade_sync(settings.database.url)
            asyncio.run(_seed(settings, args.file))
        elif args.command == "staff":
            from storage.migrate import upgrade_sync

            upgrade_sync(settings.database.url)
            asyncio.run(_staff(settings, args))
        elif args.command == "export":
            first, last = _span(args)
            output = _file(args, "bookings")
            from storage.migrate import upgrade_sync

            upgrade_sync(settings.database.url)
            asyncio.run(_export_bookings(settings, first, last, output))
        elif args.command == "sessions":
            from koldo.trainings_cli import import_file
            from storage.migrate import upgrade_sync

            upgrade_sync(settings.database.url)
            return asyncio.run(import_file(settings, args.file))
        elif args.command == "report":
            first, last = _span(args)
            output = _file(args, "trainings", wanted=False)
            from koldo.trainings_cli import report_trainings
            from storage.migrate import upgrade_sync

            upgrade_sync(settings.database.url)
            asyncio.run(report_trainings(settings, first, last, output))
    except SettingsError as error:
        print(f"koldo: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
