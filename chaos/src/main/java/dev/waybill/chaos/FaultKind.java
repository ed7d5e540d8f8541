package dev.waybill.chaos;

/** The kinds of fault the rig injects, with the part of the deployment each one hits. */
enum FaultKind {
  RELAY_KILL("relay", "kill -9 of a relay, restarted after a pause"),
  RELAY_TERM("relay", "SIGTERM of a relay, restarted after a pause"),
  RELAY_PAUSE("relay", "SIGSTOP of a relay past its lease time, then SIGCONT"),
  CONSUMER_KILL("consumer", "kill -9 of a consumer, restarted after a pause"),
  CONSUMER_TERM("consumer", "SIGTERM of a consumer, restarted after a pause"),
  BROKER_STOP("broker", "graceful broker stop, started again after a pause"),
  BROKER_CRASH("broker", "broker kill -9, started again after a pause"),
  PG_RESTART("postgres", "PostgreSQL fast shutdown and start"),
  PG_CRASH("postgres", "PostgreSQL immediate shutdown (crash), recovery at start"),
  PG_TERMINATE("sessions", "pg_terminate_backend of the relays' or consumers' sessions"),
  DB_PROXY_FREEZE("db-proxy", "database connections frozen, then thawed"),
  DB_PROXY_RESET("db-proxy", "every database connection reset"),
  KAFKA_PROXY_FREEZE("kafka-proxy", "Kafka connections frozen, then thawed"),
  KAFKA_PROXY_RESET("kafka-proxy", "every Kafka connection reset");

  private final String target;
  private final String description;

  FaultKind(String target, String description) {
    this.target = target;
    this.description = description;
  }

  /**
   * The kind of part it hits: relay, consumer, broker, postgres, sessions, db-proxy, kafka-proxy.
   */
  String target() {
    return target;
  }

  /** Whether it needs the rig's own database server (restarts, crashes, ended sessions). */
  boolean needsOwnServer() {
    return target.equals("postgres") || target.equals("sessions");
  }

  String description() {
    return description;
  }

  String label() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }
}
