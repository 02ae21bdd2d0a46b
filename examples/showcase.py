"""The showcase: train a small MLP, evaluate it under grad mode, no_grad and inference_mode,
and see -- by running -- why PyTorch has two flags.

    python examples/showcase.py [--trace] [--fast]

The code lives in ``src/tensor/_showcase.py`` so that the installed console script
``tensorkeys-showcase`` runs the very same thing; read it there.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

from tensor._showcase import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
