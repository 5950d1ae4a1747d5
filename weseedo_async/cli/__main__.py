"""``python -m weseedo_async.cli``: the ``weseedo`` command without its console script."""

import sys

from . import main

sys.exit(main())
