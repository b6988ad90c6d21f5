PRAGMA user_version = 6;
BEGIN TRANSACTION;
CREATE TABLE campaign_relays (
    campaign_id  INTEGER PRIMARY KEY REFERENCES campaigns (id),
    relay        TEXT NOT NULL             
);
INSERT INTO "campaign_relays" VALUES(2,'smtp://press@mail.hvsp.example:587');
CREATE TABLE campaigns (
    id           INTEGER PRIMARY KEY,
    token        TEXT NOT NULL UNIQUE,     
    fingerprint  TEXT NOT NULL,            
    release_path TEXT NOT NULL,
    slug         TEXT NOT NULL,
    title        TEXT NOT NULL,
    lists        TEXT NOT NULL,            
    options      TEXT NOT NULL,            
    created_at   TEXT NOT NULL,
    started_at   TEXT,
    finished_at  TEXT
);
INSERT INTO "campaigns" VALUES(1,'853ba5fe5596','993bff352863aa6533263dcc2a55950e','/tmp/tmpswwhmyul/ws/releases/tidal.md','tidal','Harbourview Science Park opens its tidal test bay','["contacts/press.csv"]','{"advance_copy": false, "batch_pause": "0", "batch_size": 0, "concurrency": null, "daily_cap": null, "db": null, "embargoed": false, "encoding": null, "from_addr": null, "language": null, "max_attempts": 5, "max_consecutive_failures": 10, "new_campaign": false, "pdf_mode": null, "rate": null, "reconnect_after": 1000, "retry_for": "1h", "smtp_profile": null, "smtp_url": null, "smtp_urls": [], "suppress": [], "where": []}','2026-12-05T19:54:27.688+00:00','2026-12-05T19:54:27.712+00:00','2026-12-05T19:54:27.716+00:00');
INSERT INTO "campaigns" VALUES(2,'d71136394763','relayed','/tmp/tmpswwhmyul/ws/releases/tidal.md','tidal','Harbourview Science Park opens its tidal test bay','["contacts/press.csv"]','{"smtp_url": "smtp://press@mail.hvsp.example:587"}','2026-12-05T19:54:29.560+00:00',NULL,NULL);
CREATE TABLE handovers (
    relay        TEXT NOT NULL,
    at           TEXT NOT NULL,            
    campaign_id  INTEGER NOT NULL,
    key          TEXT NOT NULL
);
INSERT INTO "handovers" VALUES('smtp://press@mail.hvsp.example:587','2026-12-05T19:54:29.564+00:00',2,'dan@harbourdaily.example');
INSERT INTO "handovers" VALUES('smtp://press@mail.hvsp.example:587','2026-12-05T19:54:29.565+00:00',2,'eve@mingpoint.example');
CREATE TABLE inbound (
    handled_key  TEXT PRIMARY KEY,         
    kind         TEXT NOT NULL DEFAULT '',
    source       TEXT NOT NULL DEFAULT '',
    seen_at      TEXT NOT NULL,
    outcome      TEXT NOT NULL DEFAULT ''
);
INSERT INTO "inbound" VALUES('<dsn-1@mx.mingpoint.example>','bounce','mbox:bounces#1','2026-12-05T19:54:29.533+00:00','bounced');
INSERT INTO "inbound" VALUES('<dsn-2@x>','soft-bounce','mbox:bounces#2','2026-12-05T19:54:29.544+00:00','soft bounce');
CREATE TABLE "jobs" (
    id               TEXT PRIMARY KEY,
    state            TEXT NOT NULL CHECK (state IN
                       ('scheduled', 'held', 'running', 'done', 'missed', 'cancelled', 'failed')),
    due_at           TEXT NOT NULL,
    timezone         TEXT NOT NULL,
    embargo_at       TEXT,
    under_embargo    INTEGER NOT NULL DEFAULT 0,
    release          TEXT NOT NULL,
    title            TEXT NOT NULL DEFAULT '',
    workspace        TEXT NOT NULL,
    config           TEXT,
    snapshot_dir     TEXT NOT NULL,
    snapshot_release TEXT NOT NULL,
    contacts         TEXT NOT NULL,
    sources          TEXT NOT NULL,
    options          TEXT NOT NULL,
    recipients       INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL,
    owner            TEXT,
    lease_until      REAL,
    started_at       TEXT,
    not_before       TEXT,
    finished_at      TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    campaign         TEXT,
    result           TEXT NOT NULL DEFAULT '',
    error            TEXT NOT NULL DEFAULT '',
    resume_at        TEXT,               
    held_reason      TEXT NOT NULL DEFAULT ''  
);
INSERT INTO "jobs" VALUES('tidal-f476bc','held','2031-03-12T02:00:00.000000Z','Asia/Hong_Kong',NULL,0,'/tmp/tmpswwhmyul/ws/releases/tidal.md','Harbourview Science Park opens its tidal test bay','/tmp/tmpswwhmyul/ws','/tmp/tmpswwhmyul/ws/pressctl.toml','/tmp/tmpswwhmyul/ws/.pressctl/jobs/tidal-f476bc','releases/tidal.md','["contacts/press.csv"]','[{"role": "release", "source": "/tmp/tmpswwhmyul/ws/releases/tidal.md", "snapshot": "releases/tidal.md", "sha256": "37f9f73ac115c3ecf968b03d3495abbfa57be820af35bf0e72749b7048f89145"}, {"role": "contacts", "source": "/tmp/tmpswwhmyul/ws/contacts/press.csv", "snapshot": "contacts/press.csv", "sha256": "e4fe1be8554cecc240207bc0391aa105c9e74309cccf1bb1b1473121e6b86609"}, {"role": "config", "source": "/tmp/tmpswwhmyul/ws/pressctl.toml", "snapshot": ".pressctl-workspace/pressctl.toml", "sha256": "77d8377015e480e3d7ecc1fda983039b1a9b7c7bd43a9d16836aae1f8e09b79d"}, {"role": "template", "source": "/tmp/tmpswwhmyul/ws/templates/README.md", "snapshot": ".pressctl-workspace/templates/README.md", "sha256": "613c253d19fb6c3eeae69f3df97ab46919cefa05c2e581368719722890448239"}, {"role": "logo", "source": "/tmp/tmpswwhmyul/ws/brand/logo.png", "snapshot": ".pressctl-workspace/brand/logo.png", "sha256": "8437d5d9a52b7b011a0b25c3d391757963c4fe9b521419dc67e54fd3fa1bbd53"}]','{}',2,'2026-12-05T19:54:29.302788Z',NULL,NULL,'2026-12-05T19:54:29.601516Z',NULL,NULL,1,NULL,'2 sent','','2031-03-13T02:00:00.000000Z','the daily cap of 2 for smtp://press@mail.hvsp.example:587 is reached');
CREATE TABLE jobs_schema (version INTEGER NOT NULL);
INSERT INTO "jobs_schema" VALUES(2);
CREATE TABLE recipients (
    campaign_id  INTEGER NOT NULL REFERENCES campaigns (id),
    key          TEXT NOT NULL,            
    email        TEXT NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    language     TEXT NOT NULL DEFAULT '',
    source       TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_code    INTEGER,
    last_reply   TEXT NOT NULL DEFAULT '',
    message_id   TEXT NOT NULL DEFAULT '',
    first_attempt_at TEXT,
    last_attempt_at  TEXT,
    sent_at      TEXT, response TEXT NOT NULL DEFAULT '', response_detail TEXT NOT NULL DEFAULT '', response_at TEXT, new_address TEXT NOT NULL DEFAULT '', bounce_code TEXT NOT NULL DEFAULT '', retryable INTEGER NOT NULL DEFAULT 0, reason TEXT NOT NULL DEFAULT '', relay TEXT,
    UNIQUE (campaign_id, key)
);
INSERT INTO "recipients" VALUES(1,'ada@harbourdaily.example','ada@harbourdaily.example','Ada Wong','en','press.csv:2','sent',1,250,'saved as outbox/new/1796500467.M714118P1368Q1.vm','<deb85247f2fbb41ff15cc805f0fafd2b@hvsp.example>','2026-12-05T19:54:27.713+00:00','2026-12-05T19:54:27.713+00:00','2026-12-05T19:54:27.715+00:00','','',NULL,'','',1,'saved',NULL);
INSERT INTO "recipients" VALUES(1,'ben@mingpoint.example','ben@mingpoint.example','Ben Chan','en','press.csv:3','bounced',1,250,'saved as outbox/new/1796500467.M715948P1368Q2.vm','<6f5d470fecf68fc91acd5b818cbaeda4@hvsp.example>','2026-12-05T19:54:27.715+00:00','2026-12-05T19:54:27.715+00:00','2026-12-05T19:54:27.716+00:00','bounced','550 5.1.1 no such user','2026-12-05T19:54:29.533+00:00','','5.1.1',1,'saved',NULL);
INSERT INTO "recipients" VALUES(1,'cat@techweekly.example','cat@techweekly.example','Cat Lee','en','press.csv:4','suppressed',0,NULL,'on a suppression list','',NULL,NULL,NULL,'','',NULL,'','',0,'',NULL);
INSERT INTO "recipients" VALUES(2,'dan@harbourdaily.example','dan@harbourdaily.example','','','','sent',1,250,'2.0.0 queued','<m-dan@hvsp.example>','2026-12-05T19:54:29.564+00:00','2026-12-05T19:54:29.564+00:00','2026-12-05T19:54:29.565+00:00','','',NULL,'','',0,'',NULL);
INSERT INTO "recipients" VALUES(2,'eve@mingpoint.example','eve@mingpoint.example','','','','sending',1,NULL,'','<m-eve@hvsp.example>','2026-12-05T19:54:29.565+00:00','2026-12-05T19:54:29.565+00:00',NULL,'','',NULL,'','',0,'',NULL);
CREATE TABLE release_locks (
    release      TEXT PRIMARY KEY,         
    owner        TEXT NOT NULL,            
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    campaign_id  INTEGER,                  
    purpose      TEXT NOT NULL DEFAULT '', 
    since        TEXT NOT NULL,
    lease_until  REAL NOT NULL             
);
INSERT INTO "release_locks" VALUES('/tmp/tmpswwhmyul/ws::tidal','old-host:4242:','old-host',4242,NULL,'send','2026-12-05T19:54:29.565+00:00',1.79650052956516289711e+09);
CREATE TABLE soft_bounces (
    address      TEXT NOT NULL,            
    at           TEXT NOT NULL,
    code         TEXT NOT NULL DEFAULT '',
    handled_key  TEXT NOT NULL DEFAULT ''
);
INSERT INTO "soft_bounces" VALUES('ada@harbourdaily.example','2026-11-21T03:00:00.000+00:00','4.2.2','<dsn-2@x>');
CREATE TABLE suppressions (
    address      TEXT PRIMARY KEY,         
    reason       TEXT NOT NULL DEFAULT '',
    origin       TEXT NOT NULL DEFAULT '', 
    created_at   TEXT NOT NULL
);
INSERT INTO "suppressions" VALUES('cat@techweekly.example','asked by phone','manual','2026-12-05T19:54:26.665+00:00');
CREATE INDEX campaigns_fingerprint ON campaigns (fingerprint);
CREATE INDEX recipients_status ON recipients (campaign_id, status);
CREATE INDEX recipients_message_id ON recipients (message_id);
CREATE INDEX soft_bounces_address ON soft_bounces (address);
CREATE INDEX handovers_relay_at ON handovers (relay, at);
CREATE TRIGGER handovers_record AFTER UPDATE OF status ON recipients
WHEN NEW.status = 'sending' AND OLD.status != 'sending'
BEGIN
    INSERT INTO handovers (relay, at, campaign_id, key)
    SELECT r, NEW.last_attempt_at, NEW.campaign_id, NEW.key FROM (
        SELECT COALESCE(NEW.relay, (SELECT relay FROM campaign_relays WHERE campaign_id = NEW.campaign_id)) AS r
    ) WHERE r IS NOT NULL;
END;
CREATE INDEX jobs_state_due ON jobs (state, due_at);
CREATE INDEX jobs_state_resume ON jobs (state, resume_at);
COMMIT;
