-- Waybill outbox, schema version 1, MySQL 8.0.13+ and MariaDB 10.6+.
-- Placeholders: ${outbox_table} (qualified table name), ${outbox_name} (bare name, for index names).
-- A row that sets only topic, msg_key, event_type and payload is a complete message:
-- the database fills seq, id, content_type, created_at (UTC) and shard.
CREATE TABLE ${outbox_table} (
    seq          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    id           CHAR(36)     NOT NULL DEFAULT (UUID()),
    topic        VARCHAR(249) NOT NULL,
    msg_key      VARCHAR(1024) NULL,
    event_type   VARCHAR(255) NOT NULL,
    content_type VARCHAR(255) NOT NULL DEFAULT 'application/json',
    payload      LONGBLOB     NOT NULL,
    headers      MEDIUMTEXT   NULL,
    traceparent  VARCHAR(55)  NULL,
    created_at   DATETIME(6)  NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
    available_at DATETIME(6)  NULL,
    shard        SMALLINT AS (CRC32(msg_key) & 1023) STORED,
    CONSTRAINT ${outbox_name}_topic_not_blank CHECK (topic <> ''),
    CONSTRAINT ${outbox_name}_type_not_blank CHECK (event_type <> ''),
    INDEX ${outbox_name}_shard_seq (shard, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
