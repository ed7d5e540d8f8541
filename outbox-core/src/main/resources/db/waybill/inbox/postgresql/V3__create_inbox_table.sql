-- Waybill inbox, schema version 1, PostgreSQL 12+.
-- Placeholders: ${inbox_table} (qualified table name), ${inbox_name} (bare name, for index names).
-- One row per message a consumer group has handled: written in the handler's own transaction,
-- so the id exists if and only if the handler's writes committed. Rows older than the consumer's
-- dedup window are deleted by its housekeeping.
CREATE TABLE ${inbox_table} (
    consumer_group VARCHAR(255) NOT NULL,
    message_id     VARCHAR(255) NOT NULL,
    handled_at     TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CONSTRAINT ${inbox_name}_pk PRIMARY KEY (consumer_group, message_id)
);

CREATE INDEX ${inbox_name}_group_handled ON ${inbox_table} (consumer_group, handled_at);

-- Ordered mode: keys with a dead-lettered message. Later messages of a parked key are
-- dead-lettered too instead of overtaking it, until the parked message is redriven and handled.
CREATE TABLE ${inbox_table}_parked (
    consumer_group VARCHAR(255)  NOT NULL,
    topic          VARCHAR(249)  NOT NULL,
    key_hash       CHAR(64)      NOT NULL,
    msg_key        VARCHAR(1024),
    message_id     VARCHAR(255)  NOT NULL,
    parked_at      TIMESTAMPTZ   NOT NULL DEFAULT now(),
    CONSTRAINT ${inbox_name}_parked_pk PRIMARY KEY (consumer_group, topic, key_hash)
);
