from django.dispatch import Signal

# Sent inside the transaction that made the change, with `event`: the COTEvent
# dict. Receivers must only write rows in that same transaction (an outbox) and
# leave side effects to `transaction.on_commit`: a rollback then drops both.
event_emitted = Signal()
