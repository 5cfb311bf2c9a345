"""Tests of the component library."""
