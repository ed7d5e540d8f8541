package dev.waybill.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * A single-node KRaft Kafka broker (combined broker and controller) in a separate JVM, started from
 * the calling program's own class path ({@code java -cp <java.class.path> kafka.Kafka
 * server.properties}), so that class path must hold {@code kafka_2.13} (a shaded runnable jar that
 * includes it, as the benchmarks' and the chaos rig's do). A separate process keeps the broker's
 * threads, heap and GC out of the calling JVM, as in production, and lets it be stopped, crashed
 * and restarted like a real broker: {@link #stop()} (SIGTERM), {@link #crash()} (SIGKILL) and
 * {@link #restart()} (same ports, same data).
 *
 * <p>Or, with {@link #external(String)}, a broker that is already running.
 *
 * <p>The caller owns the broker: {@link #start(Path)} registers a JVM shutdown hook that stops it,
 * and {@link #close()} stops it and deletes its data. Thread-safe.
 */
public final class KafkaBrokerProcess implements AutoCloseable {
  /** The heap and GC options {@code kafka-server-start.sh} uses by default. */
  public static final List<String> JVM_OPTIONS =
      List.of(
          "-Xms1g",
          "-Xmx1g",
          "-XX:+UseG1GC",
          "-XX:MaxGCPauseMillis=20",
          "-XX:InitiatingHeapOccupancyPercent=35",
          "-XX:+ExplicitGCInvokesConcurrent",
          "-Djava.awt.headless=true");

  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

  /**
   * One more PLAINTEXT listener of the broker, next to its own: it listens on {@code port} and
   * tells clients that connected through it to reach the broker at {@code advertisedPort} of
   * 127.0.0.1, for example a {@link TcpProxy} in front of {@code port}.
   *
   * @param name the listener's name: upper-case letters, digits and underscores
   * @param port the port it listens on
   * @param advertisedPort the port its clients are told to use
   */
  public record Listener(String name, int port, int advertisedPort) {
    public Listener {
      Objects.requireNonNull(name, "name");
      if (!name.matches("[A-Z][A-Z0-9_]*")
          || name.equals("PLAINTEXT")
          || name.equals("CONTROLLER")) {
        throw new IllegalArgumentException(
            "listener name '"
                + name
                + "' → expected upper-case letters, digits and underscores,"
                + " other than PLAINTEXT and CONTROLLER");
      }
    }
  }

  private final String bootstrapServers;
  private final Path directory;
  private final String description;
  private final long externalPid;
  private final List<String> command;
  private Process process;
  private int starts;

  private KafkaBrokerProcess(
      String bootstrapServers,
      Process process,
      Path directory,
      String description,
      long externalPid,
      List<String> command) {
    this.bootstrapServers = bootstrapServers;
    this.process = process;
    this.directory = directory;
    this.description = description;
    this.externalPid = externalPid;
    this.command = command;
    this.starts = 1;
  }

  /**
   * The broker at {@code bootstrap} when one is given (not empty), else a new one in a separate JVM
   * with its log dir under {@code workDir}.
   */
  public static KafkaBrokerProcess startOrUse(String bootstrap, Path workDir)
      throws IOException, InterruptedException {
    return startOrUse(bootstrap, -1, workDir);
  }

  /**
   * As {@link #startOrUse(String, Path)}; {@code pid} is the external broker's process id (for CPU
   * accounting), or -1 when unknown.
   */
  public static KafkaBrokerProcess startOrUse(String bootstrap, long pid, Path workDir)
      throws IOException, InterruptedException {
    return bootstrap.isEmpty() ? start(workDir) : external(bootstrap, pid);
  }

  /** A broker that runs already; never stopped by {@link #close()}. */
  public static KafkaBrokerProcess external(String bootstrapServers) {
    return external(bootstrapServers, -1);
  }

  /** A broker that runs already, with its process id (-1: unknown); never stopped here. */
  public static KafkaBrokerProcess external(String bootstrapServers, long pid) {
    awaitReady(bootstrapServers, null, Duration.ofSeconds(15));
    return new KafkaBrokerProcess(
        bootstrapServers, null, null, "external broker at " + bootstrapServers, pid, List.of());
  }

  /**
   * Formats a fresh log directory under {@code workDir} and starts a broker on free ports with
   * {@link #JVM_OPTIONS}; a start that fails (a picked port taken meanwhile) is retried with new
   * ports.
   */
  public static KafkaBrokerProcess start(Path workDir) throws IOException, InterruptedException {
    return start(workDir, JVM_OPTIONS, List.of());
  }

  /**
   * As {@link #start(Path)}, with the broker JVM's options (heap, GC) and extra listeners.
   *
   * @throws IllegalStateException if the broker does not start within 90 s (three attempts)
   */
  public static KafkaBrokerProcess start(
      Path workDir, List<String> jvmOptions, List<Listener> extraListeners)
      throws IOException, InterruptedException {
    IllegalStateException failure = null;
    for (int attempt = 1; attempt <= 3; attempt++) {
      Path dir = workDir.resolve("kafka-" + Long.toHexString(System.nanoTime()));
      Files.createDirectories(dir);
      int[] ports = freePorts(2);
      String bootstrap = "127.0.0.1:" + ports[0];
      Path props = dir.resolve("server.properties");
      Files.writeString(
          props, serverProperties(dir.resolve("data"), ports[0], ports[1], extraListeners));
      Path logback = dir.resolve("logback.xml");
      Files.writeString(logback, LOGBACK);
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      String cp = System.getProperty("java.class.path");
      List<String> format =
          List.of(
              java,
              "-Xmx256m",
              "-Dlogback.configurationFile=" + logback,
              "-cp",
              cp,
              "kafka.tools.StorageTool",
              "format",
              "-t",
              Uuid.randomUuid().toString(),
              "-c",
              props.toString());
      Process f =
          new ProcessBuilder(format)
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("format.log").toFile())
              .start();
      if (!f.waitFor(60, TimeUnit.SECONDS) || f.exitValue() != 0) {
        f.destroyForcibly();
        throw new IllegalStateException(
            "formatting the Kafka log dir failed; see " + dir.resolve("format.log"));
      }
      List<String> cmd = new ArrayList<>();
      cmd.add(java);
      cmd.addAll(jvmOptions);
      cmd.add("-Dlogback.configurationFile=" + logback);
      cmd.add("-cp");
      cmd.add(cp);
      cmd.add("kafka.Kafka");
      cmd.add(props.toString());
      long t0 = System.nanoTime();
      Process p = launch(cmd, dir, 1);
      try {
        awaitStartedLine(dir.resolve("broker-1.log"), p, READY_TIMEOUT);
        awaitReady(bootstrap, p, Duration.ofSeconds(30));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        KafkaBrokerProcess broker =
            new KafkaBrokerProcess(
                bootstrap,
                p,
                dir,
                "separate-JVM KRaft broker (pid "
                    + p.pid()
                    + ", "
                    + String.join(" ", jvmOptions.subList(0, Math.min(3, jvmOptions.size())))
                    + ") at "
                    + bootstrap
                    + ", ready in "
                    + ms
                    + " ms, log dir "
                    + dir,
                -1,
                List.copyOf(cmd));
        Runtime.getRuntime().addShutdownHook(new Thread(broker::close));
        return broker;
      } catch (IllegalStateException e) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    throw failure;
  }

  private static Process launch(List<String> cmd, Path dir, int start) throws IOException {
    return new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("broker-" + start + ".log").toFile())
        .start();
  }

  /** The {@code bootstrap.servers} value of the broker's own PLAINTEXT listener. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** The broker's process id, or -1 for an external broker whose id was not given. */
  public synchronized long pid() {
    return process == null ? externalPid : process.pid();
  }

  /** Where the broker runs, for logs. */
  public String description() {
    return description;
  }

  /** Whether the broker process is alive (always true for an external broker). */
  public synchronized boolean isRunning() {
    return command.isEmpty() || process.isAlive();
  }

  /**
   * Stops the broker gracefully (SIGTERM; SIGKILL after 20 s) and keeps its data and ports for
   * {@link #restart()}. Stopping a stopped broker does nothing.
   *
   * @throws UnsupportedOperationException for an external broker
   */
  public synchronized void stop() {
    ensureOwned();
    terminate(process, false);
  }

  /**
   * Crashes the broker: SIGKILL, as after a power failure of its host; {@link #restart()} recovers
   * its log. Crashing a stopped broker does nothing.
   *
   * @throws UnsupportedOperationException for an external broker
   */
  public synchronized void crash() {
    ensureOwned();
    terminate(process, true);
  }

  /**
   * Starts a {@link #stop() stopped} or {@link #crash() crashed} broker again, same ports and data,
   * and waits until it answers. Restarting a running broker does nothing.
   *
   * @throws IllegalStateException if it does not start within 90 s
   * @throws UncheckedIOException if the process cannot be started
   */
  public synchronized void restart() {
    ensureOwned();
    if (process.isAlive()) {
      return;
    }
    starts++;
    try {
      process = launch(command, directory, starts);
    } catch (IOException e) {
      throw new UncheckedIOException("could not restart " + description, e);
    }
    awaitStartedLine(directory.resolve("broker-" + starts + ".log"), process, READY_TIMEOUT);
    awaitReady(bootstrapServers, process, Duration.ofSeconds(30));
  }

  /** Stops the broker (SIGTERM, then SIGKILL after 20 s) and deletes its log dir. */
  @Override
  public synchronized void close() {
    if (process == null) {
      return;
    }
    terminate(process, false);
    deleteTree(directory.resolve("data"));
  }

  private void ensureOwned() {
    if (command.isEmpty()) {
      throw new UnsupportedOperationException(description + " is not managed here");
    }
  }

  private static void terminate(Process process, boolean kill) {
    if (!process.isAlive()) {
      return;
    }
    try {
      if (kill) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        return;
      }
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Waits for the broker's "Kafka Server started" log line, so no client sees refused connections.
   */
  private static void awaitStartedLine(Path log, Process p, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IllegalStateException(
            "the Kafka broker exited with " + p.exitValue() + "; see " + log);
      }
      try {
        if (Files.exists(log) && Files.readString(log).contains("Kafka Server started")) {
          return;
        }
        Thread.sleep(100);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
    throw new IllegalStateException(
        "the Kafka broker did not start within " + timeout + "; see " + log);
  }

  private static void awaitReady(String bootstrap, Process p, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
    Exception last = null;
    while (System.nanoTime() < deadline) {
      if (p != null && !p.isAlive()) {
        throw new IllegalStateException("the Kafka broker exited with " + p.exitValue());
      }
      try (Admin admin = Admin.create(props)) {
        if (!admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty()) {
          return;
        }
      } catch (Exception e) {
        last = e;
      }
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
    throw new IllegalStateException(
        "the Kafka broker at " + bootstrap + " did not answer within " + timeout, last);
  }

  private static String serverProperties(
      Path data, int brokerPort, int controllerPort, List<Listener> extra) {
    StringBuilder listeners =
        new StringBuilder(
            "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
    StringBuilder advertised = new StringBuilder("PLAINTEXT://127.0.0.1:" + brokerPort);
    StringBuilder protocols = new StringBuilder("CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
    for (Listener l : extra) {
      listeners.append(',').append(l.name()).append("://127.0.0.1:").append(l.port());
      advertised.append(',').append(l.name()).append("://127.0.0.1:").append(l.advertisedPort());
      protocols.append(',').append(l.name()).append(":PLAINTEXT");
    }
    return String.join(
            "\n",
            "process.roles=broker,controller",
            "node.id=1",
            "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
            "listeners=" + listeners,
            "advertised.listeners=" + advertised,
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=" + protocols,
            "log.dirs=" + data,
            "num.partitions=6",
            "auto.create.topics.enable=false",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=1",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "log.cleaner.dedupe.buffer.size=2097152",
            "")
        .replace("\n", System.lineSeparator());
  }

  private static final String LOGBACK =
      """
      <configuration>
        <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
          <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{30} - %msg%n</pattern></encoder>
        </appender>
        <logger name="kafka.server.KafkaRaftServer" level="INFO"/>
        <root level="WARN"><appender-ref ref="OUT"/></root>
      </configuration>
      """;

  /**
   * Picks {@code n} distinct free ports of the machine (bound, then released: a start that loses
   * the race for one is retried by the caller).
   */
  public static int[] freePorts(int n) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0);
        sockets.add(s);
        ports[i] = s.getLocalPort();
      }
      return ports;
    } finally {
      for (ServerSocket s : sockets) {
        s.close();
      }
    }
  }

  private static void deleteTree(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder())
          .forEach(
              f -> {
                try {
                  Files.deleteIfExists(f);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    } catch (IOException | UncheckedIOException e) {
      System.err.println("could not delete " + dir + ": " + e.getMessage());
    }
  }
}
