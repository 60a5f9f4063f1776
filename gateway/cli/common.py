"""What every command shares: the data directory and settings from flags or the environment."""

from __future__ import annotations

import argparse
from pathlib import Path

from gateway.config import DataDir, Settings


def add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="data directory (default: $EUREGATE_DATA_DIR or ./data)",
    )


def settings(args: argparse.Namespace) -> Settings:
    """Environment and defaults, overridden by whichever flags the command was given."""
    overrides = {
        name: getattr(args, name)
        for name in ("data_dir", "host", "port", "staff_port", "max_body_bytes")
        if getattr(args, name, None) is not None
    }
    return Settings().model_copy(update=overrides)


def layout(args: argparse.Namespace) -> DataDir:
    return DataDir(settings(args).data_dir)
