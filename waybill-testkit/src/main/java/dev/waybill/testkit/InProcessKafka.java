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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Supplier;
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
 * <p>{@link #addBroker()} adds a broker-only node to the cluster, e.g. to have a topic with two
 * replicas whose follower can be stopped. The node that {@link #launch(Path) launched} the cluster
 * owns the brokers added to it: its {@link #close()} closes them first.
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
  private final int nodeId;
  private final String clusterId;
  private final String controllerVoters;
  private final Map<String, String> overrides;
  private final Properties config;
  private final String bootstrapServers;
  private final int securedPort;
  private final List<InProcessKafka> addedBrokers = new ArrayList<>();
  private KafkaRaftServer server;
  private boolean closed;

  /**
   * A node of the cluster {@code clusterId} whose controller is {@code controllerVoters}: the
   * combined broker and controller when {@code controllerPort} is positive, else a broker only.
   */
  private InProcessKafka(
      Path directory,
      int nodeId,
      String clusterId,
      String controllerVoters,
      int brokerPort,
      int controllerPort,
      int securedPort,
      Map<String, String> overrides) {
    this.directory = directory;
    this.securedPort = securedPort;
    this.nodeId = nodeId;
    this.clusterId = clusterId;
    this.controllerVoters = controllerVoters;
    this.overrides = Map.copyOf(overrides);
    this.bootstrapServers = "127.0.0.1:" + brokerPort;
    this.config =
        config(
            directory.resolve("data"),
            nodeId,
            controllerVoters,
            brokerPort,
            controllerPort,
            securedPort,
            overrides);
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
    return launch(parentDirectory, overrides, false);
  }

  /**
   * As {@link #launch(Path, Map)}; with {@code secured}, the broker has a third listener named
   * {@code SECURED} on a free port of 127.0.0.1 whose security settings the overrides give (see
   * {@link SecuredKafka}), and {@link #securedBootstrapServers()} is its address.
   */
  static InProcessKafka launch(
      Path parentDirectory, Map<String, String> overrides, boolean secured) {
    guardJvmExit();
    return startNew(
        () -> {
          int[] ports = freePorts(secured ? 3 : 2);
          return new InProcessKafka(
              createDirectory(parentDirectory.resolve("waybill-kafka-" + Names.hex(6))),
              1,
              Uuid.randomUuid().toString(),
              "1@127.0.0.1:" + ports[1],
              ports[0],
              ports[1],
              secured ? ports[2] : 0,
              overrides);
        });
  }

  /**
   * Formats and starts a broker-only node that joins this node's cluster: the next node id (2, 3,
   * ...), its own {@code PLAINTEXT} listener on a free port of 127.0.0.1, this node's broker
   * properties and overrides, and its data in a subdirectory of this node's. Returns once the
   * cluster lists the new broker. Clients may keep using {@link #bootstrapServers()} of this node.
   *
   * <p>This node owns the new broker: {@link #close()} closes it too. The broker can be {@link
   * #stop() stopped} and {@link #start() started} on its own, e.g. to shrink a partition's in-sync
   * replicas; {@link #stop() stopping} this node leaves the added brokers without a controller. A
   * restart of an added broker takes about 10 s: the controller refuses its new registration until
   * the old one's session ({@code broker.session.timeout.ms}, 9 s) has expired.
   *
   * @return the running broker
   * @throws IllegalStateException if this node is closed or stopped, if it is itself an added
   *     broker (add brokers through the node that launched the cluster), or if no broker could be
   *     started in 3 attempts
   */
  public synchronized InProcessKafka addBroker() {
    if (closed || server == null) {
      throw new IllegalStateException(
          "cannot add a broker to the in-process Kafka node at "
              + bootstrapServers
              + ": it is "
              + (closed ? "closed" : "stopped"));
    }
    if (nodeId != 1) {
      throw new IllegalStateException(
          "cannot add a broker to the in-process Kafka node "
              + nodeId
              + " at "
              + bootstrapServers
              + ": it is a broker only; call addBroker() on the node that launched the cluster");
    }
    int id = 2 + addedBrokers.size();
    InProcessKafka broker =
        startNew(
            () ->
                new InProcessKafka(
                    createDirectory(directory.resolve("node-" + id)),
                    id,
                    clusterId,
                    controllerVoters,
                    freePorts(1)[0],
                    0,
                    0,
                    overrides));
    addedBrokers.add(broker);
    KafkaAdmin.awaitBroker(bootstrapServers, id, READY_TIMEOUT);
    return broker;
  }

  /**
   * Formats and starts the node {@code newNode} makes, with new ports and a new directory on each
   * of 3 attempts.
   */
  private static InProcessKafka startNew(Supplier<InProcessKafka> newNode) {
    RuntimeException failure = null;
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      InProcessKafka kafka = newNode.get();
      try {
        long started = System.nanoTime();
        kafka.format();
        kafka.startServer();
        LOG.info("{} started in {} ms", kafka.describe(), Elapsed.millisSince(started));
        return kafka;
      } catch (RuntimeException e) {
        LOG.warn("{} failed to start (attempt {} of {})", kafka.describe(), attempt, ATTEMPTS, e);
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
   * The {@code bootstrap.servers} value of the {@code SECURED} listener.
   *
   * @throws IllegalStateException if this broker was launched without one
   */
  String securedBootstrapServers() {
    if (securedPort == 0) {
      throw new IllegalStateException(
          "the in-process Kafka broker at " + bootstrapServers + " has no secured listener");
    }
    return "127.0.0.1:" + securedPort;
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
      LOG.info("{} stopped in {} ms", describe(), Elapsed.millisSince(started));
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
        LOG.info("{} restarted in {} ms", describe(), Elapsed.millisSince(started));
        return;
      } catch (RuntimeException e) {
        LOG.warn("{} failed to restart (attempt {})", describe(), attempt, e);
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
    return "in-process KRaft "
        + (nodeId == 1 ? "broker" : "broker-only node " + nodeId)
        + " at "
        + bootstrapServers
        + " (log dir "
        + directory
        + ")";
  }

  private void format() {
    Path file = directory.resolve("server.properties");
    try (OutputStream out = Files.newOutputStream(file)) {
      config.store(out, "waybill-testkit in-process broker");
    } catch (IOException e) {
      throw new UncheckedIOException("could not write " + file, e);
    }
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    String[] args = {"format", "-t", clusterId, "-c", file.toString()};
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
    KafkaAdmin.awaitBroker(bootstrapServers, nodeId, READY_TIMEOUT);
  }

  /**
   * Closes the brokers {@link #addBroker() added} to this node, then stops this broker and deletes
   * its directory. Closing twice does nothing; the broker cannot be started again.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      // first, while their controller still answers their controlled shutdown
      for (InProcessKafka broker : addedBrokers) {
        broker.close();
      }
    } finally {
      try {
        stop();
      } finally {
        deleteDirectory();
      }
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
      Path logDir,
      int nodeId,
      String controllerVoters,
      int brokerPort,
      int controllerPort,
      int securedPort,
      Map<String, String> overrides) {
    Properties properties = new Properties();
    boolean controller = controllerPort > 0;
    String secured = securedPort > 0 ? ",SECURED://127.0.0.1:" + securedPort : "";
    properties.put("process.roles", controller ? "broker,controller" : "broker");
    properties.put("node.id", String.valueOf(nodeId));
    properties.put("controller.quorum.voters", controllerVoters);
    properties.put(
        "listeners",
        "PLAINTEXT://127.0.0.1:"
            + brokerPort
            + (controller ? ",CONTROLLER://127.0.0.1:" + controllerPort : "")
            + secured);
    properties.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + secured);
    properties.put("controller.listener.names", "CONTROLLER");
    properties.put("inter.broker.listener.name", "PLAINTEXT");
    properties.put(
        "listener.security.protocol.map",
        "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
            + (secured.isEmpty() ? "" : ",SECURED:SASL_SSL"));
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

  private static Path createDirectory(Path directory) {
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
