"""python -m grading student | grade <folder> [--assignment NAME] [--jobs N] [--timeout S] | bench [--all] [-n N]"""

import sys


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("student", "grade", "bench"):
        print(__doc__.strip())
        return 2
    if argv[0] == "student":
        from .build import main as run
    elif argv[0] == "bench":
        from .bench import main as run
    else:
        from .grade import main as run
    return run(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
