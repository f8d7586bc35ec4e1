"""Dependency audit with pip-audit: fails on known vulnerabilities, never on the network.

Exit 1 when pip-audit names a vulnerable dependency (or fails for a reason other than the
network). When the advisory service cannot be reached, or answers for none of the installed
packages (a registry mirror without its JSON API), the audit says so plainly and exits 0: a
build must not break because a service is away, but nobody should read silence as "audited".
"""

import json
import subprocess
import sys
from pathlib import Path

VENV_BIN = Path(sys.executable).parent
NETWORK_HINTS = (
    "ConnectionError",
    "Max retries exceeded",
    "Name or service not known",
    "Temporary failure in name resolution",
    "timed out",
    "Timeout",
    "ServiceError",
    "Network is unreachable",
)


def run_pip_audit() -> subprocess.CompletedProcess[str]:
    """pip-audit over the installed environment (the project itself is editable: skipped)."""
    command = [
        str(VENV_BIN / "pip-audit"),
        "--skip-editable",
        "--progress-spinner",
        "off",
        "--format",
        "json",
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)  # noqa: S603  # our own venv tool


def network_reason(stderr: str) -> str | None:
    """The line of pip-audit's error output that shows a network failure, if any."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in reversed(lines):
        if any(hint in line for hint in NETWORK_HINTS):
            return line[:300]
    return None


def main() -> int:
    """Run the audit and report in one plain paragraph."""
    try:
        result = run_pip_audit()
    except subprocess.TimeoutExpired:
        print("audit: SKIPPED – pip-audit got no answer within 600 s; nothing was audited.")
        return 0
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        if reason := network_reason(result.stderr):
            print(f"audit: SKIPPED – the advisory service is not reachable ({reason}).")
            print("audit: nothing was audited; run `make audit` where it is reachable.")
            return 0
        print(result.stderr)
        print(
            f"audit: pip-audit failed (exit {result.returncode}) for a reason other than the network."
        )
        return result.returncode or 1
    dependencies = report.get("dependencies", [])
    audited = [d for d in dependencies if "skip_reason" not in d]
    vulnerable = [d for d in audited if d.get("vulns")]
    for dependency in vulnerable:
        ids = ", ".join(v["id"] for v in dependency["vulns"])
        print(f"audit: VULNERABLE {dependency['name']} {dependency['version']}: {ids}")
    if vulnerable:
        return 1
    if not audited:
        reason = dependencies[0]["skip_reason"] if dependencies else "no dependencies listed"
        print(
            f"audit: SKIPPED – the advisory service answered for none of the {len(dependencies)} "
            f"installed packages (first: {reason}); nothing was audited."
        )
        return 0
    skipped = len(dependencies) - len(audited)
    print(
        f"audit: {len(audited)} dependencies audited, no known vulnerabilities ({skipped} skipped)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
