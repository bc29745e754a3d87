"""The README documents what the program offers: commands, options, settings."""

from __future__ import annotations

import click
import pytest

from tests.conftest import ROOT
from webapp.cli import cli

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_commands():
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["./run.sh serve", "./run.sh test"]
    assert "./run.sh test" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_and_option_is_documented(name):
    command = cli.commands[name]
    assert f"seedsearch {name}" in README
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert any(opt in README for opt in param.opts), (name, param.opts)
            if param.envvar:
                assert param.envvar in README
