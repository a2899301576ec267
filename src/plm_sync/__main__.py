"""`python -m plm_sync` runs the command line."""

from plm_sync.cli import main

main()
