-- Waybill outbox, schema version 1, PostgreSQL 12+.
-- Placeholders: ${outbox_table} (qualified table name), ${outbox_name} (bare name, for index names).
-- A row that sets only topic, msg_key, event_type and payload is a complete message:
-- the database fills seq, id, content_type, created_at and shard.
CREATE TABLE ${outbox_table} (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           UUID         NOT NULL DEFAULT (overlay(overlay(md5(random()::text || clock_timestamp()::text) placing '4' from 13) placing '8' from 17))::uuid,
    topic        VARCHAR(249) NOT NULL,
    msg_key      VARCHAR(1024),
    event_type   VARCHAR(255) NOT NULL,
    content_type VARCHAR(255) NOT NULL DEFAULT 'application/json',
    payload      BYTEA        NOT NULL,
    headers      TEXT,
    traceparent  VARCHAR(55),
    created_at   TIMESTAMPTZ  NOT NULL DEFAULT clock_timestamp(),
    available_at TIMESTAMPTZ,
    shard        SMALLINT GENERATED ALWAYS AS (hashtext(msg_key) & 1023) STORED,
    CONSTRAINT ${outbox_name}_topic_not_blank CHECK (topic <> ''),
    CONSTRAINT ${outbox_name}_type_not_blank CHECK (event_type <> '')
);

CREATE INDEX ${outbox_name}_shard_seq ON ${outbox_table} (shard, seq);
