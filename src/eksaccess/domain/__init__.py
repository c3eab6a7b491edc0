"""The pure domain: no I/O, no clock, no environment. Imports nothing from the other layers."""
