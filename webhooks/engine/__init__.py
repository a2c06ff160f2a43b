"""The delivery engine: routing events to webhooks, doorbells, drains, attempts, the clock.

Read docs/delivery.md first; each module's docstring says which part it is.
"""
