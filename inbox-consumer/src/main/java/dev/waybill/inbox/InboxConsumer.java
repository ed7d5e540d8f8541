package dev.waybill.inbox;

import dev.waybill.inbox.internal.ConsumerOptions;
import dev.waybill.inbox.internal.ConsumerRuntime;
import dev.waybill.inbox.spi.MessageIdExtractor;
import dev.waybill.inbox.spi.TransactionRunner;
import dev.waybill.inbox.spi.Upcaster;
import dev.waybill.outbox.config.ConfigException;
import dev.waybill.outbox.config.Settings;
import dev.waybill.outbox.dialect.Dialect;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.function.Consumer;
import java.util.function.Predicate;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;

/**
 * Consumes Kafka records and applies each message once: the handler runs in a database transaction
 * that first records {@code (consumer group, message id)} in the inbox table, and offsets are
 * committed only after that transaction commits. Duplicates are skipped and counted; failures are
 * retried with exponential backoff and jitter, then dead-lettered to {@code <topic>.DLT} with
 * Spring-Kafka-compatible headers.
 *
 * <pre>{@code
 * InboxConsumer consumer = InboxConsumer.builder()
 *     .config(InboxConfig.builder().groupId("billing").topics("orders").build())
 *     .dataSource(dataSource)
 *     .kafka(Map.of("bootstrap.servers", "kafka:9092"))
 *     .handler("OrderPlaced", (message, tx) -> bill(tx.connection(), message.valueAsString()))
 *     .build();
 * consumer.start();
 * ...
 * consumer.close(); // finishes running handlers, commits, leaves the group
 * }</pre>
 *
 * <p>Thread-safe. Handlers run on the consumer's worker threads ({@code inbox.concurrency}); one
 * thread polls Kafka and commits offsets.
 */
public interface InboxConsumer extends AutoCloseable {

  /**
   * A builder.
   *
   * @return a new builder; not thread-safe
   */
  static Builder builder() {
    return new Builder();
  }

  /**
   * Subscribes and starts polling on a new thread. First asks Kafka (at most about 5 s) for the
   * partitions of each topic: a refused login or a topic the consumer may not read fails the start;
   * when Kafka does not answer, the consumer starts and waits for it.
   *
   * @throws InboxException when the inbox tables are missing or the database is unreachable, or
   *     when Kafka refuses the consumer's credentials or access to one of its topics (the message
   *     names the user, the mechanism or the topic, and what to grant or fix)
   * @throws IllegalStateException when started twice or after close
   */
  void start();

  /**
   * Stops gracefully: stops polling, lets running handlers finish (up to {@code
   * inbox.shutdown.timeout}; records not yet started are left for the next owner), commits the
   * offsets of what is done, leaves the group and closes the dead-letter producer. Idempotent.
   */
  @Override
  void close();

  /**
   * Whether the consumer was started and not closed.
   *
   * @return true between {@code start()} and {@code close()}
   */
  boolean isRunning();

  /**
   * The settings.
   *
   * @return the validated settings given to the builder
   */
  InboxConfig config();

  /**
   * The consumer's name in logs and thread names: the group and the Kafka client id.
   *
   * @return {@code <group>/<client id>}; stable for the consumer's life
   */
  String name();

  /**
   * Where the metrics are registered.
   *
   * @return the registry given to the builder, or the consumer's own
   */
  MeterRegistry meterRegistry();

  /**
   * Ordered mode: unparks a key without a redrive (e.g. after its parked message was discarded), so
   * later records of the key are handled again.
   *
   * @param topic the topic of the parked key
   * @param key the parked key as text
   * @return true when the key was parked
   * @throws InboxException when the database fails
   */
  boolean unpark(String topic, String key);

  /**
   * Ordered mode: the parked keys, as {@code topic/key → id of the message that parked it}.
   *
   * @return a snapshot; empty outside ordered mode
   */
  Map<String, String> parkedKeys();

  /** Builds an {@link InboxConsumer}. Not thread-safe. */
  final class Builder {
    private InboxConfig config;
    private DataSource dataSource;
    private final Map<String, Object> kafka = new LinkedHashMap<>();
    private final Map<String, Object> producer = new LinkedHashMap<>();
    private final Map<String, MessageHandler> handlers = new LinkedHashMap<>();
    private MessageHandler defaultHandler;
    private final List<Upcaster> upcasters = new ArrayList<>();
    private MessageIdExtractor messageIdExtractor = MessageIdExtractor.cloudEvents();
    private Predicate<Throwable> retriable = t -> true;
    private final List<Class<? extends Throwable>> nonRetriable =
        new ArrayList<>(List.of(NonRetriableException.class));
    private MeterRegistry meterRegistry;
    private Dialect dialect;
    private Consumer<Jdbi> jdbiCustomizer = j -> {};
    private TransactionRunner transactionRunner = TransactionRunner.jdbc();
    private final List<String> problems = new ArrayList<>();

    private Builder() {}

    /**
     * The settings (required).
     *
     * @param config the validated settings
     * @return this builder
     */
    public Builder config(InboxConfig config) {
      this.config = config;
      return this;
    }

    /**
     * The application database holding the inbox table (required).
     *
     * @param dataSource the database; the consumer borrows connections and never closes it
     * @return this builder
     */
    public Builder dataSource(DataSource dataSource) {
      this.dataSource = dataSource;
      return this;
    }

    /**
     * Kafka consumer properties ({@code bootstrap.servers} required; security settings as needed).
     * Waybill sets {@code group.id} from the config, byte-array deserializers and {@code
     * enable.auto.commit=false}; setting those differently is an error. Properties without a
     * consumer-only meaning (bootstrap, security) are also used by the dead-letter producer. {@code
     * KEY.file} (a {@code String} path) gives {@code KEY} the content of that file, e.g. {@code
     * sasl.jaas.config.file=/var/run/secrets/kafka/jaas}; a key the Kafka consumer and producer do
     * not declare is a problem of {@link #build()}, and so is an unreadable file.
     *
     * @param properties consumer properties; copied
     * @return this builder
     */
    public Builder kafka(Map<String, ?> properties) {
      kafka.putAll(properties);
      return this;
    }

    /**
     * Kafka consumer properties from the {@code kafka.*} keys of a process's settings (the prefix
     * removed), as the relay reads its own: {@code kafka.KEY.file=PATH} reads a secret from a file,
     * and a key the Kafka consumer and producer do not declare is a problem of {@link #build()}.
     * See {@link #kafka(Map)}.
     *
     * @param settings the process's raw settings, e.g. the ones given to {@link
     *     InboxConfig#read(Settings)}
     * @return this builder
     */
    public Builder kafka(Settings settings) {
      kafka.putAll(ConsumerRuntime.KAFKA_KEYS.withPrefix("kafka.").read(settings, problems));
      return this;
    }

    /**
     * Kafka consumer properties, see {@link #kafka(Map)}.
     *
     * @param properties consumer properties; copied
     * @return this builder
     */
    public Builder kafka(Properties properties) {
      properties.stringPropertyNames().forEach(k -> kafka.put(k, properties.getProperty(k)));
      return this;
    }

    /**
     * Extra dead-letter producer properties. Waybill sets byte-array serializers, {@code acks=all}
     * and idempotence.
     *
     * @param properties producer properties for the dead-letter topic; copied
     * @return this builder
     */
    public Builder producer(Map<String, ?> properties) {
      producer.putAll(properties);
      return this;
    }

    /**
     * The handler of one event type ({@code ce_type}); one per type.
     *
     * @param eventType the {@code ce_type} value, after upcasting
     * @param handler runs in the inbox transaction; may be called from several worker threads
     * @return this builder
     */
    public Builder handler(String eventType, MessageHandler handler) {
      if (eventType == null || eventType.isBlank()) {
        problems.add("(blank) → handler event type → give the ce_type value, e.g. OrderPlaced");
      } else if (handlers.putIfAbsent(eventType, Objects.requireNonNull(handler, "handler"))
          != null) {
        problems.add("'" + eventType + "' → handler → registered twice: one handler per type");
      }
      return this;
    }

    /**
     * The handler of records whose type has no handler of its own, or that have no type.
     *
     * @param handler runs in the inbox transaction; may be called from several worker threads
     * @return this builder
     */
    public Builder defaultHandler(MessageHandler handler) {
      this.defaultHandler = Objects.requireNonNull(handler, "handler");
      return this;
    }

    /**
     * Adds an upcaster; they apply in the order added.
     *
     * @param upcaster rewrites old message versions before the handler lookup
     * @return this builder
     */
    public Builder upcaster(Upcaster upcaster) {
      upcasters.add(Objects.requireNonNull(upcaster, "upcaster"));
      return this;
    }

    /**
     * Where the message id comes from (default {@link MessageIdExtractor#cloudEvents()}).
     *
     * @param extractor finds the id of each record
     * @return this builder
     */
    public Builder messageIdExtractor(MessageIdExtractor extractor) {
      this.messageIdExtractor = Objects.requireNonNull(extractor, "extractor");
      return this;
    }

    /**
     * Which handler failures are retried (default: all but {@link NonRetriableException} and the
     * types given to {@link #nonRetriable}). A failure that is not retried goes straight to the
     * dead-letter topic.
     *
     * @param retriable true for failures worth another attempt
     * @return this builder
     */
    public Builder retryIf(Predicate<Throwable> retriable) {
      this.retriable = Objects.requireNonNull(retriable, "retriable");
      return this;
    }

    /**
     * Exception types (and subtypes) never retried.
     *
     * @param types the exception types
     * @return this builder
     */
    @SafeVarargs
    public final Builder nonRetriable(Class<? extends Throwable>... types) {
      nonRetriable.addAll(List.of(types));
      return this;
    }

    /**
     * Where to register metrics (default: a new {@link SimpleMeterRegistry}).
     *
     * @param meterRegistry the registry receiving {@code waybill.inbox.*} meters
     * @return this builder
     */
    public Builder meterRegistry(MeterRegistry meterRegistry) {
      this.meterRegistry = meterRegistry;
      return this;
    }

    /**
     * The dialect (default: detected from the database).
     *
     * @param dialect the dialect, or null to detect it
     * @return this builder
     */
    public Builder dialect(Dialect dialect) {
      this.dialect = dialect;
      return this;
    }

    /**
     * Installs plugins, mappers and the like on the Jdbi behind {@link InboxTransaction#handle}.
     *
     * @param customizer called once with the Jdbi instance, before the first record
     * @return this builder
     */
    public Builder jdbi(Consumer<Jdbi> customizer) {
      this.jdbiCustomizer = Objects.requireNonNull(customizer, "customizer");
      return this;
    }

    /**
     * Who opens the transaction each handler runs in (default: {@link TransactionRunner#jdbc()}, a
     * transaction on a connection of {@link #dataSource}). A framework's runner lets the handler's
     * other data access join the inbox transaction, e.g. the Spring Boot starter's.
     *
     * @param runner the runner; its transactions must be on the database of {@link #dataSource}
     * @return this builder
     */
    public Builder transactionRunner(TransactionRunner runner) {
      this.transactionRunner = Objects.requireNonNull(runner, "runner");
      return this;
    }

    /**
     * @return a consumer that is not started yet
     * @throws ConfigException listing every problem at once
     */
    public InboxConsumer build() {
      List<String> all = new ArrayList<>(problems);
      // from here on the properties as the clients get them: file variants read, keys checked
      Map<String, Object> kafka = ConsumerRuntime.KAFKA_KEYS.resolve(this.kafka, v -> v, all);
      Map<String, Object> producer = ConsumerRuntime.KAFKA_KEYS.resolve(this.producer, v -> v, all);
      if (config == null) {
        all.add("(missing) → config → required: InboxConfig.builder()...build()");
      }
      if (dataSource == null) {
        all.add("(missing) → dataSource → required: the database holding the inbox table");
      }
      if (!kafka.containsKey("bootstrap.servers")) {
        all.add("(missing) → kafka bootstrap.servers → required, e.g. kafka:9092");
      }
      if (handlers.isEmpty() && defaultHandler == null) {
        all.add("(none) → handlers → register handler(type, ...) or defaultHandler(...)");
      }
      Object autoCommit = kafka.get("enable.auto.commit");
      if (autoCommit != null && !"false".equalsIgnoreCase(autoCommit.toString())) {
        all.add(
            "'"
                + autoCommit
                + "' → kafka enable.auto.commit → must be false: the inbox commits offsets after"
                + " the database; remove it");
      }
      Object group = kafka.get("group.id");
      if (group != null && config != null && !group.toString().equals(config.groupId())) {
        all.add(
            "'"
                + group
                + "' → kafka group.id → differs from inbox.group.id '"
                + config.groupId()
                + "'; remove it");
      }
      for (String k : List.of("key.deserializer", "value.deserializer")) {
        if (kafka.containsKey(k)) {
          all.add("'" + kafka.get(k) + "' → kafka " + k + " → set by Waybill (bytes); remove it");
        }
      }
      if (!all.isEmpty()) {
        throw new ConfigException(all);
      }
      List<Class<? extends Throwable>> never = List.copyOf(nonRetriable);
      Predicate<Throwable> retry =
          t -> never.stream().noneMatch(c -> c.isInstance(t)) && retriable.test(t);
      return new ConsumerRuntime(
          new ConsumerOptions(
              config,
              dataSource,
              Map.copyOf(kafka),
              Map.copyOf(producer),
              Map.copyOf(handlers),
              defaultHandler,
              List.copyOf(upcasters),
              messageIdExtractor,
              retry,
              meterRegistry == null ? new SimpleMeterRegistry() : meterRegistry,
              dialect,
              jdbiCustomizer,
              transactionRunner));
    }
  }
}
