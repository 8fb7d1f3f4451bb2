"""Errors a sender raises that the outbox treats in its one way (notification_deliver)."""

from __future__ import annotations


class Undeliverable(Exception):
    """This recipient cannot take this message, and sending it again will not change that (a browser
    that unsubscribed, a chat platform refusing a message outside its reply window): the outbox marks
    the message failed with the reason and does not retry it. Any other exception is retried."""
