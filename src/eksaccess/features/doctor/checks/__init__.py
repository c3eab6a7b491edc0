"""Doctor checks, one module per group of links."""
