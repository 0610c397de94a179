-- Several processes share the timers and the outbox: a row is claimed by one process (its id
-- in claimed_by) until its lease passes (by the bot's clock, never the database's). A claim
-- whose lease has passed (its process died) is taken up again by any process; only the
-- claimer settles a claimed row. The outbox's lease is its next_try_at.
ALTER TABLE timers ADD COLUMN claimed_by TEXT;
ALTER TABLE timers ADD COLUMN lease_until TEXT;
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
CREATE INDEX ix_timers_lease ON timers (status, lease_until);
