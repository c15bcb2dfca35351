"""``python -m wordlab …`` is the ``wordlab`` command, so ``torchrun --nproc-per-node N -m wordlab …`` works."""

import sys

from wordlab.cli import main

sys.exit(main())
