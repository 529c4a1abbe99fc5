"""``python -m controller.cli``: the ``qanat`` command without its console script."""

import sys

from controller.cli import main

sys.exit(main())
