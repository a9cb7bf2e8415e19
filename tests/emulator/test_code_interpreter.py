"""The code_interpreter sandbox: a separate process, notebook-style output, timeout, no network."""

from __future__ import annotations

from harness.emulator.code_interpreter import run_code


def test_last_expression_is_shown_like_a_notebook() -> None:
    result = run_code("x = [i * i for i in range(5)]\nprint('squares')\nx", timeout=10)
    assert result.logs == "squares\n[0, 1, 4, 9, 16]\n" and not result.timed_out


def test_errors_give_a_traceback_of_the_cell_only() -> None:
    result = run_code("def f():\n    return 1 / 0\nf()", timeout=10)
    assert "ZeroDivisionError: division by zero" in result.logs
    assert 'File "<code>", line 2' in result.logs and "harness" not in result.logs


def test_timeout_kills_the_process() -> None:
    result = run_code("print('start', flush=True)\nwhile True:\n    pass", timeout=1)
    assert result.timed_out and result.logs.startswith("start\n")
    assert result.logs.endswith("Execution timed out after 1 seconds.")


def test_network_is_disabled() -> None:
    code = "import socket\ntry:\n    socket.create_connection(('127.0.0.1', 9))\nexcept OSError as e:\n    print(e)"
    assert "network access is disabled" in run_code(code, timeout=10).logs


def test_files_are_in_the_working_directory() -> None:
    result = run_code(
        "print(open('data.csv').read())", timeout=10, files={"data.csv": b"a,b\n1,2\n"}
    )
    assert result.logs == "a,b\n1,2\n\n"
