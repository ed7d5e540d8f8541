package dev.waybill.spring.inbox.internal;

import dev.waybill.inbox.InboxConfig;
import dev.waybill.inbox.InboxConsumer;
import dev.waybill.inbox.spi.TransactionRunner;
import dev.waybill.outbox.config.ConfigException;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Runs one {@link InboxConsumer} per consumer group of the {@code @InboxHandler}s: built and
 * started when the application context has refreshed (so every bean a handler uses is ready),
 * closed gracefully (running handlers finish, offsets commit) when it closes. Not API.
 */
public final class InboxConsumers implements SmartLifecycle {
  /** Starts after the other lifecycle beans and stops before them. */
  public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 512;

  private static final Logger LOG = LoggerFactory.getLogger(InboxConsumers.class);

  private final InboxHandlerRegistry registry;
  private final InboxSettings settings;
  private final DataSource dataSource;
  private final TransactionRunner transactions;
  private final Supplier<Map<String, Object>> kafka;
  private final MeterRegistry meters;
  private final List<InboxConsumer> running = new ArrayList<>();

  /**
   * @param registry the handlers found
   * @param settings the {@code waybill.inbox.*} settings
   * @param dataSource the database holding the inbox table
   * @param transactions opens the handlers' Spring transactions
   * @param kafka the Kafka consumer properties, asked for when a consumer is built
   * @param meters where metrics go, or null
   */
  public InboxConsumers(
      InboxHandlerRegistry registry,
      InboxSettings settings,
      DataSource dataSource,
      TransactionRunner transactions,
      Supplier<Map<String, Object>> kafka,
      MeterRegistry meters) {
    this.registry = registry;
    this.settings = settings;
    this.dataSource = dataSource;
    this.transactions = transactions;
    this.kafka = kafka;
    this.meters = meters;
  }

  @Override
  public synchronized void start() {
    if (!running.isEmpty()) {
      return;
    }
    List<InboxConsumer> built = build();
    try {
      for (InboxConsumer c : built) {
        c.start();
        running.add(c);
        LOG.info("inbox consumer {} started on {}", c.name(), c.config().topics());
      }
    } catch (RuntimeException e) {
      stop();
      throw e;
    }
  }

  /** Every consumer, built (and so validated) before any starts. */
  private List<InboxConsumer> build() {
    Map<String, List<HandlerRegistration>> byGroup = new LinkedHashMap<>();
    for (HandlerRegistration h : registry.handlers()) {
      String group = h.group().isEmpty() ? settings.defaultGroup() : h.group();
      byGroup.computeIfAbsent(group, g -> new ArrayList<>()).add(h);
    }
    List<String> problems = new ArrayList<>();
    List<InboxConsumer> consumers = new ArrayList<>();
    for (Map.Entry<String, List<HandlerRegistration>> e : byGroup.entrySet()) {
      try {
        consumers.add(build(e.getKey(), e.getValue()));
      } catch (ConfigException x) {
        for (String p : x.problems()) {
          problems.add(
              "inbox handlers "
                  + e.getValue().stream().map(HandlerRegistration::source).toList()
                  + ": "
                  + p);
        }
      } catch (IllegalStateException x) {
        problems.add(x.getMessage());
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return consumers;
  }

  private InboxConsumer build(String group, List<HandlerRegistration> handlers) {
    Set<String> topics = new LinkedHashSet<>();
    handlers.forEach(h -> topics.addAll(h.topics()));
    InboxConfig config = settings.config(group, List.copyOf(topics));
    InboxConsumer.Builder b =
        InboxConsumer.builder()
            .config(config)
            .dataSource(dataSource)
            .transactionRunner(transactions)
            .kafka(kafka.get());
    if (meters != null) {
      b.meterRegistry(meters);
    }
    Map<String, String> byType = new LinkedHashMap<>();
    String defaultSource = null;
    for (HandlerRegistration h : handlers) {
      if (h.eventTypes().isEmpty()) {
        if (defaultSource != null) {
          throw new IllegalStateException(
              "consumer group '"
                  + config.groupId()
                  + "' has two default inbox handlers: "
                  + defaultSource
                  + " and "
                  + h.source()
                  + "; give one of them event types");
        }
        defaultSource = h.source();
        b.defaultHandler(h.handler());
      }
      for (String type : h.eventTypes()) {
        String before = byType.putIfAbsent(type, h.source());
        if (before != null) {
          throw new IllegalStateException(
              "consumer group '"
                  + config.groupId()
                  + "' has two inbox handlers for event type '"
                  + type
                  + "': "
                  + before
                  + " and "
                  + h.source()
                  + "; keep one, or put one in another group");
        }
        b.handler(type, h.handler());
      }
    }
    return b.build();
  }

  @Override
  public synchronized void stop() {
    for (int i = running.size() - 1; i >= 0; i--) {
      InboxConsumer c = running.get(i);
      try {
        c.close();
      } catch (RuntimeException e) {
        LOG.warn("inbox consumer {}: close failed", c.name(), e);
      }
    }
    running.clear();
  }

  @Override
  public synchronized boolean isRunning() {
    return !running.isEmpty();
  }

  @Override
  public int getPhase() {
    return PHASE;
  }

  /**
   * The running consumers.
   *
   * @return a snapshot, in start order
   */
  public synchronized List<InboxConsumer> consumers() {
    return List.copyOf(running);
  }
}
