-- Waybill outbox, schema version 1, H2 2.x (PostgreSQL mode).
-- Placeholders: ${outbox_table} (qualified table name), ${outbox_name} (bare name, for index names).
-- A row that sets only topic, msg_key, event_type and payload is a complete message:
-- the database fills seq, id, content_type, created_at and shard.
CREATE TABLE ${outbox_table} (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           UUID         NOT NULL DEFAULT RANDOM_UUID(),
    topic        VARCHAR(249) NOT NULL,
    msg_key      VARCHAR(1024),
    event_type   VARCHAR(255) NOT NULL,
    content_type VARCHAR(255) NOT NULL DEFAULT 'application/json',
    payload      VARBINARY    NOT NULL,
    headers      VARCHAR,
    traceparent  VARCHAR(55),
    created_at   TIMESTAMP(6) WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    available_at TIMESTAMP(6) WITH TIME ZONE,
    shard        SMALLINT GENERATED ALWAYS AS (ORA_HASH(msg_key, 1023)),
    CONSTRAINT ${outbox_name}_topic_not_blank CHECK (topic <> ''),
    CONSTRAINT ${outbox_name}_type_not_blank CHECK (event_type <> '')
);

CREATE INDEX ${outbox_name}_shard_seq ON ${outbox_table} (shard, seq);
