"""(being written)"""

FUNCTIONS = []     # names of Tensor methods also exposed as torch.<name>(input, ...)
TOPLEVEL = {}      # torch.<name> functions that are not Tensor methods
