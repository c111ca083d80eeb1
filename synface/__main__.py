import sys

from synface.cli import main

sys.exit(main())
