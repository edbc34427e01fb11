"""Reliability suites: faults between client and service, and in the processes themselves."""
