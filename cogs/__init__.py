"""Thin Discord adapters: parse options, call one service method, reply."""
