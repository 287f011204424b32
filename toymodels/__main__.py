import sys

from toymodels.cli import console_main

sys.exit(console_main())
