"""Helpers shared by fibd's integration tests."""
