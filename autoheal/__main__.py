"""`python -m autoheal` is the `autoheal` command."""

from .cli import main

main()
