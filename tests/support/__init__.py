"""Helpers shared by tests in several folders (real servers the tests start themselves)."""
