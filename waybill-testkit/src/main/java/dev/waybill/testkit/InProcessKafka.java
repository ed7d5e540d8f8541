package dev.waybill.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, combined broker and controller, node 1) running inside
 * this JVM from the {@code kafka_2.13} artifact, listening on free ports of 127.0.0.1, with its
 * data in a new directory {@code waybill-kafka-<hex>}. It starts in about 3 s and takes a few tens
 * of MiB of heap.
 *
 * <p>This is the broker {@link TestKafka#get()} falls back to (data under {@code target/} of the
 * working directory, stopped at JVM exit). Programs that need a throw-away broker outside tests
 * (the demo) start one with {@link #launch(Path)} and own it: {@link #close()} stops it and deletes
 * its directory; nothing does so at JVM exit otherwise.
 *
 * <pre>{@code
 * try (InProcessKafka kafka = InProcessKafka.launch(workDirectory)) {
 *   producerProperties.put("bootstrap.servers", kafka.bootstrapServers());
 * }
 * }</pre>
 *
 * <p>While a broker runs, Kafka's {@code Exit.exit}/{@code Exit.halt} throw instead of ending the
 * JVM. The broker logs through SLF4J, chattily at INFO: set the loggers {@code kafka}, {@code
 * org.apache.kafka} and {@code state.change.logger} to WARN or above. Thread-safe.
 */
public final class InProcessKafka implements KafkaBroker, AutoCloseable {

  private static final int ATTEMPTS = 3;
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  private static final Logger LOG = LoggerFactory.getLogger(InProcessKafka.class);

  private final Path directory;
  private final Properties config;
  private final String bootstrapServers;
  private KafkaRaftServer server;
  private boolean closed;

  private InProcessKafka(
      Path directory, int brokerPort, int controllerPort, Map<String, String> overrides) {
    this.directory = directory;
    this.bootstrapServers = "127.0.0.1:" + brokerPort;
    this.config = config(directory.resolve("data"), brokerPort, controllerPort, overrides);
  }

  /**
   * The testkit's broker: data under {@code target/} of the working directory, stopped and deleted
   * by the testkit's JVM shutdown hook.
   */
  static InProcessKafka launch() {
    InProcessKafka kafka = launch(Path.of("target").toAbsolutePath());
    Cleanup.atExit("stop the in-process Kafka broker", kafka::close);
    return kafka;
  }

  /**
   * Formats and starts a new broker with its data in a new directory {@code waybill-kafka-<hex>}
   * under {@code parentDirectory} (created if missing), and waits until it answers. A start that
   * fails (typically because another process took one of the picked ports first) is retried with
   * new ports. The caller owns the broker: {@link #close()} it.
   *
   * @throws IllegalStateException if no broker could be started in 3 attempts
   */
  public static InProcessKafka launch(Path parentDirectory) {
    return launch(parentDirectory, Map.of());
  }

  /**
   * As {@link #launch(Path)}, with broker properties that replace the testkit's, e.g. {@code
   * auto.create.topics.enable=false} for a test that needs a topic the producer can never find.
   *
   * @param parentDirectory where the broker's directory is created
   * @param overrides broker properties set after the testkit's own
   * @return the running broker; the caller closes it
   * @throws IllegalStateException if no broker could be started in 3 attempts
   */
  public static InProcessKafka launch(Path parentDirectory, Map<String, String> overrides) {
    guardJvmExit();
    RuntimeException failure = null;
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      int[] ports = freePorts(2);
      InProcessKafka kafka =
          new InProcessKafka(newDirectory(parentDirectory), ports[0], ports[1], overrides);
      try {
        long started = System.nanoTime();
        kafka.format();
        kafka.startServer();
        LOG.info(
            "in-process Kafka broker started at {} in {} ms (log dir {})",
            kafka.bootstrapServers,
            Elapsed.millisSince(started),
            kafka.directory);
        return kafka;
      } catch (RuntimeException e) {
        LOG.warn(
            "in-process Kafka broker failed to start (attempt {} of {})", attempt, ATTEMPTS, e);
        kafka.stopQuietly();
        kafka.deleteDirectory();
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    throw new IllegalStateException(
        "could not start an in-process Kafka broker in " + ATTEMPTS + " attempts", failure);
  }

  /** Returns the {@code bootstrap.servers} value for clients of this broker. */
  @Override
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /**
   * Stops the broker, keeping its data and address, to simulate an outage. Does nothing if it is
   * stopped.
   */
  @Override
  public synchronized void stop() {
    if (server != null) {
      long started = System.nanoTime();
      try {
        server.shutdown();
        server.awaitShutdown();
      } finally {
        server = null;
      }
      LOG.info("in-process Kafka broker stopped in {} ms", Elapsed.millisSince(started));
    }
  }

  /**
   * Starts a {@link #stop() stopped} broker again, with its data, at the same address, and waits
   * until it answers. Does nothing if it runs.
   *
   * @throws IllegalStateException if the broker does not come back
   */
  @Override
  public synchronized void start() {
    if (closed) {
      throw new IllegalStateException(
          "the in-process Kafka broker at " + bootstrapServers + " is closed");
    }
    if (server != null) {
      return;
    }
    RuntimeException failure = null;
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        long started = System.nanoTime();
        startServer();
        LOG.info("in-process Kafka broker restarted in {} ms", Elapsed.millisSince(started));
        return;
      } catch (RuntimeException e) {
        LOG.warn("in-process Kafka broker failed to restart (attempt {})", attempt, e);
        stopQuietly();
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
        sleep(Duration.ofSeconds(1));
      }
    }
    throw new IllegalStateException(
        "could not restart the in-process Kafka broker at " + bootstrapServers, failure);
  }

  /** Whether the broker runs. */
  @Override
  public synchronized boolean isRunning() {
    return server != null;
  }

  /** Where the broker runs, for logs. */
  @Override
  public String describe() {
    return "in-process KRaft broker at " + bootstrapServers + " (log dir " + directory + ")";
  }

  private void format() {
    Path file = directory.resolve("server.properties");
    try (OutputStream out = Files.newOutputStream(file)) {
      config.store(out, "waybill-testkit in-process broker");
    } catch (IOException e) {
      throw new UncheckedIOException("could not write " + file, e);
    }
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    String[] args = {"format", "-t", Uuid.randomUuid().toString(), "-c", file.toString()};
    int status;
    try (PrintStream print = new PrintStream(output, true, StandardCharsets.UTF_8)) {
      status = StorageTool.execute(args, print);
    } catch (Exception e) {
      throw new IllegalStateException(
          "formatting the Kafka log dir failed: "
              + e
              + " "
              + output.toString(StandardCharsets.UTF_8),
          e);
    }
    if (status != 0) {
      throw new IllegalStateException(
          "formatting the Kafka log dir failed with status "
              + status
              + ": "
              + output.toString(StandardCharsets.UTF_8));
    }
  }

  private void startServer() {
    server = new KafkaRaftServer(KafkaConfig.fromProps(config, false), Time.SYSTEM);
    server.startup();
    KafkaAdmin.awaitCluster(bootstrapServers, READY_TIMEOUT);
  }

  /**
   * Stops the broker and deletes its directory. Closing twice does nothing; the broker cannot be
   * started again.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      stop();
    } finally {
      deleteDirectory();
    }
  }

  private void stopQuietly() {
    try {
      stop();
    } catch (RuntimeException e) {
      LOG.debug("ignored while stopping a failed broker", e);
      server = null;
    }
  }

  private void deleteDirectory() {
    if (!Files.exists(directory)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(directory)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      LOG.warn("could not delete {}", directory, e);
    }
  }

  private static Properties config(
      Path logDir, int brokerPort, int controllerPort, Map<String, String> overrides) {
    Properties properties = new Properties();
    properties.put("process.roles", "broker,controller");
    properties.put("node.id", "1");
    properties.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    properties.put(
        "listeners",
        "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
    properties.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
    properties.put("controller.listener.names", "CONTROLLER");
    properties.put("inter.broker.listener.name", "PLAINTEXT");
    properties.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
    properties.put("log.dirs", logDir.toString());
    properties.put("num.partitions", "1");
    properties.put("auto.create.topics.enable", "true");
    properties.put("offsets.topic.replication.factor", "1");
    properties.put("offsets.topic.num.partitions", "5");
    properties.put("transaction.state.log.replication.factor", "1");
    properties.put("transaction.state.log.min.isr", "1");
    properties.put("transaction.state.log.num.partitions", "5");
    properties.put("share.coordinator.state.topic.replication.factor", "1");
    properties.put("share.coordinator.state.topic.min.isr", "1");
    properties.put("group.initial.rebalance.delay.ms", "0");
    // otherwise the log cleaner allocates a 128 MiB buffer on the test JVM's heap
    properties.put("log.cleaner.dedupe.buffer.size", "2097152");
    properties.put("num.network.threads", "2");
    properties.put("num.io.threads", "4");
    properties.putAll(overrides);
    return properties;
  }

  private static Path newDirectory(Path parentDirectory) {
    Path directory = parentDirectory.resolve("waybill-kafka-" + Names.hex(6));
    try {
      Files.createDirectories(directory);
    } catch (IOException e) {
      throw new UncheckedIOException("could not create " + directory, e);
    }
    return directory;
  }

  /** Picks distinct free ports by binding them all at once; the caller races to bind them. */
  private static int[] freePorts(int count) {
    ServerSocket[] sockets = new ServerSocket[count];
    try {
      int[] ports = new int[count];
      for (int i = 0; i < count; i++) {
        sockets[i] = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ports[i] = sockets[i].getLocalPort();
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException("could not find free ports", e);
    } finally {
      for (ServerSocket socket : sockets) {
        if (socket != null) {
          try {
            socket.close();
          } catch (IOException ignored) {
            // nothing to do
          }
        }
      }
    }
  }

  /**
   * Makes the broker's fatal-error paths throw instead of ending the test JVM through {@code
   * System.exit} or {@code Runtime.halt}.
   */
  private static void guardJvmExit() {
    Exit.setExitProcedure(
        (status, message) -> {
          throw new IllegalStateException(
              "in-process Kafka broker asked to exit the JVM with status "
                  + status
                  + ": "
                  + message);
        });
    Exit.setHaltProcedure(
        (status, message) -> {
          throw new IllegalStateException(
              "in-process Kafka broker asked to halt the JVM with status "
                  + status
                  + ": "
                  + message);
        });
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
