"""Scheduled sends: jobs, snapshots and the dispatcher that sends them at the embargo's lift."""
