package dev.waybill.chaos;

import com.zaxxer.hikari.HikariDataSource;
import dev.waybill.outbox.jdbc.DataSources;
import dev.waybill.outbox.jdbc.DatabaseSettings;
import dev.waybill.outbox.schema.SchemaComponent;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.testkit.EmbeddedPostgresServer;
import dev.waybill.testkit.KafkaBrokerProcess;
import dev.waybill.testkit.Narrator;
import dev.waybill.testkit.TcpProxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * Everything the rig runs, the way users deploy it: its own PostgreSQL server (a child process of
 * the rig, so it can be restarted and crashed), a Kafka broker in its own JVM, a TCP proxy in front
 * of each (the relays and consumers connect through them; the writers, the DLQ tool and the ledger
 * connect directly), {@value #POLLING_RELAYS} polling relays or {@value #CDC_RELAYS} CDC relays
 * ({@code java -jar outbox-relay.jar run}) and {@value #CONSUMERS} inbox consumers ({@link
 * ConsumerMain}) in one group.
 */
final class Deployment implements AutoCloseable {
  /** Polling relays of the default configuration. */
  static final int POLLING_RELAYS = 3;

  /** CDC relays: one reads the slot, the other stands by. */
  static final int CDC_RELAYS = 2;

  /** The CDC relays' replication slot. */
  static final String SLOT = "chaos_slot";

  static final int CONSUMERS = 2;

  /** The relays' lease time: a SIGSTOP longer than this is the zombie case. */
  static final int LEASE_TTL_SECONDS = 10;

  private static final List<String> CHILD_JVM =
      List.of("-Xmx160m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k");
  private static final List<String> BROKER_JVM =
      List.of(
          "-Xms128m",
          "-Xmx384m",
          "-XX:+UseSerialGC",
          "-XX:TieredStopAtLevel=1",
          "-Djava.awt.headless=true");

  /** The rig's own PostgreSQL server; null on MariaDB. */
  final EmbeddedPostgresServer postgres;

  private final RigServer server;

  final RigDatabase db;
  final String database;
  final String user;
  final String password;
  final int dbPort;
  final KafkaBrokerProcess broker;
  final TcpProxy dbProxy;
  final TcpProxy kafkaProxy;
  final List<ChildProcess> relays = new ArrayList<>();
  final List<ChildProcess> consumers = new ArrayList<>();
  final HikariDataSource direct;
  final Path work;
  final Path relayJar;
  final Path dlqJar;
  final boolean cdc;
  final Map<String, String> relaySettings;
  private volatile boolean closed;

  private Deployment(
      RigServer server,
      KafkaBrokerProcess broker,
      TcpProxy dbProxy,
      TcpProxy kafkaProxy,
      HikariDataSource direct,
      Path work,
      Path relayJar,
      Path dlqJar,
      boolean cdc,
      Map<String, String> relaySettings) {
    this.cdc = cdc;
    this.relaySettings = relaySettings;
    this.server = server;
    this.postgres = server.postgres();
    this.db = server.db();
    this.database = server.database();
    this.user = server.user();
    this.password = server.password();
    this.dbPort = server.port();
    this.broker = broker;
    this.dbProxy = dbProxy;
    this.kafkaProxy = kafkaProxy;
    this.direct = direct;
    this.work = work;
    this.relayJar = relayJar;
    this.dlqJar = dlqJar;
  }

  /**
   * Starts the servers, the proxies, the schema and the topics; the relays and consumers not yet.
   */
  static Deployment start(ChaosOptions options, Narrator console) throws Exception {
    Path work = options.workDir();
    Path logs = work.resolve("logs");
    Files.createDirectories(logs);
    List<AutoCloseable> started = new ArrayList<>();
    try {
      return start(options, console, work, logs, started);
    } catch (Exception | Error e) {
      for (int i = started.size() - 1; i >= 0; i--) {
        try {
          started.get(i).close();
        } catch (Exception suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  private static Deployment start(
      ChaosOptions options, Narrator console, Path work, Path logs, List<AutoCloseable> started)
      throws Exception {
    RigServer server =
        options.db().ownServer()
            ? RigServer.postgres(options.postgresBinaries(), work.resolve("pg-data"))
            : RigServer.mariadb();
    if (server.postgres() != null) {
      started.add(server.postgres());
    } else {
      started.add(() -> RigServer.dropMariaDb(server.database()));
    }
    console.say(
        "setup",
        "%s, database %s",
        server.postgres() != null ? server.postgres() : "the machine's MariaDB at 127.0.0.1:3306",
        server.database());
    TcpProxy dbProxy = TcpProxy.start("127.0.0.1", server.port());
    started.add(dbProxy);
    int proxied = KafkaBrokerProcess.freePorts(1)[0];
    TcpProxy kafkaProxy = TcpProxy.start("127.0.0.1", proxied);
    started.add(kafkaProxy);
    KafkaBrokerProcess broker =
        KafkaBrokerProcess.start(
            work,
            BROKER_JVM,
            List.of(new KafkaBrokerProcess.Listener("PROXIED", proxied, kafkaProxy.port())));
    started.add(broker);
    console.say("setup", "%s", broker.description());
    console.say("setup", "database %s; kafka %s", dbProxy, kafkaProxy);
    // one connection per writer, plus the fault injector's, the drain's and the ledger's
    HikariDataSource direct =
        DataSources.create(
            new DatabaseSettings(
                server.jdbcUrl(server.port(), null),
                server.user(),
                server.password(),
                options.writers() + 3,
                java.time.Duration.ofSeconds(10)),
            "chaos-rig");
    started.add(direct);
    Deployment d =
        new Deployment(
            server,
            broker,
            dbProxy,
            kafkaProxy,
            direct,
            work,
            options.relayJar(),
            options.dlqJar(),
            options.cdc(),
            options.relaySettings());
    d.createSchema(options.keys());
    d.createTopics();
    for (int i = 1; i <= (options.cdc() ? CDC_RELAYS : POLLING_RELAYS); i++) {
      d.relays.add(new ChildProcess("relay-" + i, d::relayCommand, d.environment(), logs));
    }
    for (int i = 1; i <= CONSUMERS; i++) {
      d.consumers.add(new ChildProcess("consumer-" + i, d::consumerCommand, d.environment(), logs));
    }
    return d;
  }

  private void createSchema(int keys) throws SQLException {
    SchemaMigrator.builder().dataSource(direct).build().migrate();
    SchemaMigrator.builder()
        .dataSource(direct)
        .component(SchemaComponent.inbox())
        .build()
        .migrate();
    try (Connection c = direct.getConnection();
        Statement st = c.createStatement()) {
      st.execute(
          "CREATE TABLE chaos_key (msg_key VARCHAR(64) PRIMARY KEY, last_seq INT NOT NULL DEFAULT 0)");
      String ts = db.timestamp();
      st.execute(
          "CREATE TABLE chaos_written (message_id VARCHAR(64) PRIMARY KEY,"
              + " msg_key VARCHAR(64) NOT NULL, key_seq INT NOT NULL, kind VARCHAR(32) NOT NULL,"
              + " available_at "
              + ts
              + " NULL, committed_at "
              + db.timestampNowDefault()
              + ")");
      // no unique constraint on message_id: a double effect must be visible, not prevented
      st.execute(
          "CREATE TABLE chaos_effect (applied_seq "
              + db.serialKey()
              + ", message_id VARCHAR(255) NOT NULL, msg_key VARCHAR(64), key_seq INT NOT NULL,"
              + " consumer VARCHAR(64) NOT NULL, applied_at "
              + db.timestampNowDefault()
              + ")");
      st.execute(
          "CREATE TABLE chaos_fix (fixed INT NOT NULL, fixed_at " + db.timestampNowDefault() + ")");
      // the relay's dead letters as they were when the rig discarded them (the "fix" for them)
      st.execute(
          "CREATE TABLE chaos_relay_dead (message_id VARCHAR(64) PRIMARY KEY,"
              + " error_class VARCHAR(255) NOT NULL, parks_key BOOLEAN NOT NULL,"
              + " failed_at "
              + ts
              + " NOT NULL, captured_at "
              + db.timestampNowDefault()
              + ")");
      try (PreparedStatement ins =
          c.prepareStatement("INSERT INTO chaos_key (msg_key) VALUES (?)")) {
        for (String key : Workload.allKeys(keys)) {
          ins.setString(1, key);
          ins.addBatch();
        }
        ins.executeBatch();
      }
    }
  }

  private void createTopics() throws Exception {
    try (Admin admin = Admin.create(adminProperties())) {
      admin
          .createTopics(
              List.of(
                  new NewTopic(Workload.TOPIC, 4, (short) 1),
                  new NewTopic(Workload.DEAD_LETTER_TOPIC, 4, (short) 1)))
          .all()
          .get(30, TimeUnit.SECONDS);
    }
  }

  Properties adminProperties() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    return p;
  }

  /** The database through the proxy; on PostgreSQL the session is named after the process. */
  String proxiedJdbcUrl(String applicationName) {
    return server.jdbcUrl(dbProxy.port(), applicationName);
  }

  /** The database, directly (the server's own port), without credentials in the URL. */
  String directJdbcUrl() {
    return server.jdbcUrl(dbPort, null);
  }

  String proxiedBootstrap() {
    return "127.0.0.1:" + kafkaProxy.port();
  }

  private String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /**
   * The environment of the relays, the consumers and the DLQ tool: the database password, as a
   * deployment would give it.
   */
  Map<String, String> environment() {
    return Map.of("WAYBILL_DB_PASSWORD", password);
  }

  private List<String> relayCommand(String instance) {
    List<String> cmd = new ArrayList<>();
    cmd.add(java());
    cmd.addAll(CHILD_JVM);
    cmd.add("-jar");
    cmd.add(relayJar.toString());
    cmd.add("run");
    Map<String, String> settings =
        new java.util.LinkedHashMap<>(
            Map.of(
                "db.url",
                proxiedJdbcUrl(instance),
                "db.user",
                user,
                "kafka.bootstrap.servers",
                proxiedBootstrap(),
                "relay.instance.id",
                instance,
                "http.port",
                "-1",
                "relay.lease.ttl",
                LEASE_TTL_SECONDS + "s",
                "relay.lease.renew.interval",
                "1s",
                "relay.send.timeout",
                "4s",
                "relay.shards",
                "16"));
    settings.put("relay.poll.interval", "250ms");
    if (cdc) {
      settings.put("relay.mode", "cdc");
      settings.put("relay.cdc.slot", SLOT);
      settings.put("relay.cdc.heartbeat.interval", "2s");
    }
    settings.putAll(relaySettings);
    settings.put("relay.retry.backoff.max", "2s");
    settings.put("relay.source", "urn:waybill:chaos");
    settings.forEach(
        (k, v) -> {
          cmd.add("--set");
          cmd.add(k + "=" + v);
        });
    return cmd;
  }

  private List<String> consumerCommand(String instance) {
    List<String> cmd = new ArrayList<>();
    cmd.add(java());
    cmd.addAll(CHILD_JVM);
    cmd.add("-Dwaybill.log.level=INFO");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(ConsumerMain.class.getName());
    cmd.add(proxiedJdbcUrl(instance));
    cmd.add(user);
    cmd.add(proxiedBootstrap());
    cmd.add(instance);
    return cmd;
  }

  /** The DLQ tool's command line for {@code args}, with the database and broker settings. */
  List<String> dlqCommand(List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(java());
    cmd.addAll(CHILD_JVM);
    cmd.add("-jar");
    cmd.add(dlqJar.toString());
    cmd.addAll(args);
    return cmd;
  }

  /**
   * Brings back whatever a fault left down (a heal that failed): thaws the proxies, starts the
   * servers and continues or restarts every child.
   */
  void healAll() {
    dbProxy.thaw();
    kafkaProxy.thaw();
    if (postgres != null && !postgres.isRunning()) {
      postgres.restart();
    }
    if (!broker.isRunning()) {
      broker.restart();
    }
    for (ChildProcess p : relays) {
      p.resume();
      p.start();
    }
    for (ChildProcess p : consumers) {
      p.resume();
      p.start();
    }
  }

  /**
   * Starts a watchdog that restarts every relay or consumer that exited although no fault stopped
   * it, as a container orchestrator would, and records the exit.
   */
  void watch(Narrator console, List<ChildProcess.Exit> exits) {
    Thread t =
        new Thread(
            () -> {
              while (!closed) {
                List<ChildProcess> all = new ArrayList<>(relays);
                all.addAll(consumers);
                for (ChildProcess p : all) {
                  p.restartIfExited()
                      .ifPresent(
                          e -> {
                            synchronized (exits) {
                              exits.add(e);
                            }
                            console.say(
                                "watch",
                                "%s exited on its own (exit code %d); restarted as %s",
                                e.instance(),
                                e.exitCode(),
                                p.instanceId());
                          });
                }
                Workload.sleep(1000);
              }
            },
            "chaos-watchdog");
    t.setDaemon(true);
    t.start();
  }

  /**
   * Stops the children gracefully, then the broker, the proxies and PostgreSQL, deleting the data.
   */
  @Override
  public void close() {
    close(false);
  }

  /**
   * As {@link #close()}; with {@code keepData} PostgreSQL's data directory stays (for a failed
   * run). Kafka's data and the MariaDB database go either way.
   */
  void close(boolean keepData) {
    closed = true;
    List<ChildProcess> all = new ArrayList<>(consumers);
    all.addAll(relays);
    for (ChildProcess p : all) {
      p.resume();
    }
    all.parallelStream().forEach(p -> p.terminate(20));
    dbProxy.close();
    kafkaProxy.close();
    broker.close();
    direct.close();
    if (postgres != null) {
      if (keepData) {
        postgres.stop();
      } else {
        postgres.close();
      }
    } else {
      try {
        RigServer.dropMariaDb(database);
      } catch (SQLException e) {
        System.err.println("chaos: could not drop database " + database + ": " + e.getMessage());
      }
    }
  }
}
