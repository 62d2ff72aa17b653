"""The core: elaboration to the graph IR, the layer registry, shape math."""
