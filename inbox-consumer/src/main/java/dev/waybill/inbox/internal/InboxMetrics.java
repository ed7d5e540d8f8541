package dev.waybill.inbox.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The consumer's Micrometer meters, all tagged {@code group}; per-record meters also {@code topic}.
 * Names are listed in {@code docs/inbox.md}. Thread-safe. Not API.
 */
public final class InboxMetrics {
  /** Records handled (the handler ran and its transaction committed). */
  public static final String HANDLED = "waybill.inbox.handled";

  /** Records skipped because their id was already recorded. */
  public static final String DUPLICATES = "waybill.inbox.duplicates";

  /** Handler attempts that failed and were retried. */
  public static final String RETRIES = "waybill.inbox.retries";

  /** Records sent to the dead-letter topic (tag {@code reason}). */
  public static final String DEAD_LETTERED = "waybill.inbox.dead.lettered";

  /** Records acknowledged without effect (tag {@code reason}). */
  public static final String SKIPPED = "waybill.inbox.skipped";

  /** Records whose id was derived from topic/partition/offset. */
  public static final String DERIVED_IDS = "waybill.inbox.derived.ids";

  /** Time in handlers (successful or not). */
  public static final String HANDLER_DURATION = "waybill.inbox.handler.duration";

  /** Batches replayed record by record after a failure. */
  public static final String BATCH_FALLBACKS = "waybill.inbox.batch.fallbacks";

  /** Records polled and not yet done. */
  public static final String IN_FLIGHT = "waybill.inbox.in.flight";

  /** Consumer lag: records behind the end of the assigned partitions. */
  public static final String LAG = "waybill.inbox.lag";

  /** Keys parked in ordered mode. */
  public static final String PARKED_KEYS = "waybill.inbox.parked.keys";

  /** Inbox rows deleted by housekeeping. */
  public static final String EXPIRED_DELETED = "waybill.inbox.expired.deleted";

  /** Database or broker failures of Waybill's own steps (waited out, not counted as attempts). */
  public static final String INFRASTRUCTURE_FAILURES = "waybill.inbox.infrastructure.failures";

  /** Dead letters sent without the original value (and maybe key and headers): too large. */
  public static final String DEAD_LETTERS_SHRUNK = "waybill.inbox.dead.letters.shrunk";

  /** Keys that ordered mode could park in memory only: the parked-keys table refused them. */
  public static final String UNPARKABLE_KEYS = "waybill.inbox.unparkable.keys";

  private final MeterRegistry registry;
  private final String group;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicLong lag = new AtomicLong();
  private final AtomicInteger parkedKeys = new AtomicInteger();

  /**
   * @param registry where the meters live
   * @param group the consumer group, the {@code group} tag
   */
  public InboxMetrics(MeterRegistry registry, String group) {
    this.registry = registry;
    this.group = group;
    Gauge.builder(IN_FLIGHT, inFlight, AtomicInteger::get)
        .tag("group", group)
        .description("records polled and not yet done")
        .register(registry);
    Gauge.builder(LAG, lag, AtomicLong::get)
        .tag("group", group)
        .description("records behind the end of the assigned partitions")
        .register(registry);
    Gauge.builder(PARKED_KEYS, parkedKeys, AtomicInteger::get)
        .tag("group", group)
        .description("keys parked in ordered mode")
        .register(registry);
  }

  /** The registry. */
  public MeterRegistry registry() {
    return registry;
  }

  /** Adds to a counter tagged with the topic. */
  public void count(String name, String topic, long n) {
    counter(name, topic, null).increment(n);
  }

  /** Adds to a counter tagged with the topic and a reason. */
  public void count(String name, String topic, String reason, long n) {
    counter(name, topic, reason).increment(n);
  }

  /** Adds to a counter tagged with the group only. */
  public void countGroup(String name, long n) {
    counter(name, null, null).increment(n);
  }

  /** Records a handler's time. */
  public void handlerTime(String topic, long nanos) {
    timers
        .computeIfAbsent(
            topic,
            t ->
                Timer.builder(HANDLER_DURATION)
                    .tag("group", group)
                    .tag("topic", t)
                    .description("time in handlers")
                    .register(registry))
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  /** The in-flight gauge's value holder. */
  public AtomicInteger inFlight() {
    return inFlight;
  }

  /** Sets the lag gauge. */
  public void lag(long value) {
    lag.set(value);
  }

  /** Sets the parked keys gauge. */
  public void parkedKeys(int value) {
    parkedKeys.set(value);
  }

  private Counter counter(String name, String topic, String reason) {
    String id = name + "|" + topic + "|" + reason;
    return counters.computeIfAbsent(
        id,
        k -> {
          Counter.Builder b = Counter.builder(name).tag("group", group);
          if (topic != null) {
            b.tag("topic", topic);
          }
          if (reason != null) {
            b.tag("reason", reason);
          }
          return b.register(registry);
        });
  }
}
