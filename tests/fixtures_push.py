"""Shared pytest fixtures for the push area."""
