"""Read-only SQL behind /progress and /insights: a member's effort, counted per week, and
the text of their reflections and feedback notes. Every query is scoped to one user id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.db.connection import Database

# Stages that mean the entry got past the screening steps into an actual interview.
INTERVIEW_STAGES = ("phone-screen", "technical", "take-home", "onsite", "final", "offer")


@dataclass(frozen=True, slots=True)
class WeekActivity:
    """Counts for one window [start, end) of UTC instants (a local week)."""
    start: str
    reflections: int
    feedback_asked: int
    feedback_received: int


@dataclass(frozen=True, slots=True)
class Totals:
    applications: int
    rejections: int
    interviews_reached: int
    reflections: int
    feedback_asked: int
    feedback_received: int
    # Wins, from the applications' status history (/apply update): applications that
    # reached the interviews (or went straight to an offer), and offers.
    interviews_won: int = 0
    offers: int = 0


@dataclass(frozen=True, slots=True)
class Note:
    """One reflection or one feedback note, as the member wrote it."""
    kind: str                 # "reflection" or "feedback"
    id: int
    written_at: str
    company: str
    struggled: str = ""
    unprepared: str = ""
    differently: str = ""
    went_well: str = ""
    practise: str = ""
    feedback: str = ""


class ProgressRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def applications_per_week(self, user_id: int) -> dict[str, int]:
        """Applications per local week, keyed by the week's Monday (YYYY-MM-DD).
        applied_on is already the member's local date, so SQLite's date arithmetic is exact:
        'weekday 0' moves to the coming Sunday (or stays on one), '-6 days' back to Monday."""
        monday = ("to_char(date_trunc('week', applied_on::date), 'YYYY-MM-DD')"
                  if self.db.dialect == "postgresql"
                  else "date(applied_on, 'weekday 0', '-6 days')")
        rows = await self.db.fetchall(
            f"SELECT {monday} AS monday, COUNT(*) AS n"
            " FROM applications WHERE user_id = ? GROUP BY monday",
            (user_id,),
        )
        return {row["monday"]: int(row["n"]) for row in rows}

    async def activity_per_window(
        self, user_id: int, windows: Sequence[tuple[str, str]]
    ) -> list[WeekActivity]:
        """Reflections written, feedback asked and feedback received in each [start, end)
        window. The windows are local weeks turned into UTC text by the caller (SQLite knows
        no IANA timezones); the comparisons work because every instant is stored in one form."""
        if not windows:
            return []
        # ?1 is the member; each window's bounds follow as ?2, ?3, ?4 ...
        values = ", ".join(f"(CAST(?{2 * i + 2} AS TEXT), CAST(?{2 * i + 3} AS TEXT))"
                           for i in range(len(windows)))
        rows = await self.db.fetchall(
            f"WITH w(start, stop) AS (VALUES {values}) SELECT w.start,"
            " (SELECT COUNT(*) FROM reflections r WHERE r.user_id = ?1"
            "   AND r.created_at >= w.start AND r.created_at < w.stop) AS reflections,"
            " (SELECT COUNT(*) FROM feedback_requests f WHERE f.user_id = ?1"
            "   AND f.sent_at >= w.start AND f.sent_at < w.stop) AS asked,"
            " (SELECT COUNT(*) FROM feedback_requests f WHERE f.user_id = ?1"
            "   AND f.received_at >= w.start AND f.received_at < w.stop) AS received"
            " FROM w ORDER BY w.start",
            [user_id, *(bound for window in windows for bound in window)],
        )
        return [
            WeekActivity(row["start"], int(row["reflections"]), int(row["asked"]),
                         int(row["received"]))
            for row in rows
        ]

    async def totals(self, user_id: int) -> Totals:
        placeholders = ", ".join("?" for _ in INTERVIEW_STAGES)
        row = await self.db.fetchone(
            "SELECT"
            " (SELECT COUNT(*) FROM applications WHERE user_id = ?1) AS applications,"
            " (SELECT COUNT(*) FROM rejections WHERE user_id = ?1) AS rejections,"
            " (SELECT COUNT(*) FROM rejections WHERE user_id = ?1"
            f"   AND stage IN ({placeholders})) AS interviews,"
            " (SELECT COUNT(*) FROM reflections WHERE user_id = ?1) AS reflections,"
            " (SELECT COUNT(*) FROM feedback_requests WHERE user_id = ?1"
            "   AND sent_at IS NOT NULL) AS asked,"
            " (SELECT COUNT(*) FROM feedback_requests WHERE user_id = ?1"
            "   AND received_at IS NOT NULL) AS received,"
            " (SELECT COUNT(DISTINCT application_id) FROM application_status_history"
            "   WHERE user_id = ?1 AND status IN ('interviewing', 'offer')) AS interviews_won,"
            " (SELECT COUNT(DISTINCT application_id) FROM application_status_history"
            "   WHERE user_id = ?1 AND status = 'offer') AS offers",
            [user_id, *INTERVIEW_STAGES],
        )
        assert row is not None
        return Totals(
            applications=int(row["applications"]), rejections=int(row["rejections"]),
            interviews_reached=int(row["interviews"]), reflections=int(row["reflections"]),
            feedback_asked=int(row["asked"]), feedback_received=int(row["received"]),
            interviews_won=int(row["interviews_won"]), offers=int(row["offers"]),
        )

    async def recent_notes(self, user_id: int, limit: int) -> list[Note]:
        """The member's newest reflections and received feedback notes, newest first.
        Each side is cut to `limit` on its own index before the two are merged."""
        rows = await self.db.fetchall(
            "SELECT * FROM ("
            " SELECT * FROM ("
            "  SELECT 'reflection' AS kind, r.id, r.created_at AS written_at, j.company,"
            "   r.struggled, r.unprepared, r.differently, r.went_well, r.practise,"
            "   '' AS feedback"
            "  FROM reflections r JOIN rejections j ON j.id = r.rejection_id"
            "  WHERE r.user_id = ?1 ORDER BY r.created_at DESC LIMIT ?2) AS mine_r"
            " UNION ALL"
            " SELECT * FROM ("
            "  SELECT 'feedback', f.id, f.received_at, j.company, '', '', '', '', '',"
            "   f.feedback_text"
            "  FROM feedback_requests f JOIN rejections j ON j.id = f.rejection_id"
            "  WHERE f.user_id = ?1 AND f.received_at IS NOT NULL"
            "   AND TRIM(COALESCE(f.feedback_text, '')) != ''"
            "  ORDER BY f.received_at DESC LIMIT ?2) AS mine_f"
            ") AS notes ORDER BY written_at DESC, kind, id DESC LIMIT ?2",
            (user_id, limit),
        )
        return [Note(**dict(row)) for row in rows]
