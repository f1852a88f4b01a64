"""``python -m freqfleet``: the same as the ``freqfleet`` command."""

import sys

from freqfleet.cli import main

sys.exit(main())
