-- When the weekly goal was last set (a UTC instant), so /progress compares only the weeks
-- since then with it. NULL with a goal: set before this was kept (every week is compared).
ALTER TABLE member_settings ADD COLUMN goal_set_at TEXT;
