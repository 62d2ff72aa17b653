"""The backends: summary, diagram, code generation, the live module, weights, export."""
