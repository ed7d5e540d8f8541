-- Waybill inbox, schema version 1, MySQL 8.0.13+ and MariaDB 10.6+.
-- Placeholders: ${inbox_table} (qualified table name), ${inbox_name} (bare name, for index names).
-- One row per message a consumer group has handled: written in the handler's own transaction,
-- so the id exists if and only if the handler's writes committed. Rows older than the consumer's
-- dedup window are deleted by its housekeeping. Times are UTC.
CREATE TABLE ${inbox_table} (
    consumer_group VARCHAR(255) NOT NULL,
    message_id     VARCHAR(255) NOT NULL,
    handled_at     DATETIME(6)  NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
    PRIMARY KEY (consumer_group, message_id),
    INDEX ${inbox_name}_group_handled (consumer_group, handled_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Ordered mode: keys with a dead-lettered message. Later messages of a parked key are
-- dead-lettered too instead of overtaking it, until the parked message is redriven and handled.
CREATE TABLE ${inbox_table}_parked (
    consumer_group VARCHAR(255)  NOT NULL,
    topic          VARCHAR(249)  NOT NULL,
    key_hash       CHAR(64)      NOT NULL,
    msg_key        VARCHAR(1024) NULL,
    message_id     VARCHAR(255)  NOT NULL,
    parked_at      DATETIME(6)   NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
    PRIMARY KEY (consumer_group, topic, key_hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
