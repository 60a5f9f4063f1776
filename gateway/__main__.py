import sys

from gateway.edges.cli import main

sys.exit(main())
