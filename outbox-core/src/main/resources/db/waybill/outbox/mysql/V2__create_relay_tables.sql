-- Waybill outbox, schema version 2, MySQL 8.0.13+ and MariaDB 10.6+: the relay's tables.
-- See the PostgreSQL script for the meaning of each table. Times are UTC.
CREATE TABLE ${dead_letter_table} (
    seq            BIGINT        NOT NULL PRIMARY KEY,
    id             CHAR(36)      NOT NULL,
    topic          VARCHAR(249)  NOT NULL,
    msg_key        VARCHAR(1024) NULL,
    event_type     VARCHAR(255)  NOT NULL,
    content_type   VARCHAR(255)  NOT NULL,
    payload        LONGBLOB      NOT NULL,
    headers        MEDIUMTEXT    NULL,
    traceparent    VARCHAR(55)   NULL,
    created_at     DATETIME(6)   NOT NULL,
    available_at   DATETIME(6)   NULL,
    failed_at      DATETIME(6)   NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
    attempts       INT           NOT NULL,
    error_class    VARCHAR(255)  NOT NULL,
    error_message  VARCHAR(2000) NOT NULL,
    parks_key      BOOLEAN       NOT NULL,
    relay_instance VARCHAR(255)  NOT NULL,
    INDEX ${dead_letter_name}_key (topic, msg_key(200))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE ${lease_table} (
    shard      INT          NOT NULL PRIMARY KEY,
    owner      VARCHAR(255) NULL,
    epoch      BIGINT       NOT NULL DEFAULT 0,
    expires_at DATETIME(6)  NULL,
    renewed_at DATETIME(6)  NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE ${relay_table} (
    instance_id VARCHAR(255) NOT NULL PRIMARY KEY,
    host        VARCHAR(255) NOT NULL,
    started_at  DATETIME(6)  NOT NULL,
    expires_at  DATETIME(6)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
