"""Entry point for `python -m screening_service`."""

import sys

from screening_service.cli import main

sys.exit(main())
