package dev.waybill.relay;

import static java.util.stream.Collectors.toMap;

import dev.waybill.outbox.OutboxConfig;
import dev.waybill.outbox.config.ConfigException;
import dev.waybill.outbox.config.ConfigProblem;
import dev.waybill.outbox.config.PassThroughFamily;
import dev.waybill.outbox.config.RetrySettings;
import dev.waybill.outbox.config.Setting;
import dev.waybill.outbox.config.Settings;
import dev.waybill.outbox.dialect.LogicalDecodingSql;
import dev.waybill.outbox.jdbc.DatabaseSettings;
import dev.waybill.outbox.jdbc.SqlIdentifier;
import dev.waybill.relay.internal.HeapBudget;
import dev.waybill.relay.internal.KafkaPublisher;
import io.github.resilience4j.core.IntervalFunction;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;

/**
 * Settings of one relay instance. Immutable; validated as a whole (cross-setting rules included)
 * and every problem is reported at once. Read from {@link Settings} with {@link #read(Settings)}
 * (properties file, environment, {@code --set}) or built with {@link #builder()}. {@link
 * #toString()} shows every setting except secrets.
 *
 * @param database how to reach the database ({@code db.*}); may be null for an embedded relay that
 *     is given a {@code DataSource}
 * @param outbox the outbox table and NOTIFY channel ({@code outbox.*})
 * @param instanceId this relay's name in logs, leases and status ({@code relay.instance.id})
 * @param source the CloudEvents {@code ce_source} of published messages ({@code relay.source})
 * @param shards how many shards the keys map to; the same on every relay ({@code relay.shards})
 * @param batchSize the most rows claimed and sent at once ({@code relay.batch.size})
 * @param batchMaxBytes the most payload and header bytes claimed at once, a single larger message
 *     excepted ({@code relay.batch.max.bytes}); {@link Setting#AUTO} derives it from the heap
 *     ({@link #effectiveBatchMaxBytes()})
 * @param pollInterval the longest idle wait between polls ({@code relay.poll.interval})
 * @param leaseTtl how long a shard lease lasts without renewal ({@code relay.lease.ttl})
 * @param leaseRenewInterval how often leases are renewed and rebalanced ({@code
 *     relay.lease.renew.interval})
 * @param sendTimeout the longest a send may take, Kafka's {@code delivery.timeout.ms} ({@code
 *     relay.send.timeout})
 * @param failureMode park or skip the key of a dead-lettered message ({@code relay.failure.mode})
 * @param maxAttempts attempts before a message that keeps failing is dead-lettered ({@code
 *     relay.retry.max.attempts})
 * @param backoffInitial first pause after a failed round ({@code relay.retry.backoff.initial})
 * @param backoffMax longest pause after failed rounds ({@code relay.retry.backoff.max})
 * @param backoffMultiplier growth of the pause per failed round ({@code
 *     relay.retry.backoff.multiplier})
 * @param backoffJitter randomization factor of each pause ({@code relay.retry.backoff.jitter})
 * @param httpPort port of the sidecar's {@code /metrics} and {@code /health/*}; -1 disables ({@code
 *     http.port}); an embedded relay serves no HTTP
 * @param httpHost the address that port is bound to ({@code http.host})
 * @param kafka producer settings ({@code kafka.*} without the prefix); secrets are not shown
 * @param mode how the relay finds committed messages: polling the table or reading PostgreSQL's
 *     write-ahead log ({@code relay.mode})
 * @param cdc the CDC mode's settings ({@code relay.cdc.*}); ignored in polling mode
 */
public record RelayConfig(
    DatabaseSettings database,
    OutboxConfig outbox,
    String instanceId,
    String source,
    int shards,
    int batchSize,
    long batchMaxBytes,
    Duration pollInterval,
    Duration leaseTtl,
    Duration leaseRenewInterval,
    Duration sendTimeout,
    FailureMode failureMode,
    int maxAttempts,
    Duration backoffInitial,
    Duration backoffMax,
    double backoffMultiplier,
    double backoffJitter,
    int httpPort,
    String httpHost,
    Map<String, String> kafka,
    RelayMode mode,
    CdcConfig cdc) {

  /** {@code relay.instance.id}; default: host name and process id. */
  public static final Setting<String> INSTANCE_ID =
      Setting.optionalString(
          "relay.instance.id",
          "Name of this relay in logs, leases, metrics and status; default host-pid. Must be"
              + " unique among running relays.");

  /** {@code relay.source}. */
  public static final Setting<String> SOURCE =
      Setting.string(
          "relay.source",
          "urn:waybill:outbox",
          "CloudEvents ce_source of every published message (a URI reference naming your"
              + " application).");

  /** {@code relay.shards}. */
  public static final Setting<Integer> SHARDS =
      Setting.integer(
          "relay.shards",
          64,
          1,
          1024,
          "Number of shards (units of ownership) keys are spread over. The same on every relay;"
              + " at most one relay owns a shard at a time.");

  /** {@code relay.batch.size}. */
  public static final Setting<Integer> BATCH_SIZE =
      Setting.integer(
          "relay.batch.size", 1000, 1, 10_000, "Most outbox rows claimed and sent at once.");

  /** {@code relay.batch.max.bytes}: {@code auto} by default. */
  public static final Setting<Long> BATCH_MAX_BYTES =
      Setting.byteSizeOrAuto(
          "relay.batch.max.bytes",
          64L * 1024,
          16L * 1024 * 1024 * 1024,
          "Most payload + header bytes claimed (polling) or held unacknowledged (CDC) at once;"
              + " a single larger message is sent alone. auto: 1/16 of the heap left after"
              + " kafka.buffer.memory (32MB default), e.g. 6MB at -Xmx128m, 22MB at -Xmx384m. An"
              + " explicit value must fit in 1/4 of that.");

  /** {@code relay.poll.interval}. */
  public static final Setting<Duration> POLL_INTERVAL =
      Setting.duration(
          "relay.poll.interval",
          "500ms",
          Duration.ofMillis(10),
          Duration.ofMinutes(5),
          "Longest wait between polls of an idle outbox (PostgreSQL NOTIFY wakes the relay"
              + " sooner). Idle polls back off from 10ms up to this.");

  /** {@code relay.lease.ttl}. */
  public static final Setting<Duration> LEASE_TTL =
      Setting.duration(
          "relay.lease.ttl",
          "30s",
          Duration.ofSeconds(2),
          Duration.ofMinutes(10),
          "How long a shard lease lasts without renewal: after a crash, its shards move to"
              + " another relay within this time.");

  /** {@code relay.lease.renew.interval}. */
  public static final Setting<Duration> LEASE_RENEW_INTERVAL =
      Setting.duration(
          "relay.lease.renew.interval",
          "3s",
          Duration.ofMillis(100),
          Duration.ofMinutes(1),
          "How often a relay renews its leases and rebalances shards with the others.");

  /** {@code relay.send.timeout}. */
  public static final Setting<Duration> SEND_TIMEOUT =
      Setting.duration(
          "relay.send.timeout",
          "10s",
          Duration.ofSeconds(1),
          Duration.ofMinutes(5),
          "Longest time one send may take, retries included (the producer's"
              + " delivery.timeout.ms). Must be well below relay.lease.ttl.");

  /** {@code relay.failure.mode}. */
  public static final Setting<FailureMode> FAILURE_MODE =
      Setting.ofEnum(
          "relay.failure.mode",
          FailureMode.class,
          FailureMode.PARK,
          "park: later messages of a dead-lettered message's key wait until it is retried or"
              + " discarded (keeps order); skip: they keep flowing.");

  /**
   * The {@code relay.retry.*} settings: the same template, types and ranges as the inbox consumer's
   * {@code inbox.retry.*}.
   */
  public static final RetrySettings RETRY =
      RetrySettings.of(
          "relay",
          10,
          "200ms",
          "30s",
          2.0,
          0.5,
          "Failed attempts before a message that keeps failing while Kafka is reachable is"
              + " dead-lettered. A Kafka outage never counts.");

  /** {@code relay.retry.max.attempts}. */
  public static final Setting<Integer> MAX_ATTEMPTS = RETRY.maxAttempts();

  /** {@code relay.retry.backoff.initial}. */
  public static final Setting<Duration> BACKOFF_INITIAL = RETRY.backoffInitial();

  /** {@code relay.retry.backoff.max}. */
  public static final Setting<Duration> BACKOFF_MAX = RETRY.backoffMax();

  /** {@code relay.retry.backoff.multiplier}. */
  public static final Setting<Double> BACKOFF_MULTIPLIER = RETRY.multiplier();

  /** {@code relay.retry.backoff.jitter}. */
  public static final Setting<Double> BACKOFF_JITTER = RETRY.jitter();

  /** {@code http.port}. */
  public static final Setting<Integer> HTTP_PORT =
      Setting.integer(
          "http.port",
          8080,
          -1,
          65535,
          "Port of /metrics (Prometheus) and /health; 0 picks a free port, -1 disables.");

  /** Default {@code http.host}: every IPv4 interface, which probes and scrapers need. */
  public static final String DEFAULT_HTTP_HOST = "0.0.0.0";

  /** {@code http.host}. */
  public static final Setting<String> HTTP_HOST =
      Setting.text(
          "http.host",
          DEFAULT_HTTP_HOST,
          h ->
              h.matches("[A-Za-z0-9.:%_-]{1,253}")
                  ? null
                  : "expected an IP address or host name, e.g. 0.0.0.0 or 127.0.0.1",
          "Address http.port is bound to: 0.0.0.0 every IPv4 interface (what Kubernetes probes"
              + " and Prometheus need), :: every interface, 127.0.0.1 this machine only, or one"
              + " interface's address or host name.");

  /** {@code kafka.bootstrap.servers}: required. */
  public static final Setting<String> KAFKA_BOOTSTRAP =
      Setting.string(
          "kafka.bootstrap.servers",
          null,
          "Kafka brokers, host:port[,host:port]. Every other kafka.* setting is passed to the"
              + " producer as is (TLS, SASL, compression...).");

  /** {@code relay.mode}. */
  public static final Setting<RelayMode> MODE =
      Setting.ofEnum(
          "relay.mode",
          RelayMode.class,
          RelayMode.POLLING,
          "polling: claim rows from the outbox table (every database, shard leases); cdc:"
              + " PostgreSQL only, read committed messages from the write-ahead log through a"
              + " logical replication slot (see docs/cdc.md).");

  /** {@code relay.cdc.slot}. */
  public static final Setting<String> CDC_SLOT =
      Setting.text(
          "relay.cdc.slot",
          CdcConfig.DEFAULT_SLOT,
          s -> refusal(() -> LogicalDecodingSql.checkSlotName(s, "relay.cdc.slot")),
          "CDC: the logical replication slot (pgoutput) to read; lower-case letters, digits and"
              + " underscores. Unique per outbox in the PostgreSQL cluster; all relays of one"
              + " outbox share it (one reads, the others stand by).");

  /** {@code relay.cdc.publication}. */
  public static final Setting<SqlIdentifier> CDC_PUBLICATION =
      Setting.identifier(
          "relay.cdc.publication",
          CdcConfig.DEFAULT_PUBLICATION,
          "CDC: the publication of the outbox and dead-letter tables that the slot decodes.");

  /** {@code relay.cdc.create}. */
  public static final Setting<Boolean> CDC_CREATE =
      Setting.bool(
          "relay.cdc.create",
          true,
          "CDC: create the slot and the publication at start when they are missing (needs"
              + " REPLICATION and ownership of the tables); false: fail with the SQL to run.");

  /** {@code relay.cdc.heartbeat.interval}. */
  public static final Setting<Duration> CDC_HEARTBEAT_INTERVAL =
      Setting.duration(
          "relay.cdc.heartbeat.interval",
          "10s",
          Duration.ZERO,
          Duration.ofHours(1),
          "CDC: how often an idle relay emits a tiny non-transactional WAL message so the slot's"
              + " confirmed position advances and old WAL can be removed; 0s disables.");

  /** {@code relay.cdc.standby.interval}. */
  public static final Setting<Duration> CDC_STANDBY_INTERVAL =
      Setting.duration(
          "relay.cdc.standby.interval",
          "1s",
          Duration.ofMillis(100),
          Duration.ofMinutes(1),
          "CDC: how often a standby relay tries to take the slot while another relay reads it.");

  /** {@code relay.cdc.decoding.memory}. */
  public static final Setting<String> CDC_DECODING_MEMORY =
      Setting.text(
          "relay.cdc.decoding.memory",
          CdcConfig.DEFAULT_DECODING_MEMORY,
          m -> refusal(() -> CdcConfig.checkDecodingMemory(m)),
          "CDC: logical_decoding_work_mem of the relay's WAL sender session, the memory in which"
              + " PostgreSQL decodes a transaction before spilling it to disk (server default"
              + " 64MB). Only large transactions use it; decoding a bulk transaction that spills is"
              + " about 2.5 times slower (docs/cdc.md). A size in kB, MB or GB, or 'server' to"
              + " keep the server's setting.");

  /** The message of the exception {@code check} throws, or null when it throws none. */
  private static String refusal(Runnable check) {
    try {
      check.run();
      return null;
    } catch (RuntimeException e) {
      return e.getMessage();
    }
  }

  /** Every relay-specific setting, in documentation order. */
  public static final List<Setting<?>> SETTINGS =
      List.of(
          INSTANCE_ID,
          SOURCE,
          SHARDS,
          BATCH_SIZE,
          BATCH_MAX_BYTES,
          POLL_INTERVAL,
          LEASE_TTL,
          LEASE_RENEW_INTERVAL,
          SEND_TIMEOUT,
          FAILURE_MODE,
          MAX_ATTEMPTS,
          BACKOFF_INITIAL,
          BACKOFF_MAX,
          BACKOFF_MULTIPLIER,
          BACKOFF_JITTER,
          HTTP_PORT,
          HTTP_HOST,
          KAFKA_BOOTSTRAP,
          MODE,
          CDC_SLOT,
          CDC_PUBLICATION,
          CDC_CREATE,
          CDC_HEARTBEAT_INTERVAL,
          CDC_STANDBY_INTERVAL,
          CDC_DECODING_MEMORY);

  /** Default {@code relay.source}. */
  public static final String DEFAULT_SOURCE = SOURCE.defaultValue();

  /** Default {@code relay.shards}. */
  public static final int DEFAULT_SHARDS = SHARDS.defaultValue();

  /** Default {@code relay.batch.size}. */
  public static final int DEFAULT_BATCH_SIZE = BATCH_SIZE.defaultValue();

  /** Default {@code relay.batch.max.bytes}: {@link Setting#AUTO}. */
  public static final long DEFAULT_BATCH_MAX_BYTES = BATCH_MAX_BYTES.defaultValue();

  /** Default {@code relay.poll.interval}. */
  public static final Duration DEFAULT_POLL_INTERVAL = POLL_INTERVAL.defaultValue();

  /** Default {@code relay.lease.ttl}. */
  public static final Duration DEFAULT_LEASE_TTL = LEASE_TTL.defaultValue();

  /** Default {@code relay.lease.renew.interval}. */
  public static final Duration DEFAULT_LEASE_RENEW_INTERVAL = LEASE_RENEW_INTERVAL.defaultValue();

  /** Default {@code relay.send.timeout}. */
  public static final Duration DEFAULT_SEND_TIMEOUT = SEND_TIMEOUT.defaultValue();

  /** Default {@code relay.failure.mode}. */
  public static final FailureMode DEFAULT_FAILURE_MODE = FAILURE_MODE.defaultValue();

  /** Default {@code relay.retry.max.attempts}. */
  public static final int DEFAULT_MAX_ATTEMPTS = MAX_ATTEMPTS.defaultValue();

  /** Default {@code relay.retry.backoff.initial}. */
  public static final Duration DEFAULT_BACKOFF_INITIAL = BACKOFF_INITIAL.defaultValue();

  /** Default {@code relay.retry.backoff.max}. */
  public static final Duration DEFAULT_BACKOFF_MAX = BACKOFF_MAX.defaultValue();

  /** Default {@code relay.retry.backoff.multiplier}. */
  public static final double DEFAULT_BACKOFF_MULTIPLIER = BACKOFF_MULTIPLIER.defaultValue();

  /** Default {@code relay.retry.backoff.jitter}. */
  public static final double DEFAULT_BACKOFF_JITTER = BACKOFF_JITTER.defaultValue();

  /** Default {@code relay.mode}. */
  public static final RelayMode DEFAULT_MODE = MODE.defaultValue();

  /**
   * Every setting the relay process reads: {@code db.*}, {@code outbox.*} and its own.
   *
   * @return the declarations, in documentation order; unmodifiable
   */
  public static List<Setting<?>> allSettings() {
    List<Setting<?>> all = new ArrayList<>(DatabaseSettings.SETTINGS);
    all.addAll(OutboxConfig.SETTINGS);
    all.addAll(SETTINGS);
    return List.copyOf(all);
  }

  /** Families whose unknown keys are reported as typos ({@code kafka.*} passes through). */
  public static final List<String> OWNED_PREFIXES = List.of("db.", "outbox.", "relay.", "http.");

  /**
   * The {@code kafka.*} keys: those of the Kafka producer and of the admin client (the health
   * check), as their {@code ConfigDef}s declare them; the {@code PASSWORD}-typed ones are secret.
   */
  public static final PassThroughFamily KAFKA_KEYS =
      PassThroughFamily.kafka(
          "the Kafka producer or admin client",
          Stream.of(ProducerConfig.configDef(), AdminClientConfig.configDef())
              .flatMap(d -> d.configKeys().values().stream())
              .collect(
                  toMap(k -> k.name, k -> k.type == ConfigDef.Type.PASSWORD, Boolean::logicalOr)));

  /**
   * Checks every cross-setting rule.
   *
   * @param database the database connection settings, or null when a {@code DataSource} is given
   * @param outbox the outbox table settings, matching the writers'
   * @param instanceId a unique name of 1 to 200 characters
   * @param source the CloudEvents source
   * @param shards the number of lease units, the same on every relay
   * @param batchSize the most rows per claim
   * @param batchMaxBytes the most bytes per claim, or {@link Setting#AUTO}; must fit the heap
   * @param pollInterval the longest idle wait
   * @param leaseTtl the lease lifetime; must exceed {@code sendTimeout} plus {@code
   *     leaseRenewInterval}
   * @param leaseRenewInterval the renewal and rebalancing period
   * @param sendTimeout the producer's delivery timeout
   * @param failureMode what happens to a key after one of its messages is dead-lettered
   * @param maxAttempts failed attempts before a message is dead-lettered
   * @param backoffInitial the first pause after a failed round
   * @param backoffMax the longest pause; not below {@code backoffInitial}
   * @param backoffMultiplier the growth of the pause per failed round, 1.0 to 10.0
   * @param backoffJitter the randomization factor of each pause, 0.0 to 0.99
   * @param httpPort the HTTP port, 0 for any free port, -1 for none
   * @param httpHost the address the HTTP port is bound to, e.g. {@code 0.0.0.0} or {@code
   *     127.0.0.1}
   * @param kafka extra producer settings; ordering and durability settings the relay owns are
   *     refused
   * @param mode polling or CDC
   * @param cdc the CDC settings
   * @throws ConfigException listing every problem
   */
  public RelayConfig {
    Objects.requireNonNull(outbox, "outbox");
    Objects.requireNonNull(instanceId, "instanceId");
    Objects.requireNonNull(failureMode, "failureMode");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(cdc, "cdc");
    Objects.requireNonNull(httpHost, "httpHost");
    List<String> problems = new ArrayList<>();
    kafka = Map.copyOf(KAFKA_KEYS.resolve(kafka, v -> v, problems));
    List<ConfigProblem> refused = new ArrayList<>();
    SHARDS.problemWith(shards).ifPresent(refused::add);
    BATCH_SIZE.problemWith(batchSize).ifPresent(refused::add);
    BATCH_MAX_BYTES.problemWith(batchMaxBytes).ifPresent(refused::add);
    POLL_INTERVAL.problemWith(pollInterval).ifPresent(refused::add);
    LEASE_TTL.problemWith(leaseTtl).ifPresent(refused::add);
    LEASE_RENEW_INTERVAL.problemWith(leaseRenewInterval).ifPresent(refused::add);
    SEND_TIMEOUT.problemWith(sendTimeout).ifPresent(refused::add);
    refused.addAll(
        RETRY.problems(maxAttempts, backoffInitial, backoffMax, backoffMultiplier, backoffJitter));
    HTTP_PORT.problemWith(httpPort).ifPresent(refused::add);
    refused.forEach(p -> problems.add(p.text()));
    if (refused.isEmpty()) {
      problems.addAll(crossCheck(leaseTtl, leaseRenewInterval, sendTimeout, kafka));
    }
    if (BATCH_MAX_BYTES.problemWith(batchMaxBytes).isEmpty()) {
      problems.addAll(
          HeapBudget.problems(
              batchMaxBytes,
              outbox.maxMessageBytes(),
              HeapBudget.maxHeap(),
              HeapBudget.producerBuffer(kafka)));
    }
    HTTP_HOST.problemWith(httpHost).ifPresent(p -> problems.add(p.text()));
    if (instanceId.isBlank() || instanceId.length() > 200) {
      problems.add("'" + instanceId + "' → relay.instance.id → expected 1 to 200 characters");
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
  }

  private static List<String> crossCheck(
      Duration ttl, Duration renew, Duration send, Map<String, String> kafka) {
    List<String> problems = new ArrayList<>();
    if (ttl.compareTo(renew.multipliedBy(3)) < 0) {
      problems.add(
          "'"
              + ttl
              + "' → relay.lease.ttl → must be at least 3 × relay.lease.renew.interval ("
              + renew
              + ") so a healthy relay never loses a lease between renewals");
    }
    Duration maxBlock = KafkaPublisher.maxBlock(kafka, send);
    Duration needed = send.plus(maxBlock).plus(renew).plus(Duration.ofSeconds(1));
    if (ttl.compareTo(needed) <= 0) {
      problems.add(
          "'"
              + ttl
              + "' → relay.lease.ttl → must exceed relay.send.timeout + kafka.max.block.ms ("
              + maxBlock
              + ") + relay.lease.renew.interval + 1s ("
              + needed
              + "): a relay that cannot renew stops sending, and its last sends must end before"
              + " the lease expires");
    }
    String acks = kafka.get("acks");
    if (acks != null && !acks.equals("all") && !acks.equals("-1")) {
      problems.add(
          "'"
              + acks
              + "' → kafka.acks → must be all: with fewer acknowledgements a broker failure can"
              + " lose a message the relay already deleted");
    }
    String idem = kafka.get("enable.idempotence");
    if (idem != null && !idem.equalsIgnoreCase("true")) {
      problems.add(
          "'"
              + idem
              + "' → kafka.enable.idempotence → must be true: producer retries would otherwise"
              + " duplicate and reorder messages of a key");
    }
    String inFlight = kafka.get("max.in.flight.requests.per.connection");
    if (inFlight != null && !inFlight.equals("1")) {
      problems.add(
          "'"
              + inFlight
              + "' → kafka.max.in.flight.requests.per.connection → must be 1: after a failed send"
              + " the relay stops the producer before any later message of the partition is"
              + " written, which needs one request in flight");
    }
    if (kafka.containsKey("delivery.timeout.ms")) {
      problems.add(
          "'"
              + kafka.get("delivery.timeout.ms")
              + "' → kafka.delivery.timeout.ms → set relay.send.timeout instead (the lease rules"
              + " depend on it)");
    }
    for (String k : List.of("key.serializer", "value.serializer", "transactional.id")) {
      if (kafka.containsKey(k)) {
        problems.add("'" + kafka.get(k) + "' → kafka." + k + " → is set by the relay; remove it");
      }
    }
    return problems;
  }

  /**
   * Reads every relay setting, reporting all problems (unknown {@code db.*}, {@code outbox.*},
   * {@code relay.*} and {@code http.*} keys included) at once.
   *
   * @param settings the raw settings of the process (file, environment, flags)
   * @return the validated configuration
   * @throws ConfigException listing every problem
   */
  public static RelayConfig read(Settings settings) {
    Settings.Reader r = settings.reader(OWNED_PREFIXES, allSettings());
    DatabaseSettings db = DatabaseSettings.read(r);
    OutboxConfig outbox = OutboxConfig.read(r);
    String instance = r.get(INSTANCE_ID);
    String source = r.get(SOURCE);
    Integer shards = r.get(SHARDS);
    Integer batch = r.get(BATCH_SIZE);
    Long batchBytes = r.get(BATCH_MAX_BYTES);
    Duration poll = r.get(POLL_INTERVAL);
    Duration ttl = r.get(LEASE_TTL);
    Duration renew = r.get(LEASE_RENEW_INTERVAL);
    Duration send = r.get(SEND_TIMEOUT);
    FailureMode failureMode = r.get(FAILURE_MODE);
    Integer attempts = r.get(MAX_ATTEMPTS);
    Duration b0 = r.get(BACKOFF_INITIAL);
    Duration b1 = r.get(BACKOFF_MAX);
    Double multiplier = r.get(BACKOFF_MULTIPLIER);
    Double jitter = r.get(BACKOFF_JITTER);
    Integer port = r.get(HTTP_PORT);
    String httpHost = r.get(HTTP_HOST);
    String bootstrap = r.get(KAFKA_BOOTSTRAP);
    RelayMode relayMode = r.get(MODE);
    String slot = r.get(CDC_SLOT);
    SqlIdentifier publication = r.get(CDC_PUBLICATION);
    Boolean create = r.get(CDC_CREATE);
    Duration heartbeat = r.get(CDC_HEARTBEAT_INTERVAL);
    Duration standby = r.get(CDC_STANDBY_INTERVAL);
    String decodingMemory = r.get(CDC_DECODING_MEMORY);
    if (publication != null && publication.schema().isPresent()) {
      r.problem(
          "'"
              + publication.sql()
              + "' → relay.cdc.publication → expected a plain name (publications have no schema)");
    }
    if (relayMode == RelayMode.CDC && db != null && !db.url().startsWith("jdbc:postgresql:")) {
      r.problem(
          "'cdc' → relay.mode → needs PostgreSQL (logical decoding); db.url is not a"
              + " jdbc:postgresql: URL. Use relay.mode=polling on this database.");
    }
    List<String> kafkaProblems = new ArrayList<>();
    Map<String, String> kafka = KAFKA_KEYS.read(settings, kafkaProblems);
    kafkaProblems.forEach(r::problem);
    if (ttl != null && renew != null && send != null) {
      crossCheck(ttl, renew, send, kafka).forEach(r::problem);
    }
    if (attempts != null && b0 != null && b1 != null && multiplier != null && jitter != null) {
      RETRY.problems(attempts, b0, b1, multiplier, jitter).forEach(r::problem);
    }
    r.finish();
    return new RelayConfig(
        db,
        outbox,
        instance.isBlank() ? defaultInstanceId() : instance,
        source,
        shards,
        batch,
        batchBytes,
        poll,
        ttl,
        renew,
        send,
        failureMode,
        attempts,
        b0,
        b1,
        multiplier,
        jitter,
        port,
        httpHost.trim(),
        kafka,
        relayMode,
        new CdcConfig(
            slot.trim(), publication.name(), create, heartbeat, standby, decodingMemory.trim()));
  }

  /**
   * This configuration for a relay embedded in an application that hands it a {@code DataSource}
   * and serves HTTP itself: the same settings without {@code db.*} and without an HTTP port.
   *
   * @return a copy with no database settings and {@code http.port} -1
   */
  public RelayConfig embedded() {
    return new RelayConfig(
        null,
        outbox,
        instanceId,
        source,
        shards,
        batchSize,
        batchMaxBytes,
        pollInterval,
        leaseTtl,
        leaseRenewInterval,
        sendTimeout,
        failureMode,
        maxAttempts,
        backoffInitial,
        backoffMax,
        backoffMultiplier,
        backoffJitter,
        -1,
        httpHost,
        kafka,
        mode,
        cdc);
  }

  /**
   * A builder with every default; {@code kafka.bootstrap.servers} must be given.
   *
   * @return a new builder; not thread-safe
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * {@code host-pid}, the default instance id.
   *
   * @return the local host name (or {@code relay} when it cannot be found) and this process's id,
   *     joined by a dash
   */
  public static String defaultInstanceId() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      host = "relay";
    }
    String jvm = ManagementFactory.getRuntimeMXBean().getName();
    String pid = jvm.contains("@") ? jvm.substring(0, jvm.indexOf('@')) : jvm;
    return host + "-" + pid;
  }

  /**
   * The pause after failed rounds: exponential from {@link #backoffInitial()} by {@link
   * #backoffMultiplier()} up to {@link #backoffMax()}, randomized by {@link #backoffJitter()}.
   */
  IntervalFunction backoffFunction() {
    return backoffJitter > 0
        ? IntervalFunction.ofExponentialRandomBackoff(
            backoffInitial.toMillis(), backoffMultiplier, backoffJitter, backoffMax.toMillis())
        : IntervalFunction.ofExponentialBackoff(
            backoffInitial.toMillis(), backoffMultiplier, backoffMax.toMillis());
  }

  /**
   * The byte bound of a claim in use: {@link #batchMaxBytes()}, or when that is {@link
   * Setting#AUTO}, a sixteenth of this JVM's heap left after the producer's {@code buffer.memory}.
   *
   * @return the bound in bytes; a single message larger than it is still sent, alone
   */
  public long effectiveBatchMaxBytes() {
    return HeapBudget.batchMaxBytes(
        batchMaxBytes, HeapBudget.maxHeap(), HeapBudget.producerBuffer(kafka));
  }

  /**
   * The producer settings with secrets masked, for logs and status.
   *
   * @return a sorted copy of {@link #kafka()} whose values read {@code ***} where the Kafka clients
   *     declare the key a password ({@link #KAFKA_KEYS})
   */
  public Map<String, String> kafkaForDisplay() {
    return KAFKA_KEYS.masked(new TreeMap<>(kafka));
  }

  /** One line with every setting; secrets masked. */
  @Override
  public String toString() {
    return "RelayConfig[instance="
        + instanceId
        + ", db="
        + (database == null ? "(DataSource given)" : database)
        + ", table="
        + outbox.tables().outboxTable()
        + ", notify="
        + (outbox.notifyEnabled() ? outbox.notifyChannel() : "off")
        + ", source="
        + source
        + ", shards="
        + shards
        + ", batchSize="
        + batchSize
        + ", batchMaxBytes="
        + (batchMaxBytes == Setting.AUTO ? "auto:" : "")
        + effectiveBatchMaxBytes()
        + ", pollInterval="
        + pollInterval
        + ", leaseTtl="
        + leaseTtl
        + ", leaseRenewInterval="
        + leaseRenewInterval
        + ", sendTimeout="
        + sendTimeout
        + ", failureMode="
        + failureMode.name().toLowerCase(Locale.ROOT)
        + ", maxAttempts="
        + maxAttempts
        + ", backoff="
        + backoffInitial
        + ".."
        + backoffMax
        + " x"
        + backoffMultiplier
        + " jitter "
        + backoffJitter
        + ", http="
        + httpHost
        + ":"
        + httpPort
        + ", kafka="
        + kafkaForDisplay()
        + ", mode="
        + mode.name().toLowerCase(Locale.ROOT)
        + (mode == RelayMode.CDC ? ", cdc=" + cdc : "")
        + "]";
  }

  /** Builds a {@link RelayConfig} for an embedded relay. Not thread-safe. */
  public static final class Builder {
    private DatabaseSettings database;
    private OutboxConfig outbox = OutboxConfig.defaults();
    private String instanceId = defaultInstanceId();
    private String source = DEFAULT_SOURCE;
    private int shards = DEFAULT_SHARDS;
    private int batchSize = DEFAULT_BATCH_SIZE;
    private long batchMaxBytes = DEFAULT_BATCH_MAX_BYTES;
    private Duration pollInterval = DEFAULT_POLL_INTERVAL;
    private Duration leaseTtl = DEFAULT_LEASE_TTL;
    private Duration leaseRenewInterval = DEFAULT_LEASE_RENEW_INTERVAL;
    private Duration sendTimeout = DEFAULT_SEND_TIMEOUT;
    private FailureMode failureMode = DEFAULT_FAILURE_MODE;
    private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
    private Duration backoffInitial = DEFAULT_BACKOFF_INITIAL;
    private Duration backoffMax = DEFAULT_BACKOFF_MAX;
    private double backoffMultiplier = DEFAULT_BACKOFF_MULTIPLIER;
    private double backoffJitter = DEFAULT_BACKOFF_JITTER;
    private int httpPort = -1;
    private String httpHost = DEFAULT_HTTP_HOST;
    private final Map<String, String> kafka = new TreeMap<>();
    private RelayMode mode = DEFAULT_MODE;
    private CdcConfig cdc = CdcConfig.defaults();

    private Builder() {}

    /**
     * Polling (default) or CDC.
     *
     * @param mode how committed messages are found
     * @return this builder
     */
    public Builder mode(RelayMode mode) {
      this.mode = mode;
      return this;
    }

    /**
     * The CDC settings (default {@link CdcConfig#defaults()}).
     *
     * @param cdc the slot, publication and heartbeat settings
     * @return this builder
     */
    public Builder cdc(CdcConfig cdc) {
      this.cdc = cdc;
      return this;
    }

    /**
     * Database settings, when the relay builds its own pool.
     *
     * @param database the connection settings; not needed when the relay is given a {@code
     *     DataSource}
     * @return this builder
     */
    public Builder database(DatabaseSettings database) {
      this.database = database;
      return this;
    }

    /**
     * Outbox table and NOTIFY channel; must match the writers'.
     *
     * @param outbox the outbox settings the writers use
     * @return this builder
     */
    public Builder outbox(OutboxConfig outbox) {
      this.outbox = outbox;
      return this;
    }

    /**
     * This relay's unique name.
     *
     * @param instanceId a name that no other running relay of this outbox has
     * @return this builder
     */
    public Builder instanceId(String instanceId) {
      this.instanceId = instanceId;
      return this;
    }

    /**
     * CloudEvents source.
     *
     * @param source the {@code ce_source} attribute, e.g. a URI naming the application
     * @return this builder
     */
    public Builder source(String source) {
      this.source = source;
      return this;
    }

    /**
     * Shard count (same on all relays).
     *
     * @param shards the number of lease units; give every relay of the outbox the same
     * @return this builder
     */
    public Builder shards(int shards) {
      this.shards = shards;
      return this;
    }

    /**
     * Rows per batch.
     *
     * @param batchSize the most rows claimed and sent at once
     * @return this builder
     */
    public Builder batchSize(int batchSize) {
      this.batchSize = batchSize;
      return this;
    }

    /**
     * Bytes per batch (default {@link Setting#AUTO}: derived from the heap).
     *
     * @param batchMaxBytes the most payload + header bytes claimed at once (a single larger message
     *     is sent alone), or {@link Setting#AUTO}
     * @return this builder
     */
    public Builder batchMaxBytes(long batchMaxBytes) {
      this.batchMaxBytes = batchMaxBytes;
      return this;
    }

    /**
     * Longest idle wait.
     *
     * @param pollInterval the longest wait between claims of an idle outbox
     * @return this builder
     */
    public Builder pollInterval(Duration pollInterval) {
      this.pollInterval = pollInterval;
      return this;
    }

    /**
     * Lease lifetime and renewal interval.
     *
     * @param ttl how long a lease lasts without renewal
     * @param renewInterval how often leases are renewed and rebalanced
     * @return this builder
     */
    public Builder lease(Duration ttl, Duration renewInterval) {
      this.leaseTtl = ttl;
      this.leaseRenewInterval = renewInterval;
      return this;
    }

    /**
     * Longest send, retries included.
     *
     * @param sendTimeout the producer's delivery timeout, well below the lease lifetime
     * @return this builder
     */
    public Builder sendTimeout(Duration sendTimeout) {
      this.sendTimeout = sendTimeout;
      return this;
    }

    /**
     * Park or skip after a dead letter.
     *
     * @param failureMode {@code PARK} to keep key order, {@code SKIP} to keep the key flowing
     * @return this builder
     */
    public Builder failureMode(FailureMode failureMode) {
      this.failureMode = failureMode;
      return this;
    }

    /**
     * Attempts before dead-lettering.
     *
     * @param maxAttempts failed attempts while Kafka is reachable
     * @return this builder
     */
    public Builder maxAttempts(int maxAttempts) {
      this.maxAttempts = maxAttempts;
      return this;
    }

    /**
     * Backoff between failed rounds.
     *
     * @param initial the first pause after a failed round
     * @param max the longest pause
     * @return this builder
     */
    public Builder backoff(Duration initial, Duration max) {
      this.backoffInitial = initial;
      this.backoffMax = max;
      return this;
    }

    /**
     * Growth and randomization of the pause between failed rounds.
     *
     * @param multiplier how much each pause grows, 1.0 to 10.0 (default 2.0)
     * @param jitter the randomization factor of each pause, 0.0 to 0.99 (default 0.5)
     * @return this builder
     */
    public Builder backoffShape(double multiplier, double jitter) {
      this.backoffMultiplier = multiplier;
      this.backoffJitter = jitter;
      return this;
    }

    /**
     * HTTP port of the sidecar ({@code outbox-relay run}); -1 (the builder's default) disables the
     * endpoint. An embedded relay ({@link Relay#builder()}) serves no HTTP whatever this says: use
     * the {@code MeterRegistry} it is given and {@link Relay#live()} / {@link Relay#healthy()}.
     *
     * @param httpPort the port, 0 for any free port, -1 for none
     * @return this builder
     */
    public Builder httpPort(int httpPort) {
      this.httpPort = httpPort;
      return this;
    }

    /**
     * The address the HTTP port is bound to (default {@value RelayConfig#DEFAULT_HTTP_HOST}).
     *
     * @param httpHost an IP address or host name, e.g. {@code 127.0.0.1}
     * @return this builder
     */
    public Builder httpHost(String httpHost) {
      this.httpHost = Objects.requireNonNull(httpHost, "httpHost");
      return this;
    }

    /**
     * Kafka bootstrap servers.
     *
     * @param servers {@code host:port[,host:port...]}
     * @return this builder
     */
    public Builder bootstrapServers(String servers) {
      return kafka("bootstrap.servers", servers);
    }

    /**
     * Any producer setting (without the {@code kafka.} prefix).
     *
     * @param key the producer setting's name, e.g. {@code security.protocol}
     * @param value its value
     * @return this builder
     */
    public Builder kafka(String key, String value) {
      kafka.put(key, value);
      return this;
    }

    /**
     * @return the validated, immutable configuration
     * @throws ConfigException listing every problem
     */
    public RelayConfig build() {
      List<String> problems = new ArrayList<>();
      if (!kafka.containsKey("bootstrap.servers")) {
        problems.add("(missing) → kafka.bootstrap.servers → required: give the Kafka brokers");
      }
      if (!problems.isEmpty()) {
        throw new ConfigException(problems);
      }
      return new RelayConfig(
          database,
          outbox,
          instanceId,
          source,
          shards,
          batchSize,
          batchMaxBytes,
          pollInterval,
          leaseTtl,
          leaseRenewInterval,
          sendTimeout,
          failureMode,
          maxAttempts,
          backoffInitial,
          backoffMax,
          backoffMultiplier,
          backoffJitter,
          httpPort,
          httpHost,
          kafka,
          mode,
          cdc);
    }
  }

  /** How the relay finds committed messages. */
  public enum RelayMode {
    /** Claim rows from the outbox table; every database. The default. */
    POLLING,
    /** Read PostgreSQL's write-ahead log through a logical replication slot ({@code pgoutput}). */
    CDC
  }

  /**
   * The CDC mode's settings.
   *
   * @param slot the replication slot ({@code relay.cdc.slot})
   * @param publication the publication ({@code relay.cdc.publication})
   * @param create whether slot and publication are created when missing ({@code relay.cdc.create})
   * @param heartbeatInterval how often an idle relay emits a heartbeat; zero disables ({@code
   *     relay.cdc.heartbeat.interval})
   * @param standbyInterval how often a standby tries to take the slot ({@code
   *     relay.cdc.standby.interval})
   * @param decodingMemory {@code logical_decoding_work_mem} of the WAL sender session, or {@code
   *     server} ({@code relay.cdc.decoding.memory})
   */
  public record CdcConfig(
      String slot,
      String publication,
      boolean create,
      Duration heartbeatInterval,
      Duration standbyInterval,
      String decodingMemory) {
    /** Default {@code logical_decoding_work_mem} of the relay's WAL sender. */
    public static final String DEFAULT_DECODING_MEMORY = "256MB";

    private static final java.util.regex.Pattern MEMORY =
        java.util.regex.Pattern.compile("([0-9]{1,10})(kB|MB|GB)");

    /** Default slot name. */
    public static final String DEFAULT_SLOT = "waybill_outbox";

    /** Default publication name. */
    public static final String DEFAULT_PUBLICATION = "waybill_outbox";

    /**
     * @param slot the replication slot's name
     * @param publication the publication's name
     * @param create whether missing objects are created
     * @param heartbeatInterval the heartbeat period; zero disables heartbeats
     * @param standbyInterval how often a standby tries to take over the slot
     * @param decodingMemory {@code logical_decoding_work_mem} for the WAL sender session (e.g.
     *     {@code 256MB}), or {@code server}
     * @throws dev.waybill.outbox.jdbc.InvalidIdentifierException when a name is unsafe
     * @throws IllegalArgumentException when an interval is negative or the memory size is invalid
     */
    public CdcConfig {
      LogicalDecodingSql.checkSlotName(slot, "relay.cdc.slot");
      SqlIdentifier.checkPart(publication, "relay.cdc.publication");
      Objects.requireNonNull(heartbeatInterval, "heartbeatInterval");
      Objects.requireNonNull(standbyInterval, "standbyInterval");
      if (heartbeatInterval.isNegative() || standbyInterval.isNegative()) {
        throw new IllegalArgumentException("CDC intervals must not be negative");
      }
      checkDecodingMemory(decodingMemory);
    }

    /**
     * Checks a {@code relay.cdc.decoding.memory} value: {@code server}, or a whole number of kB, MB
     * or GB between 64kB and 2147483647kB (PostgreSQL's limits). It reaches the server as a
     * connection option, so nothing else is accepted.
     *
     * @param value the value
     * @throws IllegalArgumentException naming the expected form
     */
    public static void checkDecodingMemory(String value) {
      Objects.requireNonNull(value, "decodingMemory");
      if ("server".equals(value)) {
        return;
      }
      java.util.regex.Matcher m = MEMORY.matcher(value);
      String expected =
          "expected a size such as 256MB (units kB, MB, GB; from 64kB to 2047GB) or 'server'";
      if (!m.matches()) {
        throw new IllegalArgumentException(expected);
      }
      long kb =
          Long.parseLong(m.group(1))
              * switch (m.group(2)) {
                case "kB" -> 1L;
                case "MB" -> 1024L;
                default -> 1024L * 1024L;
              };
      if (kb < 64 || kb > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(expected);
      }
    }

    /**
     * Slot and publication {@code waybill_outbox}, created when missing, heartbeat 10 s.
     *
     * @return the default CDC settings
     */
    public static CdcConfig defaults() {
      return new CdcConfig(
          DEFAULT_SLOT,
          DEFAULT_PUBLICATION,
          true,
          Duration.ofSeconds(10),
          Duration.ofSeconds(1),
          DEFAULT_DECODING_MEMORY);
    }

    /**
     * The same with another slot and publication name.
     *
     * @param newSlot the replication slot's name
     * @param newPublication the publication's name
     * @return a copy with those names
     */
    public CdcConfig withNames(String newSlot, String newPublication) {
      return new CdcConfig(
          newSlot, newPublication, create, heartbeatInterval, standbyInterval, decodingMemory);
    }

    /**
     * The same with another heartbeat interval.
     *
     * @param interval the heartbeat period; zero disables heartbeats
     * @return a copy with that interval
     */
    public CdcConfig withHeartbeat(Duration interval) {
      return new CdcConfig(slot, publication, create, interval, standbyInterval, decodingMemory);
    }

    /**
     * The same with creation allowed or not.
     *
     * @param allowed whether missing objects are created
     * @return a copy with that choice
     */
    public CdcConfig withCreate(boolean allowed) {
      return new CdcConfig(
          slot, publication, allowed, heartbeatInterval, standbyInterval, decodingMemory);
    }

    /**
     * The same with another standby interval.
     *
     * @param interval how often a standby tries to take over the slot
     * @return a copy with that interval
     */
    public CdcConfig withStandbyInterval(Duration interval) {
      return new CdcConfig(slot, publication, create, heartbeatInterval, interval, decodingMemory);
    }

    /**
     * The same with another WAL sender decoding memory.
     *
     * @param memory {@code logical_decoding_work_mem} (e.g. {@code 1GB}), or {@code server}
     * @return a copy with that size
     */
    public CdcConfig withDecodingMemory(String memory) {
      return new CdcConfig(slot, publication, create, heartbeatInterval, standbyInterval, memory);
    }

    @Override
    public String toString() {
      return "[slot="
          + slot
          + ", publication="
          + publication
          + ", create="
          + create
          + ", heartbeat="
          + heartbeatInterval
          + ", standbyInterval="
          + standbyInterval
          + ", decodingMemory="
          + decodingMemory
          + "]";
    }
  }
}
