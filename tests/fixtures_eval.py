"""Shared pytest fixtures for the eval area."""
