"""`python -m autoheal` and the zipapp's entry are the `autoheal` command (absolute import: the zipapp
runs this file as a top-level script)."""

import sys

from autoheal.cli import main

sys.exit(main())
