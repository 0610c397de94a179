-- Applications become a pipeline the member controls: numbered per member (#1 is their first,
-- whatever others logged), with a status, the day it last changed and a note.
ALTER TABLE applications ADD COLUMN number INTEGER;
ALTER TABLE applications ADD COLUMN status TEXT NOT NULL DEFAULT 'applied'
    CHECK (status IN ('applied', 'screening', 'interviewing', 'offer', 'rejected',
                      'withdrawn', 'no-response'));
ALTER TABLE applications ADD COLUMN status_changed_on TEXT;
ALTER TABLE applications ADD COLUMN note TEXT;

-- Rows logged before numbers existed are numbered in the order they were applied for.
UPDATE applications SET number = (
    SELECT COUNT(*) FROM applications AS earlier
    WHERE earlier.user_id = applications.user_id
      AND (earlier.applied_on < applications.applied_on
           OR (earlier.applied_on = applications.applied_on AND earlier.id <= applications.id))
);
UPDATE applications SET status_changed_on = applied_on;
CREATE UNIQUE INDEX ux_applications_user_number ON applications (user_id, number);

-- Every status an application has had, with the day it changed: the stage a rejection
-- reached, and the interviews and offers counted as wins.
CREATE TABLE application_status_history (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL,
    status          TEXT NOT NULL,
    changed_on      TEXT NOT NULL,              -- the member's local date
    created_at      TEXT NOT NULL
);
CREATE INDEX ix_application_status_history_app ON application_status_history (application_id, id);
CREATE INDEX ix_application_status_history_user ON application_status_history (user_id, status);
INSERT INTO application_status_history (application_id, user_id, status, changed_on, created_at)
    SELECT id, user_id, 'applied', applied_on, created_at FROM applications;

-- A rejection logged from an application ("Log this rejection"), linked both ways.
CREATE TABLE application_rejections (
    application_id  INTEGER PRIMARY KEY REFERENCES applications (id) ON DELETE CASCADE,
    rejection_id    INTEGER NOT NULL UNIQUE REFERENCES rejections (id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX ix_application_rejections_user ON application_rejections (user_id);

-- Rows waiting for the member's Import (or Log it anyway) button, so a restart loses nothing.
CREATE TABLE pending_imports (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('import', 'log')),
    rows         TEXT NOT NULL,                 -- JSON list of the parsed rows
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    finished     TEXT                           -- 'imported', 'cancelled' once a button ran
);
CREATE INDEX ix_pending_imports_user ON pending_imports (user_id);
