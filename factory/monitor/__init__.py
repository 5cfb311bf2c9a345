"""Monitoring: drift and efficacy checks of a released model on new data, and their log."""
