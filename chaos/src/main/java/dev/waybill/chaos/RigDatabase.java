package dev.waybill.chaos;

/**
 * The database the rig runs on, with the few SQL differences of the rig's own tables and queries
 * (Waybill's tables come from its migrations).
 */
enum RigDatabase {
  /** The rig's own PostgreSQL server: it can be restarted, crashed, and its sessions ended. */
  POSTGRES("clock_timestamp()", "BIGSERIAL PRIMARY KEY", "TIMESTAMPTZ", "now()"),

  /**
   * The machine's MariaDB at 127.0.0.1:3306 (root, no password), in a database of the rig's own: it
   * cannot be crashed by the rig, so it gets the proxy faults only.
   */
  MARIADB(
      "(UTC_TIMESTAMP(6))", "BIGINT AUTO_INCREMENT PRIMARY KEY", "DATETIME(6)", "UTC_TIMESTAMP(6)");

  private final String defaultNow;
  private final String serialKey;
  private final String timestamp;
  private final String now;

  RigDatabase(String defaultNow, String serialKey, String timestamp, String now) {
    this.defaultNow = defaultNow;
    this.serialKey = serialKey;
    this.timestamp = timestamp;
    this.now = now;
  }

  /** A timestamp column type (UTC on MariaDB). */
  String timestamp() {
    return timestamp;
  }

  /** {@code <timestamp type> NOT NULL DEFAULT <the time of the insert>}. */
  String timestampNowDefault() {
    return timestamp + " NOT NULL DEFAULT " + defaultNow;
  }

  /** A generated, increasing primary key. */
  String serialKey() {
    return serialKey;
  }

  /** The current time, comparable with Waybill's lease and instance expiry columns. */
  String now() {
    return now;
  }

  /** {@code id} as text (PostgreSQL's outbox ids are {@code uuid}). */
  String idText(String column) {
    return this == POSTGRES ? column + "::text" : column;
  }

  /** An INSERT that skips rows whose key exists already: {@code <head> ... <tail>}. */
  String insertIgnore(String into, String select) {
    return this == POSTGRES
        ? "INSERT INTO " + into + " " + select + " ON CONFLICT DO NOTHING"
        : "INSERT IGNORE INTO " + into + " " + select;
  }

  /** Whether the rig can stop, crash and restart the server and end its sessions. */
  boolean ownServer() {
    return this == POSTGRES;
  }
}
