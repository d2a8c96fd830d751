"""Checks of the built distributions (``nox -s package``): what each must and must not hold.

Usage: python .ci/check_dist.py WHEEL SDIST
"""

from __future__ import annotations

import sys
import tarfile
import zipfile


def main(wheel: str, sdist: str) -> int:
    problems: list[str] = []
    names = zipfile.ZipFile(wheel).namelist()
    for required in ("aioinstagram/__init__.py", "aioinstagram/py.typed",
                     "aioinstagram/emulator/pytest_plugin.py"):  # fmt: skip
        if required not in names:
            problems.append(f"wheel lacks {required}")
    if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names):
        problems.append("wheel lacks its LICENSE")
    if any(n.startswith(("tests/", "benchmarks/")) for n in names):
        problems.append("wheel ships tests or benchmarks")
    with tarfile.open(sdist) as tar:
        members = [m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name]
    for required in ("LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml", "noxfile.py",
                     "mkdocs.yml", "tests/fixtures/instagram-v1/README.md"):  # fmt: skip
        if required not in members:
            problems.append(f"sdist lacks {required}")
    for problem in problems:
        print(f"check_dist: {problem}")
    print(f"check_dist: {'FAILED' if problems else 'ok'} ({len(names)} files in the wheel, "
          f"{len(members)} in the sdist)")  # fmt: skip
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
