"""Tests of the engagement registry."""
