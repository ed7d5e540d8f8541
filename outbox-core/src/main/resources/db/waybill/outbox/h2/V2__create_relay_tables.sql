-- Waybill outbox, schema version 2, H2 2.x (PostgreSQL mode): the relay's tables.
-- See the PostgreSQL script for the meaning of each table.
CREATE TABLE ${dead_letter_table} (
    seq            BIGINT        PRIMARY KEY,
    id             UUID          NOT NULL,
    topic          VARCHAR(249)  NOT NULL,
    msg_key        VARCHAR(1024),
    event_type     VARCHAR(255)  NOT NULL,
    content_type   VARCHAR(255)  NOT NULL,
    payload        VARBINARY     NOT NULL,
    headers        VARCHAR,
    traceparent    VARCHAR(55),
    created_at     TIMESTAMP(6) WITH TIME ZONE NOT NULL,
    available_at   TIMESTAMP(6) WITH TIME ZONE,
    failed_at      TIMESTAMP(6) WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
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
    expires_at TIMESTAMP(6) WITH TIME ZONE,
    renewed_at TIMESTAMP(6) WITH TIME ZONE
);

CREATE TABLE ${relay_table} (
    instance_id VARCHAR(255) PRIMARY KEY,
    host        VARCHAR(255) NOT NULL,
    started_at  TIMESTAMP(6) WITH TIME ZONE NOT NULL,
    expires_at  TIMESTAMP(6) WITH TIME ZONE NOT NULL
);
