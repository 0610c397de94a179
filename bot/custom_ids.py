"""custom_id formats of persistent buttons and modals. A cog that shows a button builds its id
here; the cog that owns the action registers a DynamicItem with the matching template."""

from __future__ import annotations

REFLECT = r"onward:reflect:(?P<rejection_id>[0-9]{1,19})"
FEEDBACK_DRAFT = r"onward:feedback-draft:(?P<rejection_id>[0-9]{1,19})"
SHARE = r"onward:share:(?P<rejection_id>[0-9]{1,19})"
PRIVACY_DELETE = r"onward:privacy-delete:(?P<user_id>[0-9]{1,20}):(?P<deadline>[0-9]{1,12})"
PRIVACY_KEEP = r"onward:privacy-keep:(?P<user_id>[0-9]{1,20})"


def reflect(rejection_id: int) -> str:
    return f"onward:reflect:{rejection_id}"


def feedback_draft(rejection_id: int) -> str:
    return f"onward:feedback-draft:{rejection_id}"


def share(rejection_id: int) -> str:
    return f"onward:share:{rejection_id}"


def privacy_delete(user_id: int, deadline_epoch: int) -> str:
    return f"onward:privacy-delete:{user_id}:{deadline_epoch}"


def privacy_keep(user_id: int) -> str:
    return f"onward:privacy-keep:{user_id}"
