"""Dataset files: download, load within a memory budget, synthetic Numerai-shaped data."""
