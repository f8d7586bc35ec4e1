"""The Dockerfile's steps, reproduced without Docker as an unprivileged user.

No Docker engine runs where the tests run, so the image could rot unseen (it did: the service
user could not create ``/app/var``). This test reads the Dockerfile and carries out its
instructions in a temporary folder that stands in for the image's file system: ``/app`` is
``<root>/app``, ``/opt/venv`` is ``<root>/opt/venv``, and every path in a command or ``ENV``
value is rewritten the same way. ``WORKDIR`` creates root-owned folders as Docker does, ``COPY``
copies the build context minus ``.dockerignore`` (and fails when a source is missing or ignored),
``USER`` switches to the unprivileged ``nobody`` for the user the Dockerfile creates, and from
then on ``RUN`` and ``CMD`` run as that user with the image's environment. The image's own
``publish`` step runs exactly as written, then ``CMD`` serves on a free loopback port, and the
test fetches ``/health/ready`` and the catalog over real HTTP and runs the ``HEALTHCHECK``.

Trade-offs, to keep it at a few seconds instead of minutes:

- The host's Python stands in for the ``python:3.11-slim`` base image; no OS packages are set up.
- The install step is a real ``pip install`` of the copied build context (so a file missing from
  the COPY lines or from the package data breaks it), but with ``--no-deps``: the venv reaches
  the third-party libraries through a ``.pth`` line to this test environment's site-packages
  instead of downloading them again. ``pip install --upgrade pip`` is skipped. Whether the
  dependencies resolve from the index is what ``make install`` checks with the same pyproject.
- Root steps of the runtime stage are carried out only for the commands listed in
  ``ROOT_COMMANDS``; any other command fails the test, so a new kind of step must be taught here.
- Both stages share one root folder: ``COPY --from=build /opt/venv /opt/venv`` copies to the
  same place, which a venv (not relocatable) needs.

Switching users needs root; the tests run as root here and in CI, elsewhere this test is
skipped with that reason.
"""

import json
import os
import pwd
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatch
from itertools import pairwise
from pathlib import Path, PurePosixPath

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from opendata_sozial.cli import base_url_mismatch
from tests.conftest import DATAPACKAGES, ROOT
from tests.servers import get, serving

DOCKERFILE = ROOT / "Dockerfile"
GEOGRAPHY = ROOT / "geography"
BASE_PATH = "/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
"""PATH of the python:3.11-slim image."""
ROOT_COMMANDS = ("useradd", "install", "mkdir", "chown", "chmod")
"""Commands a root RUN of the runtime stage may use; the test runs them on the stand-in root."""

LOCK = ROOT / "requirements.lock"
"""The pinned versions the image and ``make install`` install with (``make lock``)."""
needs_root = pytest.mark.skipif(
    os.geteuid() != 0,
    reason="runs the image's steps as the unprivileged user nobody, which needs root",
)


@dataclass
class Instruction:
    keyword: str
    arguments: str


def parse(text: str) -> list[Instruction]:
    """Instructions with their continuation lines joined and comment lines dropped."""
    instructions: list[Instruction] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pending = f"{pending} {line}" if pending else line
        if pending.endswith("\\"):
            pending = pending[:-1].rstrip()
            continue
        keyword, _, arguments = pending.partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip()))
        pending = ""
    assert not pending, f"Dockerfile ends inside a continued line: {pending}"
    return instructions


def ignored(relative: str, patterns: list[str]) -> bool:
    """Whether .dockerignore excludes this context path (or a folder above it)."""
    parts = PurePosixPath(relative).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        for prefix in prefixes:
            if fnmatch(prefix, pattern) or (
                pattern.startswith("**/") and fnmatch(prefix.rsplit("/", 1)[-1], pattern[3:])
            ):
                return True
    return False


@dataclass
class Image:
    """The stand-in file system of the image and the state of the instruction being carried out."""

    root: Path
    context: Path
    user_ids: tuple[int, int]
    python: str
    ignore: list[str]
    prefixes: list[str]
    users: set[str] = field(default_factory=set)
    workdir: str = "/"
    env: dict[str, str] = field(default_factory=dict)
    user: str = "root"
    stages: list[str] = field(default_factory=list)
    expose: list[int] = field(default_factory=list)
    healthcheck: str = ""
    cmd: list[str] = field(default_factory=list)

    def host(self, path: str) -> Path:
        absolute = PurePosixPath(self.workdir, path)
        return self.root / str(absolute).lstrip("/")

    def rewrite(self, text: str) -> str:
        """Image paths in a command or value -> paths under the stand-in root."""
        pattern = "|".join(re.escape(p) for p in sorted(self.prefixes, key=len, reverse=True))
        return re.sub(rf"(?<![\w.])({pattern})(?![\w.-])", lambda m: f"{self.root}{m[1]}", text)

    def ids(self, owner: str) -> str:
        """``ods`` or ``ods:ods`` -> the unprivileged ids standing in for that user."""
        names = owner.split(":")
        assert all(name in self.users for name in names), f"unknown user in {owner!r}"
        return ":".join(str(self.user_ids[i]) for i in range(len(names)))

    def run(self, command: list[str], *, as_user: bool, env: dict[str, str] | None = None) -> str:
        result = subprocess.run(
            command,
            cwd=self.host("."),
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            user=self.user_ids[0] if as_user else None,
            group=self.user_ids[1] if as_user else None,
            extra_groups=[] if as_user else None,
        )
        assert result.returncode == 0, (command, result.stdout, result.stderr)
        return result.stdout

    def user_env(self) -> dict[str, str]:
        return {**self.env, "HOME": str(self.host(f"/home/{self.user}"))}

    # Instructions

    def from_(self, arguments: str) -> None:
        words = arguments.split()
        assert words[0].startswith("python:3."), f"the host's Python stands in for {words[0]}"
        self.stages.append(words[2] if len(words) == 3 and words[1].upper() == "AS" else "")
        self.workdir, self.user = "/", "root"
        self.env = {"PATH": BASE_PATH, "LANG": "C.UTF-8"}

    def workdir_(self, arguments: str) -> None:
        self.workdir = str(PurePosixPath(self.workdir, arguments))
        self.host(".").mkdir(parents=True, exist_ok=True)

    def copy(self, arguments: str) -> None:
        words = shlex.split(arguments)
        flags: dict[str, str] = {}
        for word in words:
            if word.startswith("--"):
                name, _, value = word[2:].partition("=")
                flags[name] = value
        *sources, target = [w for w in words if not w.startswith("--")]
        destination = self.host(target)
        for source in sources:
            if "from" in flags:
                assert flags["from"] in self.stages, f"COPY --from an unknown stage: {arguments}"
                origin = self.host(source)
                assert origin.exists(), f"{source} does not exist in stage {flags['from']}"
                assert origin == destination, "copies between stages must keep the path (venv)"
                continue
            origin = self.context / source
            assert origin.exists(), f"COPY source {source} is not in the build context"
            assert not ignored(source, self.ignore), f"COPY source {source} is in .dockerignore"
            if origin.is_dir():
                self._copy_tree(origin, destination)
            else:
                into = destination if target.endswith("/") or len(sources) > 1 else None
                if into is not None:
                    into.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, into / origin.name if into else destination)
            if "chown" in flags:
                self.run(["chown", "-R", self.ids(flags["chown"]), str(destination)], as_user=False)

    def _copy_tree(self, origin: Path, destination: Path) -> None:
        for path in sorted(origin.rglob("*")):
            relative = path.relative_to(self.context).as_posix()
            if ignored(relative, self.ignore):
                continue
            copy = destination / path.relative_to(origin)
            if path.is_dir():
                copy.mkdir(parents=True, exist_ok=True)
            else:
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, copy)

    def env_(self, arguments: str) -> None:
        for word in shlex.split(arguments):
            name, _, value = word.partition("=")
            value = re.sub(r"\$\{?(\w+)\}?", lambda m: self.env.get(m[1], ""), value)
            self.env[name] = self.rewrite(value)

    def user_(self, arguments: str) -> None:
        assert arguments in self.users, f"USER {arguments} was not created by a RUN useradd"
        self.user = arguments

    def run_(self, arguments: str) -> None:
        if self.user != "root":  # exactly as written, as the unprivileged user
            self.run(["/bin/sh", "-c", self.rewrite(arguments)], as_user=True, env=self.user_env())
            return
        for part in arguments.split("&&"):
            self._root_command(shlex.split(part))

    def _root_command(self, words: list[str]) -> None:
        """A root step: the install steps of the build stage, or a listed ROOT_COMMAND."""
        if words[:3] == ["python", "-m", "venv"]:
            venv = self.host(words[3])
            self.run([self.python, "-m", "venv", "--without-pip", str(venv)], as_user=False)
            [site] = venv.glob("lib/python3*/site-packages")
            (site / "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        elif words[0].endswith("/bin/pip") and words[1] == "install":
            if words[-2:] == ["--upgrade", "pip"]:
                return
            python = self.rewrite(words[0].removesuffix("pip") + "python")
            arguments = [self.rewrite(w) for w in words[2:]]
            pip = [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps"]
            self.run([*pip, "--quiet", *arguments], as_user=False)
        elif words[0] in ROOT_COMMANDS:
            if words[0] == "useradd":
                name = words[-1]
                self.users.add(name)
                if "--create-home" in words or "-m" in words:
                    uid, gid = (str(i) for i in self.user_ids)
                    home = str(self.home(name))
                    self.run(["install", "-d", "-o", uid, "-g", gid, home], as_user=False)
                return
            converted = [words[0]]
            for previous, word in pairwise(words):
                if previous in {"-g", "--group"}:
                    word = str(self.user_ids[1]) if word in self.users else word
                elif previous in {"-o", "--owner"} or (
                    words[0] == "chown" and word.split(":")[0] in self.users
                ):
                    word = self.ids(word)
                converted.append(self.rewrite(word))
            self.run(converted, as_user=False)
        else:
            pytest.fail(f"root step the test cannot reproduce: {shlex.join(words)}")

    def home(self, name: str) -> Path:
        return self.root / "home" / name

    def expose_(self, arguments: str) -> None:
        self.expose = [int(port.split("/")[0]) for port in arguments.split()]

    def healthcheck_(self, arguments: str) -> None:
        self.healthcheck = arguments.split(" CMD ", 1)[1]

    def cmd_(self, arguments: str) -> None:
        self.cmd = json.loads(arguments)

    def build(self, instructions: list[Instruction]) -> None:
        steps = {
            "FROM": self.from_,
            "WORKDIR": self.workdir_,
            "COPY": self.copy,
            "ENV": self.env_,
            "USER": self.user_,
            "RUN": self.run_,
            "EXPOSE": self.expose_,
            "HEALTHCHECK": self.healthcheck_,
            "CMD": self.cmd_,
        }
        for instruction in instructions:
            if instruction.keyword not in steps:
                pytest.fail(f"instruction the test does not know: {instruction}")
            steps[instruction.keyword](instruction.arguments)


def _prefixes(instructions: list[Instruction]) -> list[str]:
    """The image's own top folders: WORKDIRs, absolute COPY targets, the venv, /home."""
    found = {"/home"}
    for instruction in instructions:
        words = shlex.split(instruction.arguments) if instruction.keyword != "CMD" else []
        if instruction.keyword == "WORKDIR":
            found.add(instruction.arguments)
        elif instruction.keyword == "COPY" and words[-1].startswith("/"):
            found.add(words[-1].rstrip("/"))
        elif instruction.keyword == "RUN" and "venv" in words:
            found.add(words[words.index("venv") + 1])
    return sorted(found)


def _python_for(user_ids: tuple[int, int]) -> str:
    """A Python of this version that the unprivileged user can run with this environment's
    libraries (this interpreter may live where only root can read, e.g. pyenv under /root)."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    libraries = sysconfig.get_paths()["purelib"]
    candidates = [str(Path(sys.executable).resolve()), f"/usr/local/bin/python{version}"]
    probe = f"import sys; sys.path.append({libraries!r}); import litestar, uvicorn"
    for candidate in [*candidates, f"/usr/bin/python{version}"]:
        try:
            ran = subprocess.run(
                [candidate, "-c", probe],
                cwd="/",
                capture_output=True,
                check=False,
                user=user_ids[0],
                group=user_ids[1],
                extra_groups=[],
            )
        except OSError:  # missing, or not executable for that user
            continue
        if ran.returncode == 0:
            return candidate
    pytest.skip(
        f"no Python {version} that user {user_ids[0]} can run with the libraries in {libraries}"
    )


@pytest.fixture
def stand_in_root() -> Iterator[Path]:
    """A folder the unprivileged user can enter (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="ods-image-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
@needs_root
def test_image_installs_publishes_and_serves_as_unprivileged_user(
    stand_in_root: Path, tmp_path: Path
) -> None:
    instructions = parse(DOCKERFILE.read_text(encoding="utf-8"))
    ignore_file = ROOT / ".dockerignore"
    ignore = [
        line.strip().rstrip("/")
        for line in ignore_file.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    nobody = pwd.getpwnam("nobody")
    image = Image(
        root=stand_in_root / "root",
        context=ROOT,
        user_ids=(nobody.pw_uid, nobody.pw_gid),
        python=_python_for((nobody.pw_uid, nobody.pw_gid)),
        ignore=ignore,
        prefixes=_prefixes(instructions),
    )
    image.root.mkdir(mode=0o755)
    image.build(instructions)  # the publish step runs here, as the unprivileged user

    assert image.user != "root", "the image must not serve as root"
    env = image.user_env()
    installed = image.run(
        ["python", "-c", "import opendata_sozial; print(opendata_sozial.__file__)"],
        as_user=True,
        env=env,
    )
    assert installed.startswith(str(image.host("/opt/venv"))), installed  # not this checkout
    venv = image.host("/opt/venv")
    assert venv.stat().st_uid == 0, "the service user must not own its code"
    database = Path(image.env["ODS_DATABASE_URL"].removeprefix("sqlite:///"))
    assert database.is_relative_to(image.host("/app/var"))
    assert database.stat().st_uid == nobody.pw_uid

    # CMD: the image's command on a free loopback port instead of 0.0.0.0:8000
    command = image.cmd
    host, port = command[command.index("--host") + 1], int(command[command.index("--port") + 1])
    assert image.expose == [port]
    assert f"127.0.0.1:{port}/health/ready" in image.healthcheck
    assert base_url_mismatch(image.env["ODS_BASE_URL"], host, port) is None

    def on(free: int) -> list[str]:
        words = list(command)
        words[words.index("--host") + 1] = "127.0.0.1"
        words[words.index("--port") + 1] = str(free)
        return words

    shipped = [*DATAPACKAGES.glob("*/datapackage.json"), *GEOGRAPHY.glob("*/datapackage.json")]
    packages = sorted(p.parent.name for p in shipped)  # the image publishes both folders
    with serving(on, env, tmp_path, cwd=image.host("."), user=image.user_ids) as free:
        base = f"http://127.0.0.1:{free}"
        assert get(f"{base}/health/ready") == (200, b'{"status":"ok","release":1}')
        status, body = get(f"{base}/api/v1/datasets")
        assert status == 200
        assert json.loads(body)["total"] == len(packages)
        health = shlex.split(image.healthcheck.replace(f":{port}/", f":{free}/"))
        image.run(health, as_user=True, env=env)  # exit 0: healthy
    assert "Traceback" not in (tmp_path / "stderr").read_text(encoding="utf-8")
    assert list(image.host("var").iterdir()), "the server keeps its state under /app/var"


def _pins() -> dict[str, str]:
    """requirements.lock as name -> version; every line must be an exact ``name==version`` pin."""
    pins: dict[str, str] = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, equals, version = line.partition("==")
        assert equals, f"not an exact pin: {line!r}"
        assert version, f"not an exact pin: {line!r}"
        assert ";" not in version, f"not an exact pin: {line!r}"
        assert canonicalize_name(name) not in pins, f"{name} pinned twice"
        pins[canonicalize_name(name)] = version
    return pins


def _pip_installs(instructions: list[Instruction]) -> list[tuple[list[str], list[str]]]:
    """Each ``pip install`` of the project (not of pip itself) with the files copied before it."""
    copied: list[str] = []
    installs: list[tuple[list[str], list[str]]] = []
    for instruction in instructions:
        words = shlex.split(instruction.arguments) if instruction.keyword != "CMD" else []
        if instruction.keyword == "COPY" and not any(w.startswith("--from") for w in words):
            copied += [w for w in words[:-1] if not w.startswith("--")]
        elif instruction.keyword == "RUN":
            for part in instruction.arguments.split("&&"):
                step = shlex.split(part)
                if step[0].endswith("pip") and step[1] == "install" and step[-1] != "pip":
                    installs.append((step, list(copied)))
    return installs


def test_image_installs_the_pinned_versions_of_the_lock_file() -> None:
    installs = _pip_installs(parse(DOCKERFILE.read_text(encoding="utf-8")))
    assert installs, "the Dockerfile installs the project with pip install"
    for step, copied in installs:
        flags = list(pairwise(step))
        assert ("--constraint", LOCK.name) in flags or ("-c", LOCK.name) in flags, step
        assert LOCK.name in copied, f"{LOCK.name} is not copied before {shlex.join(step)}"
    pins = _pins()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = [
        *project["dependencies"],
        *(r for extra in project["optional-dependencies"].values() for r in extra),
    ]
    names = [canonicalize_name(Requirement(r).name) for r in declared]
    assert len(names) == len(set(names)), "a dependency is declared twice in pyproject.toml"
    for text in declared:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not pinned in {LOCK.name}"
        assert requirement.specifier.contains(pins[name], prereleases=True), (text, pins[name])
    assert "pandas" not in {
        canonicalize_name(Requirement(r).name) for r in project["dependencies"]
    }, "pandas is a dev dependency (tests only)"
