"""Features: use cases combining the domain with adapters. They return data and never print."""
