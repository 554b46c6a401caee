"""The organisers' workspace in the Django admin, one module per area; importing it registers them all."""

from feedback.admin import meeting, participants, queues, setup, trail  # noqa: F401
