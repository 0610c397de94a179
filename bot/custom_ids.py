"""custom_id formats of persistent buttons and modals. A cog that shows a button builds its id
here; the cog that owns the action registers a DynamicItem with the matching template."""

from __future__ import annotations

REFLECT = r"onward:reflect:(?P<rejection_id>[0-9]{1,19})"
FEEDBACK_DRAFT = r"onward:feedback-draft:(?P<rejection_id>[0-9]{1,19})"
SHARE = r"onward:share:(?P<rejection_id>[0-9]{1,19})"
ENCOURAGE = r"onward:encourage:(?P<share_id>[0-9]{1,19}):(?P<mode>named|anon)"
PRIVACY_DELETE = r"onward:privacy-delete:(?P<user_id>[0-9]{1,20}):(?P<deadline>[0-9]{1,12})"
PRIVACY_KEEP = r"onward:privacy-keep:(?P<user_id>[0-9]{1,20})"
APPLY_UNDO = r"onward:apply-undo:(?P<application_id>[0-9]{1,19})"
APPLY_ANYWAY = r"onward:apply-anyway:(?P<pending_id>[0-9]{1,19})"
APPLY_DELETE = r"onward:apply-delete:(?P<application_id>[0-9]{1,19})"
APPLY_REJECTION = r"onward:apply-rejection:(?P<application_id>[0-9]{1,19})"
APPLY_IMPORT = r"onward:apply-import:(?P<pending_id>[0-9]{1,19}):(?P<action>go|cancel)"
PROMPT_LATER = r"onward:prompt-later:(?P<rejection_id>[0-9]{1,19})"
PROMPT_SKIP = r"onward:prompt-skip:(?P<rejection_id>[0-9]{1,19})"
FEEDBACK_TONE = r"onward:feedback-tone:(?P<rejection_id>[0-9]{1,19}):(?P<tone>brief|warm|formal)"
FEEDBACK_SENT = r"onward:feedback-sent:(?P<rejection_id>[0-9]{1,19})"
FEEDBACK_LOG = r"onward:feedback-log:(?P<rejection_id>[0-9]{1,19})"
FEEDBACK_STOP = r"onward:feedback-stop:(?P<rejection_id>[0-9]{1,19})"
# A merged DM's entries, e.g. "r12.f34": r = reflection prompt, f = feedback follow-up.
DM_ITEMS = r"(?P<items>[rf][0-9]{1,19}(?:\.[rf][0-9]{1,19}){0,9})"
DM_PICK = r"onward:dm-pick:" + DM_ITEMS
DM_ENTRY = r"onward:dm-entry:" + DM_ITEMS
PAUSE = r"onward:pause:(?P<setting>dm_prompts|personal_nudges)"
PAUSE_NOTES = r"onward:pause-notes"


def reflect(rejection_id: int) -> str:
    return f"onward:reflect:{rejection_id}"


def feedback_draft(rejection_id: int) -> str:
    return f"onward:feedback-draft:{rejection_id}"


def share(rejection_id: int) -> str:
    return f"onward:share:{rejection_id}"


def encourage(share_id: int, anonymous: bool) -> str:
    return f"onward:encourage:{share_id}:{'anon' if anonymous else 'named'}"


def privacy_delete(user_id: int, deadline_epoch: int) -> str:
    return f"onward:privacy-delete:{user_id}:{deadline_epoch}"


def privacy_keep(user_id: int) -> str:
    return f"onward:privacy-keep:{user_id}"


def apply_undo(application_id: int) -> str:
    return f"onward:apply-undo:{application_id}"


def apply_anyway(pending_id: int) -> str:
    return f"onward:apply-anyway:{pending_id}"


def apply_delete(application_id: int) -> str:
    return f"onward:apply-delete:{application_id}"


def apply_rejection(application_id: int) -> str:
    return f"onward:apply-rejection:{application_id}"


def apply_import(pending_id: int, go: bool) -> str:
    return f"onward:apply-import:{pending_id}:{'go' if go else 'cancel'}"


def prompt_later(rejection_id: int) -> str:
    return f"onward:prompt-later:{rejection_id}"


def prompt_skip(rejection_id: int) -> str:
    return f"onward:prompt-skip:{rejection_id}"


def feedback_tone(rejection_id: int, tone: str) -> str:
    return f"onward:feedback-tone:{rejection_id}:{tone}"


def feedback_sent(rejection_id: int) -> str:
    return f"onward:feedback-sent:{rejection_id}"


def feedback_log(rejection_id: int) -> str:
    return f"onward:feedback-log:{rejection_id}"


def feedback_stop(rejection_id: int) -> str:
    return f"onward:feedback-stop:{rejection_id}"


def pause(setting: str) -> str:
    return f"onward:pause:{setting}"


def pause_notes() -> str:
    return "onward:pause-notes"


SHARE_POST = (r"onward:share-post:(?P<rejection_id>[0-9]{1,19}):(?P<mode>named|anon)"
              r":(?P<company>[01])")
SHARE_CANCEL = r"onward:share-cancel:(?P<rejection_id>[0-9]{1,19})"
REPORT_NOTE = r"onward:report-note:(?P<encouragement_id>[0-9]{1,19})"


def share_post(rejection_id: int, *, named: bool, show_company: bool) -> str:
    """Post it on a share preview: the id says exactly what the preview showed."""
    return (f"onward:share-post:{rejection_id}:{'named' if named else 'anon'}"
            f":{int(show_company)}")


def share_cancel(rejection_id: int) -> str:
    return f"onward:share-cancel:{rejection_id}"


def report_note(encouragement_id: int) -> str:
    return f"onward:report-note:{encouragement_id}"

NO_DMS = r"onward:no-dms"


def no_dms() -> str:
    return "onward:no-dms"


REJECTION_UNDO = r"onward:rejection-undo:(?P<rejection_id>[0-9]{1,19})"
REJECTION_ANYWAY = r"onward:rejection-anyway:(?P<pending_id>[0-9]{1,19})"
REJECTION_DELETE = r"onward:rejection-delete:(?P<rejection_id>[0-9]{1,19}):(?P<action>go|keep)"
GOOD_NEWS = r"onward:good-news:(?P<application_id>[0-9]{1,19})"
GOOD_NEWS_POST = (r"onward:good-news-post:(?P<application_id>[0-9]{1,19}):(?P<mode>named|anon)"
                  r":(?P<action>go|cancel|switch)")


def rejection_undo(rejection_id: int) -> str:
    return f"onward:rejection-undo:{rejection_id}"


def rejection_anyway(pending_id: int) -> str:
    return f"onward:rejection-anyway:{pending_id}"


def rejection_delete(rejection_id: int, go: bool) -> str:
    return f"onward:rejection-delete:{rejection_id}:{'go' if go else 'keep'}"


def good_news(application_id: int) -> str:
    return f"onward:good-news:{application_id}"


def good_news_post(application_id: int, *, named: bool, action: str) -> str:
    """A good-news preview's buttons: go (Post it), cancel, or switch (named <-> anonymous)."""
    return f"onward:good-news-post:{application_id}:{'named' if named else 'anon'}:{action}"


def dm_items(items: list[tuple[str, int]]) -> str:
    """("r" or "f", entry id) pairs as they travel in a custom_id (at most 100 characters, so
    entries that would not fit are left out of the choice; the DM still names them)."""
    kept: list[str] = []
    for kind, entry_id in items:
        candidate = ".".join([*kept, f"{kind}{entry_id}"])
        if len("onward:dm-entry:" + candidate) > 100 or len(kept) == 10:
            break
        kept.append(f"{kind}{entry_id}")
    return ".".join(kept)


def parse_dm_items(text: str) -> list[tuple[str, int]]:
    return [(part[0], int(part[1:])) for part in text.split(".") if part]


def dm_pick(items: list[tuple[str, int]]) -> str:
    return f"onward:dm-pick:{dm_items(items)}"


def dm_entry(items: list[tuple[str, int]]) -> str:
    return f"onward:dm-entry:{dm_items(items)}"
