"""The code_interpreter sandbox, attacked: a planted key in the emulator's environment never
comes out, nothing outside the working directory is written, no connection leaves, no process
outlives the run, and limits hold. Each attack runs under every isolation this machine has
("namespaces" is skipped where the kernel refuses user namespaces; "process" always runs).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.emulator.tools.code_interpreter import run_code
from harness.emulator.tools.sandbox import Limits
from tests.emulator.leaks import leaks, planted_key

_AVAILABLE: dict[str, bool] = {}


def namespaces_available() -> bool:
    if "namespaces" not in _AVAILABLE:
        _AVAILABLE["namespaces"] = run_code("pass", timeout=10).isolation == "namespaces"
    return _AVAILABLE["namespaces"]


@pytest.fixture(params=["namespaces", "process"])
def isolation(request: pytest.FixtureRequest) -> str:
    if request.param == "namespaces" and not namespaces_available():
        pytest.skip("this machine refuses unprivileged user namespaces")
    return str(request.param)


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> str:
    """A key in the emulator process's environment, as a developer's OPENAI_API_KEY is."""
    key = planted_key()
    monkeypatch.setenv("OPENAI_API_KEY", key)
    monkeypatch.setenv("HARNESS_TEST_PLANTED", key)
    return key


def run(code: str, isolation: str, timeout: float = 10, **kwargs: object) -> str:
    result = run_code(textwrap.dedent(code), timeout=timeout, isolation=isolation, **kwargs)  # type: ignore[arg-type]
    assert result.isolation == isolation, result
    return result.logs


# --- secrets of the parent ----------------------------------------------------------


def test_the_parents_environment_and_memory_stay_out_of_reach(
    isolation: str, secret: str, tmp_path: Path
) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"OPENAI_API_KEY={secret}\n")
    logs = run(
        f"""
        import glob, os, re
        def show(text):
            print(text, flush=True)  # as found: a timeout must not hide what leaked
        show(repr(dict(os.environ)))
        paths = [f"/proc/{{os.getppid()}}/environ", "/proc/1/environ", "/proc/self/environ"]
        paths += glob.glob("/proc/[0-9]*/environ") + glob.glob("/proc/[0-9]*/cmdline")
        paths += [{str(dotenv)!r}, f"/proc/{{os.getppid()}}/cwd/.env"]
        paths += glob.glob(f"/proc/{{os.getppid()}}/fd/*")
        for path in paths:
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
                try:
                    show(os.read(fd, 1 << 20).decode("latin-1"))
                finally:
                    os.close(fd)
            except Exception as exc:
                show(f"{{path}}: {{type(exc).__name__}}")
        key = re.compile(rb"sk-[0-9a-f]{{48}}")
        try:  # the parent's memory, region by region
            with open(f"/proc/{{os.getppid()}}/maps") as maps, open(
                f"/proc/{{os.getppid()}}/mem", "rb", 0
            ) as mem:
                for line in maps:
                    span, perms = line.split()[:2]
                    start, end = (int(x, 16) for x in span.split("-"))
                    if perms.startswith("r") and end - start < 1 << 26:
                        try:
                            mem.seek(start)
                            for found in key.findall(mem.read(end - start)):
                                show(found.decode())
                        except OSError:
                            pass
        except Exception as exc:
            show(f"mem: {{type(exc).__name__}}")
        """,
        isolation,
        timeout=20,
    )
    assert leaks(secret, logs) == []
    assert "HARNESS_TEST_PLANTED" not in logs and "OPENAI_API_KEY" not in logs


def test_the_code_sees_a_clean_environment(isolation: str, secret: str) -> None:
    logs = run("import os\nprint(sorted(os.environ))", isolation)
    assert logs.strip() == str(
        sorted(
            [
                "HOME",
                "LANG",
                "LC_ALL",
                "MKL_NUM_THREADS",
                "MPLBACKEND",
                "OMP_NUM_THREADS",
                "OPENBLAS_NUM_THREADS",
                "PATH",
                "TMPDIR",
            ]
        )
    )


# --- the file system --------------------------------------------------------------------


def test_nothing_outside_the_working_directory_is_written(isolation: str, tmp_path: Path) -> None:
    project = Path.cwd()
    before = sorted(p.name for p in project.iterdir())
    targets = [tmp_path / "planted.txt", project / "PWNED", Path(sys.prefix) / "PWNED"]
    logs = run(
        f"""
        import os, shutil
        for target in {[str(t) for t in targets]!r}:
            for attempt in (
                lambda: open(target, "w").write("x"),
                lambda: os.open(target, os.O_CREAT | os.O_WRONLY),
                lambda: shutil.copy("/etc/hostname", target),
                lambda: os.symlink("/etc/hostname", target),
                lambda: os.mkdir(target),
            ):
                try:
                    attempt()
                    print("WROTE", target)
                except Exception as exc:
                    print("refused", type(exc).__name__)
        open("inside.txt", "w").write("fine")
        print(open("inside.txt").read())
        """,
        isolation,
    )
    assert "WROTE" not in logs and logs.rstrip().endswith("fine")
    assert not any(t.exists() or t.is_symlink() for t in targets)
    assert sorted(p.name for p in project.iterdir()) == before


def test_each_run_gets_a_fresh_working_directory(isolation: str) -> None:
    first = run("import os\nopen('left.txt', 'w').write('x')\nprint(os.getcwd())", isolation)
    second = run("import os\nprint(os.getcwd(), os.listdir('.'))", isolation)
    assert first.strip() != second.split()[0] and "left.txt" not in second
    assert not Path(first.strip()).exists()  # removed after the run


_LOCKING_CODE = """
import os
os.makedirs("locked/inner")
open("locked/inner/f.txt", "w").write("x")
os.chmod("locked/inner", 0o000)
os.chmod("locked", 0o000)
os.makedirs("read_only/deeper")
open("read_only/deeper/g.txt", "w").write("x")
os.chmod("read_only/deeper", 0o500)
os.chmod("read_only", 0o500)
os.makedirs("no_search")
open("no_search/h.txt", "w").write("x")
os.chmod("no_search", 0o600)
open("sealed.txt", "w").write("x")
os.chmod("sealed.txt", 0o000)
os.symlink("/usr", "usr_link")
os.chmod(".", 0o500)
print("locked")
"""


def test_the_cleanup_removes_what_the_code_locked_as_a_non_root_emulator(tmp_path: Path) -> None:
    """What code leaves behind with permissions its owner lacks is removed all the same. A
    root emulator could remove it anyway, so the cleanup runs as `nobody` here under root
    (in a forked child: the cleanup is the emulator's own code)."""
    from harness.emulator.tools.code_interpreter import remove_tree

    report_r, report_w = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child exits without returning)
        status = 3
        try:
            if os.getuid() == 0:
                os.setgroups([])
                os.setresgid(65534, 65534, 65534)
                os.setresuid(65534, 65534, 65534)
            base = tempfile.mkdtemp(prefix="emulator-ci-", dir="/tmp")
            os.write(report_w, base.encode())
            os.mkdir(os.path.join(base, "work"))
            os.chdir(os.path.join(base, "work"))
            with contextlib.redirect_stdout(io.StringIO()):
                exec(_LOCKING_CODE, {})
            os.chdir("/")
            remove_tree(Path(base))
            status = 1 if os.path.lexists(base) else 0
        finally:
            os._exit(status)
    os.close(report_w)
    _, wait_status = os.waitpid(child, 0)
    with os.fdopen(report_r, "rb") as report:
        base = report.read().decode()
    leftover = bool(base) and os.path.lexists(base)
    if leftover:  # as root, take it away for the next run
        subprocess.run(["chmod", "-R", "u+rwx", base], check=False)
        shutil.rmtree(base, ignore_errors=True)
    assert base.startswith("/tmp/emulator-ci-")
    assert os.waitstatus_to_exitcode(wait_status) == 0 and not leftover
    assert Path("/usr").is_dir() and oct(Path("/usr").stat().st_mode & 0o777) == "0o755"


def test_code_that_locks_its_folders_leaves_nothing_behind(
    isolation: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp_path.chmod(0o755)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert run(_LOCKING_CODE, isolation) == "locked\n"
    assert list(tmp_path.iterdir()) == []


# --- the network --------------------------------------------------------------------------


@pytest.fixture
def listeners(tmp_path: Path) -> Iterator[tuple[int, str, list[socket.socket]]]:
    """A TCP listener on loopback and a Unix socket: what the code must not reach."""
    tcp = socket.create_server(("127.0.0.1", 0))
    unix_path = str(tmp_path / "s.sock")
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(unix_path)
    unix.listen()
    for sock in (tcp, unix):
        sock.settimeout(0.2)
    try:
        yield tcp.getsockname()[1], unix_path, [tcp, unix]
    finally:
        tcp.close()
        unix.close()


def test_no_connection_leaves_the_sandbox(
    isolation: str, listeners: tuple[int, str, list[socket.socket]]
) -> None:
    port, unix_path, socks = listeners
    connect = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=2)"
    logs = run(
        f"""
        import os, socket, subprocess, sys, _socket
        attempts = {{
            "socket": lambda: socket.create_connection(("127.0.0.1", {port}), timeout=2),
            "_socket": lambda: _socket.socket().connect(("127.0.0.1", {port})),
            "udp": lambda: _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM).sendto(
                b"x", ("127.0.0.1", {port})
            ),
            "unix": lambda: _socket.socket(_socket.AF_UNIX).connect({unix_path!r}),
            "subprocess": lambda: subprocess.run([sys.executable, "-c", {connect!r}], check=True),
            "os.system": lambda: os.system(f"{{sys.executable}} -c \\"{connect}\\""),
            "posix_spawn": lambda: os.waitpid(
                os.posix_spawn(sys.executable, [sys.executable, "-c", {connect!r}], {{}}), 0
            ),
        }}
        for name, attempt in attempts.items():
            try:
                attempt()
                print(name, "ran")
            except BaseException as exc:
                print(name, "refused:", type(exc).__name__)
        """,
        isolation,
    )
    for sock in socks:
        with pytest.raises(TimeoutError):
            sock.accept()
    assert "socket refused" in logs and "_socket refused" in logs, logs


# --- processes and limits ----------------------------------------------------------------


def _processes_with(marker: str) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            if marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(int(pid))
    return found


def test_no_process_outlives_the_run(isolation: str) -> None:
    marker = "sandbox-child-" + planted_key()[3:15]
    sleeper = f"import time; time.sleep(60)  # {marker}"
    logs = run(
        f"""
        import os, subprocess, sys
        try:
            if os.fork() == 0:
                os.setsid()
                os.execv(sys.executable, [sys.executable, "-c", {sleeper!r}])
            print("forked")
        except OSError as exc:
            print("fork refused:", exc)
        try:
            subprocess.Popen([sys.executable, "-c", {sleeper!r}], start_new_session=True)
            print("spawned")
        except OSError as exc:
            print("spawn refused:", exc)
        """,
        isolation,
    )
    if isolation == "process":
        assert "fork refused" in logs and "spawn refused" in logs
    else:
        assert "forked" in logs and "spawned" in logs
    deadline = time.monotonic() + 2
    while _processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_with(marker) == []


def test_memory_is_bounded_also_across_forked_children(isolation: str) -> None:
    logs = run(
        """
        import os
        ok = 0
        try:
            children = []
            for _ in range(3):
                pid = os.fork()
                if pid == 0:
                    try:
                        block = bytearray(700 * 1024 * 1024)
                        os._exit(0)
                    except MemoryError:
                        os._exit(3)
                children.append(pid)
            ok = sum(os.waitstatus_to_exitcode(os.waitpid(p, 0)[1]) == 0 for p in children)
        except OSError as exc:
            print("fork refused:", exc)
        try:
            block = bytearray(700 * 1024 * 1024)
            ok += 1
        except MemoryError:
            pass
        print("allocated", ok)
        """,
        isolation,
    )
    assert "allocated 0" in logs, logs


def test_the_number_of_processes_is_bounded(isolation: str) -> None:
    logs = run(
        """
        import os, time
        made = 0
        try:
            for _ in range(200):
                if os.fork() == 0:
                    time.sleep(5)
                    os._exit(0)
                made += 1
        except OSError as exc:
            print("stopped:", type(exc).__name__)
        print("made", made)
        """,
        isolation,
    )
    made = int(logs.split("made")[-1])
    assert made < Limits().processes, logs


def test_cpu_time_and_wall_time_are_bounded(isolation: str) -> None:
    started = time.monotonic()
    result = run_code(
        "print('start', flush=True)\nwhile True:\n    pass", timeout=1.5, isolation=isolation
    )
    assert result.timed_out and result.logs.startswith("start\n")
    assert result.logs.endswith("Execution timed out after 1.5 seconds.")
    assert time.monotonic() - started < 5


def test_output_is_capped_and_the_code_stopped(isolation: str) -> None:
    started = time.monotonic()
    limits = Limits(output_bytes=64 * 1024)
    result = run_code(
        "import sys\nline = 'y' * 999 + '\\n'\nfor _ in range(50_000):\n    sys.stdout.write(line)",
        timeout=30,
        isolation=isolation,
        limits=limits,
    )
    assert result.truncated and not result.timed_out
    assert len(result.logs) < limits.output_bytes + 200
    assert result.logs.rstrip().endswith("bytes and was stopped]")
    assert time.monotonic() - started < 10


def test_file_size_and_open_files_are_bounded(isolation: str) -> None:
    logs = run(
        """
        try:
            open("big", "wb").write(b"0" * (100 * 1024 * 1024))
            print("big written")
        except OSError as exc:
            print("big refused:", exc.strerror)
        handles = []
        try:
            for i in range(1000):
                handles.append(open(f"f{i}", "w"))
        except OSError as exc:
            print("opened", len(handles), exc.strerror)
        """,
        isolation,
    )
    assert "big refused: File too large" in logs
    opened = int(logs.split("opened")[1].split()[0])
    assert opened < Limits().open_files


def test_the_view_is_read_only_and_holds_no_project_files(isolation: str, tmp_path: Path) -> None:
    if isolation != "namespaces":
        pytest.skip("a read-only view needs a mount namespace")
    (tmp_path / "notes.txt").write_text("private")
    hidden = [tmp_path / "notes.txt", Path.cwd() / "pyproject.toml", Path.home() / ".bashrc"]
    logs = run(
        f"""
        import os
        for path in ("/usr/PWNED", {sys.prefix + "/PWNED"!r}, "/etc/PWNED"):
            try:
                open(path, "w")
                print("WROTE", path)
            except OSError as exc:
                print(path, exc.strerror)
        print([os.path.exists(p) for p in {[str(p) for p in hidden]!r}])
        """,
        isolation,
    )
    assert "WROTE" not in logs and logs.count("Read-only file system") == 3, logs
    assert logs.rstrip().endswith("[False, False, False]")


# --- the guard (process isolation only) --------------------------------------------------


def test_the_guard_refuses_native_code_and_signals() -> None:
    logs = run(
        """
        import os, sys
        attempts = {
            "ctypes": lambda: __import__("ctypes"),
            "reimport": lambda: (sys.modules.pop("_posixsubprocess"), __import__("_posixsubprocess")),
            "signal parent": lambda: os.kill(os.getppid(), 0),
            "native module": lambda: (
                open("evil.so", "wb").write(b"\\x7fELF"),
                sys.path.insert(0, os.getcwd()),
                __import__("evil"),
            ),
        }
        for name, attempt in attempts.items():
            try:
                attempt()
                print(name, "ran")
            except BaseException as exc:
                print(name, "refused:", exc)
        """,
        "process",
    )
    assert " ran" not in logs, logs
    assert logs.count("sandbox") >= 4, logs


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs util-linux unshare")
def test_auto_refuses_the_process_fallback_unless_opted_in(tmp_path: Path) -> None:
    if not namespaces_available():
        pytest.skip("namespaces are already refused here; the other tests cover the fallback")
    script = tmp_path / "probe.py"
    marker = tmp_path / "ran"
    script.write_text(
        "from harness.emulator.tools.code_interpreter import run_code\n"
        "from harness.emulator.tools.sandbox import SandboxUnavailableError, describe_isolation\n"
        f"code = {'open(' + repr(str(marker)) + ', chr(119))'!r}\n"
        "print(run_code('print(1)', timeout=10, isolation='process').isolation)\n"
        "for isolation in ('auto', 'namespaces'):\n"
        "    try:\n        run_code(code, timeout=10, isolation=isolation)\n"
        "    except SandboxUnavailableError as exc:\n        print('unavailable:', exc)\n"
        "print(describe_isolation('auto'))\n"
    )
    # inside a user namespace that may create no further ones
    shell = 'echo 0 > /proc/sys/user/max_user_namespaces && exec "$0" "$1"'
    done = subprocess.run(
        ["unshare", "--user", "--map-root-user", "sh", "-c", shell, sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path.cwd(),
    )
    if done.returncode != 0 and "max_user_namespaces" in done.stderr:
        pytest.skip("cannot lower max_user_namespaces here")
    lines = done.stdout.splitlines()
    assert len(lines) == 4, (done.stdout, done.stderr)
    assert lines[0] == "process", done.stderr  # opted in: limits and the guard only
    assert lines[1].startswith("unavailable: code_interpreter: refused to run code: kernel ")
    assert "opt in with --sandbox process, the ini option assistants_sandbox = process" in lines[1]
    assert lines[2].startswith("unavailable: code_interpreter: isolation 'namespaces' is not")
    assert lines[3].startswith("refuses to run code: user namespaces are unavailable here")
    assert len(lines) == 4 and not marker.exists()


def test_an_unknown_isolation_is_refused() -> None:
    with pytest.raises(ValueError, match="isolation must be one of"):
        run_code("pass", timeout=5, isolation="none")


def test_the_plugin_opts_in_to_the_process_fallback_only_through_its_ini_option(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    pytester.makeini("[pytest]\nassistants_sandbox = off\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.stderr.fnmatch_lines(
        ["*assistants_sandbox: unknown value 'off'; choose one of auto, namespaces, process"]
    )
    pytester.makeini("[pytest]\nassistants_sandbox = process\n")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
