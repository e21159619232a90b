"""python -m trajectories: see trajectories/cli.py."""
import sys

from .cli.main import main

sys.exit(main())
