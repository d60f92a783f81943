"""Shared pytest fixtures for the training area."""
