"""Command-line parsing for the project's Python tools, with scir_hpc's error policy."""
import argparse


class OneLineArgumentParser(argparse.ArgumentParser):
    """Bad arguments: one line `PROG: error: ...` on stderr and exit code 2, no usage block."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (--help for usage)\n")
