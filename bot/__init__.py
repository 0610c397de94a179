"""Onward: a Discord bot that helps job-search support groups through rejection."""
