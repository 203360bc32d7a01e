"""The README's quick start stays true: two commands, and CI runs the test one verbatim."""

from __future__ import annotations

import re

from tests.conftest import REPO


def _quick_start_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(?:sh|bash|console)?\n(.*?)```", section, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_quick_start_is_exactly_two_commands() -> None:
    commands = _quick_start_commands()
    assert len(commands) == 2, commands
    assert "limelight demo" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    test_command = _quick_start_commands()[1]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci.splitlines()


def test_the_test_command_builds_llama_cpp_for_any_cpu() -> None:
    # A native llama.cpp build uses the build machine's newest instructions (AVX-512, AMX)
    # and dies with SIGILL elsewhere; the flags must apply to pip, so they are exported.
    test_command = _quick_start_commands()[1]
    prefix, _, rest = test_command.partition(" && ")
    assert prefix.startswith('export CMAKE_ARGS="'), prefix
    for flag in ("-DGGML_NATIVE=OFF", "-DGGML_AMX_INT8=OFF", "-DGGML_AMX_TILE=OFF"):
        assert flag in prefix
    assert "pip install" in rest
