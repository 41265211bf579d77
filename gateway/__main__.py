"""`python -m gateway`: run the media gateway (also `voxroom gateway`)."""

from gateway.server import main

main()
