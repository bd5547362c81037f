"""`python -m crawler.cli …` is `nok-audit …`."""
import sys

from crawler.cli.main import main

sys.exit(main())
