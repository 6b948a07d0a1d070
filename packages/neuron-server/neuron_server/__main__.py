"""`python -m neuron_server`: the container's entry, configured by environment variables only."""

import sys

from .serve import main

sys.exit(main())
