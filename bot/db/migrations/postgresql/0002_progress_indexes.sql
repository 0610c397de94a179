-- PostgreSQL twin of ../0002_progress_indexes.sql
-- /progress counts feedback asked and received per week, and /insights reads the newest
-- feedback notes: both look up one member's rows by these instants.
CREATE INDEX ix_feedback_user_sent ON feedback_requests (user_id, sent_at);
CREATE INDEX ix_feedback_user_received ON feedback_requests (user_id, received_at);
-- "Interviews reached" counts one member's entries by stage without reading every row.
CREATE INDEX ix_rejections_user_stage ON rejections (user_id, stage);
