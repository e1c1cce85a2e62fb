import sys

from federator.cli import main

sys.exit(main())
