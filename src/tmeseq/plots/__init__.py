"""Figures of the workflow: one module per stage, each function writes one file and closes it."""
