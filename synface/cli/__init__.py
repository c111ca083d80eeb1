"""The `synface` command line: one module per subcommand group, registered below."""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import sys
from collections.abc import Sequence
from typing import NoReturn

from synface.cli.args import byte_size, check_files
from synface.data.safe_pickle import MAX_PACK_BYTES
from synface.errors import SynfaceError, exit_status
from synface.io.csvfile import MAX_CSV_BYTES
from synface.io.textfile import MAX_TEXT_BYTES
from synface.io.yamlfile import MAX_CONFIG_BYTES

# Each module defines `register(subparsers)`; its parsers set `func(args) -> int | None`.
SUBCOMMAND_MODULES = [
    "synface.cli.render",
    "synface.cli.importers",
    "synface.cli.align",
    "synface.cli.model",
    "synface.cli.train",
    "synface.cli.evaluate",
    "synface.cli.bench",
    "synface.cli.pipeline",
    "synface.cli.results",
    "synface.cli.variance",
    "synface.cli.crosscheck",
]


class Parser(argparse.ArgumentParser):
    """argparse's own errors (a missing or unknown argument, a bad choice) as one SynfaceError line
    naming the subcommand, not the usage block; subparsers inherit the class."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("synface").strip()
        raise SynfaceError(f"{command + ': ' if command else ''}{message} (see `{self.prog} --help`)")


INPUTS_EPILOG = (
    "Inputs are regular files or folders: a device, FIFO or socket is refused. A file read whole is refused "
    f"beyond its cap: a config {byte_size(MAX_CONFIG_BYTES)}; a pairs list, RecordIO index or property, or JSON "
    f"{byte_size(MAX_TEXT_BYTES)}; a scores CSV or result table {byte_size(MAX_CSV_BYTES)}; a .bin pack "
    f"{byte_size(MAX_PACK_BYTES)}. Bad input stops with one line naming the file (and line) and exit code 2."
)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="synface", description=__doc__, epilog=INPUTS_EPILOG)
    parser.add_argument("--version", action="version", version=f"%(prog)s {importlib.metadata.version('synface')}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name != name:
                raise
            continue  # a subcommand group not built yet
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    def run() -> int:
        args = build_parser().parse_args(argv)  # argument types may raise SynfaceError too
        check_files(args)
        return int(args.func(args) or 0)

    return exit_status(run)


if __name__ == "__main__":
    sys.exit(main())
