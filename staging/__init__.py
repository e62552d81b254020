"""Staging of treatment-resistant depression: pure Python engines, no Django."""
