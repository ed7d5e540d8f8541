package dev.waybill.inbox.internal;

import static java.util.stream.Collectors.toMap;

import dev.waybill.inbox.InboxConfig;
import dev.waybill.inbox.InboxConsumer;
import dev.waybill.inbox.InboxException;
import dev.waybill.inbox.internal.RecordProcessor.Work;
import dev.waybill.outbox.config.PassThroughFamily;
import dev.waybill.outbox.internal.KafkaAuthentication;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link InboxConsumer}: one thread polls Kafka, hands each poll's records to worker lanes
 * (records of one key always to the same lane, in order), commits offsets up to the first record
 * not done, pauses fetching above {@code inbox.max.in.flight}, and revokes partitions safely. Not
 * API: use {@link InboxConsumer#builder()}.
 */
public final class ConsumerRuntime implements InboxConsumer {
  private static final Logger LOG = LoggerFactory.getLogger(ConsumerRuntime.class);
  private static final AtomicInteger INSTANCES = new AtomicInteger();
  private static final Duration ACCESS_CHECK_TIMEOUT = Duration.ofSeconds(5);
  // a poll between two reconnection attempts returns without an error: the refusal counts as over
  // only once records arrive or no attempt was refused for this long
  private static final long REFUSAL_QUIET_NANOS = TimeUnit.SECONDS.toNanos(30);

  /**
   * The keys of {@link InboxConsumer.Builder#kafka} and {@link InboxConsumer.Builder#producer}
   * properties, without a prefix: those of the Kafka consumer and of the dead-letter producer, as
   * their {@code ConfigDef}s declare them; the {@code PASSWORD}-typed ones are secret.
   */
  public static final PassThroughFamily KAFKA_KEYS =
      PassThroughFamily.kafka(
              "the Kafka consumer or producer",
              Stream.of(ConsumerConfig.configDef(), ProducerConfig.configDef())
                  .flatMap(d -> d.configKeys().values().stream())
                  .collect(
                      toMap(
                          k -> k.name, k -> k.type == ConfigDef.Type.PASSWORD, Boolean::logicalOr)))
          .withPrefix("");

  private enum State {
    NEW,
    RUNNING,
    CLOSED
  }

  private final ConsumerOptions options;
  private final InboxConfig config;
  private final String clientId;
  private final String name;
  private final InboxStore store;
  private final InboxMetrics metrics;
  private final ParkedKeys parked;
  private final Map<TopicPartition, PartitionProgress> progress = new ConcurrentHashMap<>();
  private State state = State.NEW;
  private volatile boolean closing;
  private KafkaConsumer<byte[], byte[]> consumer;
  private KafkaProducer<byte[], byte[]> producer;
  private ExecutorService[] lanes;
  private ScheduledExecutorService housekeeping;
  private RecordProcessor processor;
  private Thread pollThread;
  private boolean loginRefused; // poll thread only
  private long loginRefusedAt; // poll thread only

  /**
   * @param options validated options
   */
  public ConsumerRuntime(ConsumerOptions options) {
    this.options = options;
    this.config = options.config();
    Object id = options.kafka().get(ConsumerConfig.CLIENT_ID_CONFIG);
    this.clientId =
        id != null
            ? id.toString()
            : "waybill-inbox-" + config.groupId() + "-" + INSTANCES.incrementAndGet();
    this.name = config.groupId() + "/" + clientId;
    this.store = new InboxStore(config.tables(), options.dialect());
    this.metrics = new InboxMetrics(options.meterRegistry(), config.groupId());
    this.parked = new ParkedKeys(store, options.dataSource(), config.groupId());
  }

  @Override
  public synchronized void start() {
    if (state != State.NEW) {
      throw new IllegalStateException(
          "inbox consumer " + name + " is " + state + ": build a new one to start again");
    }
    store.checkTables(options.dataSource());
    if (config.ordered()) {
      try {
        parked.reload();
        metrics.parkedKeys(parked.size());
      } catch (SQLException e) {
        throw new InboxException(
            "inbox consumer " + name + ": cannot read parked keys: " + e.getMessage(), e);
      }
    }
    consumer = new KafkaConsumer<>(consumerProperties());
    try {
      checkAccess();
    } catch (RuntimeException e) {
      consumer.close(Duration.ZERO);
      throw e;
    }
    producer = new KafkaProducer<>(producerProperties());
    processor =
        new RecordProcessor(
            options,
            name,
            store,
            metrics,
            parked,
            record -> producer.send(record).get(30, TimeUnit.SECONDS));
    lanes = new ExecutorService[config.concurrency()];
    for (int i = 0; i < lanes.length; i++) {
      String thread = "waybill-inbox-" + clientId + "-worker-" + i;
      lanes[i] =
          Executors.newSingleThreadExecutor(
              r -> {
                Thread t = new Thread(r, thread);
                t.setDaemon(true);
                return t;
              });
    }
    housekeeping =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "waybill-inbox-" + clientId + "-housekeeping");
              t.setDaemon(true);
              return t;
            });
    long period = config.housekeepingInterval().toMillis();
    housekeeping.scheduleWithFixedDelay(this::housekeep, period, period, TimeUnit.MILLISECONDS);
    pollThread = new Thread(this::pollLoop, "waybill-inbox-" + clientId + "-poll");
    pollThread.start();
    state = State.RUNNING;
    LOG.info(
        "inbox consumer {}: started; {}; kafka={}",
        name,
        config,
        KAFKA_KEYS.masked(new TreeMap<>(options.kafka())));
  }

  /**
   * Asks Kafka for the partitions of each topic with the consumer's own credentials, so that a
   * refused login or a topic the consumer may not read fails the start with what to fix. When Kafka
   * does not answer within a few seconds the start goes on: the poll loop waits for Kafka as
   * through any outage.
   */
  private void checkAccess() {
    for (String topic : config.topics()) {
      try {
        consumer.partitionsFor(topic, ACCESS_CHECK_TIMEOUT);
      } catch (TopicAuthorizationException e) {
        throw new InboxException(
            "inbox consumer "
                + name
                + ": Kafka refuses access to topic "
                + topic
                + " ("
                + e.getMessage()
                + "): grant the consumer's principal READ on the topic and on group "
                + config.groupId()
                + ", and WRITE on "
                + config.deadLetterTopicFor(topic)
                + " (docs/security.md)",
            e);
      } catch (KafkaException e) {
        Optional<Throwable> refused = KafkaAuthentication.failure(e);
        if (refused.isPresent()) {
          throw new InboxException(
              "inbox consumer "
                  + name
                  + ": "
                  + KafkaAuthentication.describe(options.kafka(), "", refused.get()),
              e);
        }
        LOG.warn(
            "inbox consumer {}: Kafka did not describe topic {} at start ({}); polling anyway",
            name,
            topic,
            e.toString());
        return;
      }
    }
  }

  @Override
  public void close() {
    Thread t;
    synchronized (this) {
      if (state != State.RUNNING) {
        state = State.CLOSED;
        return;
      }
      state = State.CLOSED;
      closing = true;
      t = pollThread;
    }
    consumer.wakeup();
    try {
      t.join(config.shutdownTimeout().toMillis() + 30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    housekeeping.shutdownNow();
    LOG.info("inbox consumer {}: closed", name);
  }

  @Override
  public synchronized boolean isRunning() {
    return state == State.RUNNING;
  }

  @Override
  public InboxConfig config() {
    return config;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public MeterRegistry meterRegistry() {
    return metrics.registry();
  }

  @Override
  public boolean unpark(String topic, String key) {
    String hash = InboxStore.keyHash(key.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    try {
      boolean was = store.unpark(options.dataSource(), config.groupId(), topic, hash);
      parked.unparked(topic, hash);
      metrics.parkedKeys(parked.size());
      if (was) {
        LOG.info("inbox consumer {}: key {} of topic {} unparked by hand", name, key, topic);
      }
      return was;
    } catch (SQLException e) {
      throw new InboxException(
          "inbox consumer " + name + ": cannot unpark key of topic " + topic + ": " + e, e);
    }
  }

  @Override
  public Map<String, String> parkedKeys() {
    return parked.snapshot();
  }

  /** The offsets this consumer can commit now, per partition (for tests and diagnostics). */
  public Map<TopicPartition, Long> committableOffsets() {
    Map<TopicPartition, Long> out = new HashMap<>();
    progress.forEach((tp, p) -> p.committable().ifPresent(o -> out.put(tp, o)));
    return out;
  }

  private void pollLoop() {
    try {
      consumer.subscribe(config.topics(), new Rebalance());
      while (!closing) {
        try {
          ConsumerRecords<byte[], byte[]> records = consumer.poll(config.pollTimeout());
          if (loginRefused
              && (!records.isEmpty() || System.nanoTime() - loginRefusedAt > REFUSAL_QUIET_NANOS)) {
            loginRefused = false;
            LOG.info("inbox consumer {}: Kafka accepts the credentials again", name);
          }
          dispatch(records);
          commitDone();
          applyBackpressure();
          updateLag();
        } catch (WakeupException e) {
          if (!closing) {
            LOG.debug("inbox consumer {}: woken up", name);
          }
        } catch (KafkaException e) {
          Optional<Throwable> refused = KafkaAuthentication.failure(e);
          if (refused.isEmpty()) {
            LOG.error(
                "inbox consumer {}: polling or committing failed ({}); retrying in 1 s",
                name,
                e,
                e);
          } else if (loginRefused) {
            loginRefusedAt = System.nanoTime();
          } else {
            loginRefused = true;
            loginRefusedAt = System.nanoTime();
            LOG.error(
                "inbox consumer {}: {}; retrying every second until Kafka accepts the credentials",
                name,
                KafkaAuthentication.describe(options.kafka(), "", refused.get()));
          }
          sleepQuietly(1_000);
        }
      }
    } catch (RuntimeException | Error e) {
      LOG.error("inbox consumer {}: poll loop failed; the consumer stops", name, e);
    } finally {
      shutdown();
    }
  }

  private void dispatch(ConsumerRecords<byte[], byte[]> records) {
    if (records.isEmpty()) {
      return;
    }
    List<List<Work>> byLane = new ArrayList<>(lanes.length);
    for (int i = 0; i < lanes.length; i++) {
      byLane.add(new ArrayList<>());
    }
    int n = 0;
    for (TopicPartition tp : records.partitions()) {
      PartitionProgress p = progress.computeIfAbsent(tp, PartitionProgress::new);
      for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
        p.register(r.offset());
        byLane.get(lane(r)).add(new Work(r, p));
        n++;
      }
    }
    metrics.inFlight().addAndGet(n);
    LOG.debug("inbox consumer {}: polled {} records of {}", name, n, records.partitions());
    for (int i = 0; i < lanes.length; i++) {
      List<Work> unit = byLane.get(i);
      if (!unit.isEmpty()) {
        lanes[i].execute(() -> processor.process(unit));
      }
    }
  }

  private int lane(ConsumerRecord<byte[], byte[]> r) {
    if (lanes.length == 1) {
      return 0;
    }
    int h =
        r.key() != null ? Arrays.hashCode(r.key()) : Long.hashCode(r.offset()) * 31 + r.partition();
    return Math.floorMod(h ^ (h >>> 16), lanes.length);
  }

  private void commitDone() {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    progress.forEach(
        (tp, p) -> {
          OptionalLong o = p.toCommit();
          if (o.isPresent()) {
            offsets.put(tp, new OffsetAndMetadata(o.getAsLong()));
            p.committed(o.getAsLong());
          }
        });
    if (!offsets.isEmpty()) {
      consumer.commitAsync(
          offsets,
          (done, e) -> {
            if (e != null) {
              LOG.warn(
                  "inbox consumer {}: committing offsets {} failed ({}); a later commit covers"
                      + " them",
                  name,
                  done == null ? offsets : done,
                  e.toString());
            }
          });
    }
  }

  private void applyBackpressure() {
    int inFlight = metrics.inFlight().get();
    if (inFlight >= config.maxInFlight()) {
      consumer.pause(consumer.assignment());
    } else if (inFlight <= config.maxInFlight() / 2 && !consumer.paused().isEmpty()) {
      consumer.resume(consumer.paused());
    }
  }

  private void updateLag() {
    long lag = 0;
    for (TopicPartition tp : consumer.assignment()) {
      OptionalLong l = consumer.currentLag(tp);
      if (l.isPresent()) {
        lag += l.getAsLong();
      }
    }
    metrics.lag(lag);
  }

  /** Revokes partitions: nothing of them starts any more, running records end, progress commits. */
  private void revoke(Collection<TopicPartition> partitions, boolean commit) {
    List<PartitionProgress> revoked = new ArrayList<>();
    for (TopicPartition tp : partitions) {
      PartitionProgress p = progress.remove(tp);
      if (p != null) {
        revoked.add(p);
      }
    }
    if (revoked.isEmpty()) {
      return;
    }
    long deadline = System.nanoTime() + config.shutdownTimeout().toNanos();
    for (PartitionProgress p : revoked) {
      try {
        Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
        if (!p.revokeAndAwait(left)) {
          LOG.warn(
              "inbox consumer {}: a handler of {} still runs after {}; its offset is not"
                  + " committed: the next owner consumes it again and the inbox skips it if this"
                  + " transaction commits",
              name,
              p.partition(),
              config.shutdownTimeout());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (PartitionProgress p : revoked) {
      p.committable().ifPresent(o -> offsets.put(p.partition(), new OffsetAndMetadata(o)));
    }
    if (commit && !offsets.isEmpty()) {
      try {
        consumer.commitSync(offsets, Duration.ofSeconds(10));
      } catch (RuntimeException e) {
        LOG.warn(
            "inbox consumer {}: committing {} on revoke failed ({}); the next owner starts from"
                + " the last commit and the inbox skips what was handled",
            name,
            offsets,
            e.toString());
      }
    }
    LOG.info(
        "inbox consumer {}: partitions {} {}; offsets {}",
        name,
        revoked.stream().map(PartitionProgress::partition).toList(),
        commit ? "revoked" : "lost",
        commit ? offsets : "not committed");
  }

  private void shutdown() {
    try {
      revoke(new ArrayList<>(progress.keySet()), true);
    } catch (RuntimeException e) {
      LOG.warn("inbox consumer {}: final commit failed", name, e);
    }
    try {
      consumer.close(Duration.ofSeconds(10));
    } catch (RuntimeException e) {
      LOG.warn("inbox consumer {}: closing the Kafka consumer failed", name, e);
    }
    for (ExecutorService lane : lanes) {
      lane.shutdown();
    }
    for (ExecutorService lane : lanes) {
      try {
        if (!lane.awaitTermination(5, TimeUnit.SECONDS)) {
          lane.shutdownNow();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      producer.close(Duration.ofSeconds(10));
    } catch (RuntimeException e) {
      LOG.warn("inbox consumer {}: closing the dead-letter producer failed", name, e);
    }
    synchronized (this) {
      state = State.CLOSED;
    }
  }

  private void housekeep() {
    Instant cutoff = Instant.now().minus(config.dedupWindow());
    try {
      long deleted =
          store.deleteExpired(
              options.dataSource(),
              config.groupId(),
              cutoff,
              config.housekeepingBatchSize(),
              10_000);
      metrics.countGroup(InboxMetrics.EXPIRED_DELETED, deleted);
      if (deleted > 0) {
        LOG.info(
            "inbox consumer {}: housekeeping deleted {} ids handled before {}",
            name,
            deleted,
            cutoff);
      }
    } catch (RuntimeException e) {
      LOG.warn(
          "inbox consumer {}: housekeeping failed ({}); next try in {}",
          name,
          e.toString(),
          config.housekeepingInterval());
    }
  }

  private Map<String, Object> consumerProperties() {
    Map<String, Object> p = new HashMap<>(options.kafka());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return p;
  }

  private Map<String, Object> producerProperties() {
    Map<String, Object> p = new HashMap<>();
    options
        .kafka()
        .forEach(
            (k, v) -> {
              if (ProducerConfig.configNames().contains(k)
                  && !k.equals(ConsumerConfig.CLIENT_ID_CONFIG)) {
                p.put(k, v);
              }
            });
    p.putAll(options.producer());
    p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId + "-dlt");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return p;
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "InboxConsumer[" + name + "]";
  }

  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      revoke(partitions, true);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      revoke(partitions, false);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      for (TopicPartition tp : partitions) {
        progress.put(tp, new PartitionProgress(tp));
      }
      if (config.ordered()) {
        try {
          parked.reload();
          metrics.parkedKeys(parked.size());
        } catch (SQLException e) {
          LOG.error(
              "inbox consumer {}: cannot reload parked keys ({}); ordered mode uses what it knew",
              name,
              e.toString());
        }
      }
      if (!partitions.isEmpty()) {
        LOG.info("inbox consumer {}: partitions assigned {}", name, partitions);
      }
    }
  }
}
