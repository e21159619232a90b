"""python -m trajectories: the command line of trajectories/cli/main.py."""
import sys

from .cli.main import main

sys.exit(main())
