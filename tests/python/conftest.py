import os
import sys

# Use the in-tree binding even when the environment was not set up.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bindings", "python"))
