package dev.waybill.outbox.dialect;

import dev.waybill.outbox.WaybillException;
import dev.waybill.outbox.jdbc.SqlIdentifier;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;

/** PostgreSQL 12+: transactional DDL, advisory locks, LISTEN/NOTIFY, native uuid. */
final class PostgresDialect implements Dialect {
  static final PostgresDialect INSTANCE = new PostgresDialect();

  private PostgresDialect() {}

  @Override
  public String name() {
    return "postgresql";
  }

  @Override
  public boolean transactionalDdl() {
    return true;
  }

  @Override
  public boolean supportsNotify() {
    return true;
  }

  @Override
  public Optional<String> notifySql(SqlIdentifier channel) {
    return Optional.of("NOTIFY " + channel.name());
  }

  @Override
  public MigrationLock lockForMigration(
      Connection connection, SqlIdentifier historyTable, String lockName, Duration timeout)
      throws SQLException {
    long key = lockKey(historyTable.sql() + "/" + lockName);
    long deadline = System.nanoTime() + timeout.toNanos();
    try (PreparedStatement st = connection.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
      st.setLong(1, key);
      while (true) {
        try (ResultSet rs = st.executeQuery()) {
          rs.next();
          if (rs.getBoolean(1)) {
            break;
          }
        }
        if (System.nanoTime() > deadline) {
          throw new WaybillException(
              "schema migration lock '"
                  + lockName
                  + "' (advisory lock "
                  + key
                  + ") was not granted within "
                  + timeout
                  + ": another instance is migrating or died holding it; check pg_locks");
        }
        sleep(50);
      }
    }
    return () -> {
      try (PreparedStatement st = connection.prepareStatement("SELECT pg_advisory_unlock(?)")) {
        st.setLong(1, key);
        st.execute();
      }
    };
  }

  /** A stable 64-bit advisory lock key from a name (FNV-1a). */
  static long lockKey(String name) {
    long h = 0xcbf29ce484222325L;
    for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
      h ^= b;
      h *= 0x100000001b3L;
    }
    return h;
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new WaybillException("interrupted while waiting for the schema migration lock", e);
    }
  }

  @Override
  public String timestampColumnType() {
    return "TIMESTAMPTZ NOT NULL DEFAULT now()";
  }

  @Override
  public String toString() {
    return "Dialect[postgresql]";
  }
}
