"""`python -m voxroom`: the `voxroom` command."""

from voxroom.cli import main

main()
