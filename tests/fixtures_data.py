"""Shared pytest fixtures for the data area."""
