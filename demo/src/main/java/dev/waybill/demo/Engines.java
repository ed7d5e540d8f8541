package dev.waybill.demo;

import dev.waybill.testkit.EmbeddedPostgresServer;
import dev.waybill.testkit.InProcessKafka;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;

/**
 * The demo's engines: an embedded PostgreSQL and an in-process Kafka broker (waybill-testkit's),
 * with their data under one new temporary directory that {@link #close()} deletes. Neither is the
 * machine's PostgreSQL or a Docker container. The two start, and stop, in parallel.
 *
 * <p>The PostgreSQL binaries are unpacked once into {@code embedded-pg} beside the demo's jar (that
 * is {@code demo/target/embedded-pg}, removed by {@code mvn clean}) and reused by later runs; when
 * that directory cannot be written they are unpacked into the temporary directory each run.
 */
final class Engines implements AutoCloseable {
  private final Path directory;
  private final Path binaries;
  private final EmbeddedPostgresServer postgres;
  private final InProcessKafka kafka;

  private Engines(
      Path directory, Path binaries, EmbeddedPostgresServer postgres, InProcessKafka kafka) {
    this.directory = directory;
    this.binaries = binaries;
    this.postgres = postgres;
    this.kafka = kafka;
  }

  /**
   * Starts both engines in a new directory {@code waybill-demo-*} under {@code java.io.tmpdir}.
   *
   * @throws IllegalStateException when an engine does not start (what was started is stopped and
   *     the directory deleted)
   */
  static Engines start() {
    Path directory;
    try {
      directory = Files.createTempDirectory("waybill-demo-");
    } catch (IOException e) {
      throw new UncheckedIOException("could not create a temporary directory", e);
    }
    CompletableFuture<InProcessKafka> kafka =
        CompletableFuture.supplyAsync(() -> InProcessKafka.launch(directory.resolve("kafka")));
    Path binaries = binaryCache().orElse(directory.resolve("embedded-pg"));
    EmbeddedPostgresServer postgres = null;
    try {
      postgres = EmbeddedPostgresServer.start(binaries, directory.resolve("postgres"));
      return new Engines(directory, binaries, postgres, join(kafka));
    } catch (RuntimeException e) {
      if (postgres != null) {
        postgres.close();
      }
      try {
        join(kafka).close();
      } catch (RuntimeException ignored) {
        // the first failure is the one reported
      }
      delete(directory);
      throw e;
    }
  }

  /** {@code embedded-pg} beside the jar (or the classes directory) of the demo, if writable. */
  private static Optional<Path> binaryCache() {
    try {
      Path code =
          Path.of(Engines.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      Path parent = code.toAbsolutePath().getParent();
      return parent != null && Files.isWritable(parent)
          ? Optional.of(parent.resolve("embedded-pg"))
          : Optional.empty();
    } catch (URISyntaxException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private static <T> T join(CompletableFuture<T> future) {
    try {
      return future.join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }

  /** The temporary directory holding both engines' data. */
  Path directory() {
    return directory;
  }

  /** Where the PostgreSQL binaries are. */
  Path binaries() {
    return binaries;
  }

  /** The JDBC URL of the {@code postgres} database, user {@link EmbeddedPostgresServer#USER}. */
  String jdbcUrl() {
    return postgres.jdbcUrl("postgres");
  }

  int postgresPort() {
    return postgres.port();
  }

  String bootstrapServers() {
    return kafka.bootstrapServers();
  }

  /** Stops the broker and PostgreSQL (in parallel), then deletes the directory. */
  @Override
  public void close() {
    CompletableFuture<Void> broker = CompletableFuture.runAsync(kafka::close);
    try {
      postgres.close();
    } finally {
      try {
        join(broker);
      } finally {
        delete(directory);
      }
    }
  }

  static void delete(Path directory) {
    if (!Files.exists(directory)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(directory)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException("could not delete " + directory, e);
    }
  }
}
