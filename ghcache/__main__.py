"""Entry of the zipapp and `python -m ghcache`: the launcher asks for the shim, people for the CLI."""

import sys

if len(sys.argv) > 1 and sys.argv[1] == "--ghcache-shim":
    del sys.argv[1]
    from ghcache.shim import main
else:
    from ghcache.cli import main

sys.exit(main())
