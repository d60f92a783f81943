"""Shared pytest fixtures for the model area."""
