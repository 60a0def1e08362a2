import sys

from rmtcheck.cli import main

sys.exit(main())
