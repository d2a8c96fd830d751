"""``python -m aioinstagram``: the same as the ``aioinstagram`` command."""

from ._cli.entry import main

if __name__ == "__main__":
    main()
