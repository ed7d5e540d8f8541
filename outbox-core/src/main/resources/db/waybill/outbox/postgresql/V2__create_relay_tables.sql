-- Waybill outbox, schema version 2, PostgreSQL 12+: the relay's tables.
-- ${dead_letter_table}: messages the relay could not publish for good (too large, invalid or
--   unauthorized topic, retries exhausted), with the error. While a row with parks_key = TRUE
--   exists, later messages of the same (topic, msg_key) stay in the outbox: the key is parked.
--   seq is the message's original write position, so a retried message keeps its place.
-- ${lease_table}: one row per relay shard; owner + expiry + epoch (fencing token).
-- ${relay_table}: running relays, so each can compute its fair share of shards.
CREATE TABLE ${dead_letter_table} (
    seq            BIGINT        PRIMARY KEY,
    id             UUID          NOT NULL,
    topic          VARCHAR(249)  NOT NULL,
    msg_key        VARCHAR(1024),
    event_type     VARCHAR(255)  NOT NULL,
    content_type   VARCHAR(255)  NOT NULL,
    payload        BYTEA         NOT NULL,
    headers        TEXT,
    traceparent    VARCHAR(55),
    created_at     TIMESTAMPTZ   NOT NULL,
    available_at   TIMESTAMPTZ,
    failed_at      TIMESTAMPTZ   NOT NULL DEFAULT clock_timestamp(),
    attempts       INTEGER       NOT NULL,
    error_class    VARCHAR(255)  NOT NULL,
    error_message  VARCHAR(2000) NOT NULL,
    parks_key      BOOLEAN       NOT NULL,
    relay_instance VARCHAR(255)  NOT NULL
);

CREATE INDEX ${dead_letter_name}_key ON ${dead_letter_table} (topic, msg_key);

CREATE TABLE ${lease_table} (
    shard      INTEGER      PRIMARY KEY,
    owner      VARCHAR(255),
    epoch      BIGINT       NOT NULL DEFAULT 0,
    expires_at TIMESTAMPTZ,
    renewed_at TIMESTAMPTZ
);

CREATE TABLE ${relay_table} (
    instance_id VARCHAR(255) PRIMARY KEY,
    host        VARCHAR(255) NOT NULL,
    started_at  TIMESTAMPTZ  NOT NULL,
    expires_at  TIMESTAMPTZ  NOT NULL
);
