"""python -m trajectories: see trajectories/cli.py."""
import sys

from .cli import main

sys.exit(main())
