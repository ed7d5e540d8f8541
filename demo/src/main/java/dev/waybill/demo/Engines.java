package dev.waybill.demo;

import dev.waybill.testkit.EmbeddedPostgresServer;
import dev.waybill.testkit.InProcessKafka;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;

/**
 * The demo's engines: an embedded PostgreSQL and an in-process Kafka broker (waybill-testkit's),
 * both under one new temporary directory that {@link #close()} deletes. Neither is the machine's
 * PostgreSQL or a Docker container. The two start in parallel.
 */
final class Engines implements AutoCloseable {
  private final Path directory;
  private final EmbeddedPostgresServer postgres;
  private final InProcessKafka kafka;

  private Engines(Path directory, EmbeddedPostgresServer postgres, InProcessKafka kafka) {
    this.directory = directory;
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
    EmbeddedPostgresServer postgres = null;
    try {
      postgres = EmbeddedPostgresServer.start(directory.resolve("postgres"));
      return new Engines(directory, postgres, join(kafka));
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

  private static InProcessKafka join(CompletableFuture<InProcessKafka> future) {
    try {
      return future.join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }

  /** The temporary directory holding both engines' files. */
  Path directory() {
    return directory;
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

  /** Stops the broker and PostgreSQL, then deletes the directory. */
  @Override
  public void close() {
    try {
      kafka.close();
    } finally {
      try {
        postgres.close();
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
