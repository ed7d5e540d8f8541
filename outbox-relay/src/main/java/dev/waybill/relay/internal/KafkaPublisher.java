package dev.waybill.relay.internal;

import dev.waybill.outbox.internal.Json;
import dev.waybill.outbox.wire.CloudEventHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Sends claimed rows to Kafka as CloudEvents (binary mode) with an idempotent, {@code acks=all}
 * producer that has one request in flight per connection.
 *
 * <p>Order after a failure: when a send fails after leaving the client, the producer is closed at
 * once from the callback, which aborts every batch not yet written. With one request in flight, no
 * later record of that partition can then reach the broker before the failed one is sent again, so
 * an earlier message never appears for the first time after a later one. The next batch uses a new
 * producer. A record rejected before it leaves the client (too large, invalid topic or headers)
 * only blocks the later records of its key in the same and later batches. A record the producer
 * does not accept within {@code max.block.ms} (no metadata for its topic) leaves the rest of its
 * topic's rows unsent in this batch and fails like any retriable send. Not API.
 */
public final class KafkaPublisher implements AutoCloseable {
  /**
   * Beyond the delivery timeout, how long a batch may stay unsettled before the producer counts as
   * stalled: Kafka completes every send within {@code delivery.timeout.ms} while its I/O thread
   * lives, so a batch still open this much later means the thread died (an {@code Error}).
   */
  static final Duration SETTLE_MARGIN = Duration.ofSeconds(30);

  private final Map<String, Object> props;
  private final String source;
  private final long settleLimitNanos;
  private final CeTime ceTime = new CeTime();
  private final ThreadLocal<Boolean> inSend = ThreadLocal.withInitial(() -> false);
  private Generation generation;
  private volatile Consumer<Batch> onSettled = b -> {};

  /**
   * @param kafka user producer settings (without the {@code kafka.} prefix)
   * @param sendTimeout the delivery timeout
   * @param source the CloudEvents source
   * @param instance the relay id (client id)
   */
  public KafkaPublisher(
      Map<String, String> kafka, Duration sendTimeout, String source, String instance) {
    Map<String, Object> p = new HashMap<>();
    // No linger: a claimed batch reaches the producer all at once, and with one request in flight
    // records batch up while the previous request is out; a linger would only delay small batches.
    p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 * 1024));
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "waybill-relay-" + instance);
    p.putAll(kafka);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
    long deliveryMs = sendTimeout.toMillis();
    long requestMs = Math.max(500, Math.min(30_000, deliveryMs / 2));
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(deliveryMs));
    p.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(requestMs));
    p.put(
        ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(maxBlock(kafka, sendTimeout).toMillis()));
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    // linger + request timeout must fit in the delivery timeout, as Kafka requires
    long linger = Long.parseLong(String.valueOf(p.get(ProducerConfig.LINGER_MS_CONFIG)));
    long request = Long.parseLong(String.valueOf(p.get(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG)));
    if (linger + request > deliveryMs) {
      p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(deliveryMs - linger));
    }
    this.props = Map.copyOf(p);
    this.source = source;
    this.settleLimitNanos =
        sendTimeout.plus(maxBlock(kafka, sendTimeout)).plus(SETTLE_MARGIN).toNanos();
  }

  /**
   * How long one {@code send()} may block before its record is handed to the producer (waiting for
   * metadata or buffer space): {@code kafka.max.block.ms} when set, else a third of the send
   * timeout, at most 5 s. A send that starts before the lease deadline ends at most this plus the
   * send timeout later, so lease arithmetic counts both.
   */
  public static Duration maxBlock(Map<String, String> kafka, Duration sendTimeout) {
    String v = kafka.get(ProducerConfig.MAX_BLOCK_MS_CONFIG);
    if (v != null) {
      try {
        return Duration.ofMillis(Math.max(0, Long.parseLong(v.trim())));
      } catch (NumberFormatException e) {
        // the producer reports the invalid value when it is created
      }
    }
    return Duration.ofMillis(Math.min(5_000, sendTimeout.toMillis() / 3));
  }

  /**
   * What to do once per batch when its last record is acknowledged or failed (on the producer's I/O
   * thread, or on the sending thread when nothing was sent): the relays count and time what was
   * published there, per batch instead of per record.
   */
  public void onSettled(Consumer<Batch> listener) {
    this.onSettled = listener;
  }

  /** The effective producer settings. */
  public Map<String, Object> producerProperties() {
    return props;
  }

  /**
   * Sends the rows in order. Rows whose ordering key is in {@code blocked} are held back (not
   * sent); a row that fails before leaving the client adds its key to {@code blocked}, so later
   * rows of that key wait as well.
   */
  public Batch send(List<OutboxRow> rows, Set<String> blocked) {
    return send(rows, blocked, Long.MAX_VALUE);
  }

  /**
   * As {@link #send(List, Set)}, but rows whose turn comes after {@code deadlineNanos} ({@link
   * System#nanoTime()}; the lease deadline) are not sent, so no send starts after this relay may
   * have lost its shards.
   */
  public Batch send(List<OutboxRow> rows, Set<String> blocked, long deadlineNanos) {
    Generation gen = generation();
    Batch batch = new Batch(rows, settleLimitNanos, onSettled);
    boolean abortRest = false;
    Set<String> unavailableTopics = null;
    for (int i = 0; i < rows.size(); i++) {
      OutboxRow row = rows.get(i);
      // the ordering key is built only when a key may be blocked (it is a string concatenation)
      String ok = blocked.isEmpty() ? null : row.orderingKey();
      if (!abortRest && deadlineNanos != Long.MAX_VALUE && System.nanoTime() - deadlineNanos > 0) {
        abortRest = true;
      }
      if (abortRest
          || gen.broken
          || (unavailableTopics != null && unavailableTopics.contains(row.topic()))) {
        batch.kinds[i] = Batch.NOT_SENT;
        continue;
      }
      if (ok != null && blocked.contains(ok)) {
        batch.kinds[i] = Batch.HELD;
        continue;
      }
      ProducerRecord<byte[], byte[]> record;
      try {
        record = toRecord(row);
      } catch (RuntimeException e) {
        batch.reject(i, e);
        if (row.key() != null) {
          blocked.add(row.orderingKey());
        }
        continue;
      }
      batch.kinds[i] = Batch.SENT;
      batch.unsettled.incrementAndGet();
      Ack ack = new Ack(batch, i, gen);
      inSend.set(true);
      try {
        gen.producer.send(record, ack);
      } catch (RuntimeException e) {
        ack.settle(e);
      } finally {
        inSend.set(false);
      }
      Throwable cause = batch.errors == null ? null : batch.errors[i];
      if (cause == null) {
        continue;
      }
      // failed within send(): the record never left the client
      if (isPermanent(cause)) {
        batch.kinds[i] = Batch.REJECTED;
        if (row.key() != null) {
          blocked.add(row.orderingKey());
        }
      } else if (cause instanceof TimeoutException) {
        // not accepted within max.block.ms, typically no metadata for this topic (a missing
        // topic the broker does not create, or no broker at all): the record never left the
        // client, so the producer stays usable. Later rows of this topic are not tried in this
        // batch (each would block as long); other topics go on, so the failure counts as an
        // attempt when they are acknowledged and a topic that never appears is dead-lettered
        // after relay.retry.max.attempts instead of stalling every batch.
        if (unavailableTopics == null) {
          unavailableTopics = new HashSet<>();
        }
        unavailableTopics.add(row.topic());
      } else {
        // the client cannot send at all right now (closed): stop this batch
        abortRest = true;
        gen.broken = true;
      }
    }
    batch.sendDone();
    return batch;
  }

  /**
   * The acknowledgement of one record: settles its slot of the batch. One small object per record
   * is all the send path allocates besides the record itself; metrics are taken per batch.
   */
  private final class Ack implements Callback {
    private final Batch batch;
    private final int index;
    private final Generation gen;

    Ack(Batch batch, int index, Generation gen) {
      this.batch = batch;
      this.index = index;
      this.gen = gen;
    }

    @Override
    public void onCompletion(RecordMetadata metadata, Exception exception) {
      if (exception != null && !inSend.get()) {
        // failed after leaving the client: stop every later write at once
        gen.broken = true;
        gen.producer.close(Duration.ZERO);
      }
      settle(exception);
    }

    void settle(Throwable exception) {
      batch.settle(index, exception);
    }
  }

  /** Whether an error is about the message itself, so retrying it cannot help. */
  public static boolean isPermanent(Throwable e) {
    return e instanceof RecordTooLargeException
        || e instanceof RecordBatchTooLargeException
        || e instanceof InvalidTopicException
        || e instanceof TopicAuthorizationException
        || e instanceof InvalidRecordException
        || e instanceof InvalidRowException;
  }

  /**
   * The record the relay sends for a row: key, payload, the CloudEvents headers, {@code
   * traceparent} and the row's own headers. Public for the benchmarks, which time it without the
   * database.
   *
   * @param row the row
   * @return the record
   * @throws InvalidTopicException when the row's topic is not a valid Kafka topic name
   * @throws InvalidRowException when its headers column is not a JSON object of strings
   */
  public ProducerRecord<byte[], byte[]> toRecord(OutboxRow row) {
    try {
      Topic.validate(row.topic());
    } catch (RuntimeException e) {
      throw new InvalidTopicException(
          "topic '" + row.topic() + "' of message " + row.id() + " is invalid: " + e.getMessage());
    }
    RecordHeaders h = new RecordHeaders();
    h.add(CloudEventHeaders.ID, utf8(row.id().toString()));
    h.add(CloudEventHeaders.TYPE, utf8(row.eventType()));
    h.add(CloudEventHeaders.SOURCE, utf8(source));
    h.add(CloudEventHeaders.SPEC_VERSION_HEADER, utf8(CloudEventHeaders.SPEC_VERSION));
    h.add(CloudEventHeaders.TIME, utf8(ceTime.format(row.createdAt())));
    h.add(CloudEventHeaders.CONTENT_TYPE, utf8(row.contentType()));
    if (row.traceparent() != null) {
      h.add(CloudEventHeaders.TRACEPARENT, utf8(row.traceparent()));
    }
    if (row.headers() != null && !row.headers().isBlank()) {
      Map<String, String> own;
      try {
        own = Json.decodeObject(row.headers());
      } catch (IllegalArgumentException e) {
        throw new InvalidRowException(
            "headers of message "
                + row.id()
                + " are not a JSON object of strings: "
                + e.getMessage());
      }
      own.forEach((k, v) -> h.add(k, utf8(v)));
    }
    byte[] key = row.key() == null ? null : utf8(row.key());
    return new ProducerRecord<>(row.topic(), null, key, row.payload(), h);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private synchronized Generation generation() {
    if (generation == null) {
      generation = new Generation(new KafkaProducer<>(new HashMap<>(props)));
    }
    return generation;
  }

  /**
   * Replaces a producer that broke (a send failed after it left the client) by a new one at the
   * next {@link #send}. Until this is called, every later send answers {@link
   * Outcome.Kind#NOT_SENT} for all its rows: a new producer must not publish later messages of a
   * key before the relay has settled the batches that failed and will send their rows again first.
   * Call it only once every batch sent through the broken producer is settled.
   */
  public synchronized void recover() {
    if (generation != null && generation.broken) {
      generation.producer.close(Duration.ZERO);
      generation = null;
    }
  }

  @Override
  public synchronized void close() {
    if (generation != null) {
      generation.producer.close(Duration.ofSeconds(5));
      generation = null;
    }
  }

  /** One producer; broken after a failure that left the client. */
  private static final class Generation {
    final Producer<byte[], byte[]> producer;
    volatile boolean broken;

    Generation(Producer<byte[], byte[]> producer) {
      this.producer = producer;
    }
  }

  /** The producer stopped completing sends: the relay cannot go on in this process. */
  public static final class ProducerStalledException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ProducerStalledException(String message) {
      super(message);
    }
  }

  /** A row Waybill itself cannot turn into a record (bad headers column). */
  public static final class InvalidRowException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InvalidRowException(String message) {
      super(message);
    }
  }

  /**
   * The rows of one send with their outcomes, kept in arrays: a record's acknowledgement only
   * writes its slot and counts down, and whoever waits is woken once, when the last one settles.
   */
  public static final class Batch {
    static final byte SENT = 0;
    static final byte HELD = 1;
    static final byte REJECTED = 2;
    static final byte NOT_SENT = 3;
    private static final byte PENDING = 0;
    private static final byte ACKED = 1;
    private static final byte FAILED = 2;

    private final List<OutboxRow> rows;
    final byte[] kinds;
    private final byte[] states;
    volatile Throwable[] errors; // allocated at the first failure
    // sent rows not settled yet, plus one while send() is still handing rows to the producer, so
    // that the count reaches zero exactly once
    final AtomicInteger unsettled = new AtomicInteger(1);
    private final long settleBy;
    private final Consumer<Batch> onSettled;
    private volatile long settledAtMillis;

    Batch(List<OutboxRow> rows, long settleLimitNanos, Consumer<Batch> onSettled) {
      this.rows = rows;
      this.kinds = new byte[rows.size()];
      this.states = new byte[rows.size()];
      this.settleBy = System.nanoTime() + settleLimitNanos;
      this.onSettled = onSettled;
    }

    void sendDone() {
      countDown();
    }

    private synchronized Throwable[] errors() {
      if (errors == null) {
        errors = new Throwable[rows.size()];
      }
      return errors;
    }

    void reject(int i, Throwable e) {
      kinds[i] = REJECTED;
      errors()[i] = e;
    }

    void settle(int i, Throwable e) {
      if (states[i] != PENDING) {
        return;
      }
      if (e == null) {
        states[i] = ACKED;
      } else {
        errors()[i] = e;
        states[i] = FAILED;
      }
      countDown(); // the decrement publishes the slot to whoever reads unsettled afterwards
    }

    private void countDown() {
      if (unsettled.decrementAndGet() == 0) {
        settledAtMillis = System.currentTimeMillis();
        try {
          onSettled.accept(this);
        } finally {
          synchronized (this) {
            notifyAll();
          }
        }
      }
    }

    /** Whether every sent row is acknowledged or failed (does not wait). */
    public boolean done() {
      return unsettled.get() == 0;
    }

    /** How many rows the batch holds. */
    public int size() {
      return rows.size();
    }

    /** The rows, in claim order. */
    public List<OutboxRow> rows() {
      return rows;
    }

    /** The row at {@code i}. */
    public OutboxRow row(int i) {
      return rows.get(i);
    }

    /** What happened to the row at {@code i} (read after {@link #await()}). */
    public Outcome.Kind kind(int i) {
      return switch (kinds[i]) {
        case SENT -> Outcome.Kind.SENT;
        case HELD -> Outcome.Kind.HELD;
        case REJECTED -> Outcome.Kind.REJECTED;
        default -> Outcome.Kind.NOT_SENT;
      };
    }

    /** Whether the row at {@code i} was acknowledged (read after {@link #await()}). */
    public boolean acked(int i) {
      unsettled.get(); // a volatile read: the slots written before the count went down are seen
      return kinds[i] == SENT && states[i] == ACKED;
    }

    /** The send failure or the rejection of the row at {@code i}; null otherwise. */
    public Throwable failure(int i) {
      if (kinds[i] == REJECTED || (kinds[i] == SENT && states[i] == FAILED)) {
        Throwable[] e = errors;
        return e == null ? null : e[i];
      }
      return null;
    }

    /** Whether every row was acknowledged (read after {@link #await()}). */
    public boolean allAcked() {
      unsettled.get();
      for (int i = 0; i < kinds.length; i++) {
        if (kinds[i] != SENT || states[i] != ACKED) {
          return false;
        }
      }
      return true;
    }

    /** Whether a row was refused or not sent, or a send failed already (does not wait). */
    public boolean failedSoFar() {
      for (int i = 0; i < kinds.length; i++) {
        if (kinds[i] == REJECTED || kinds[i] == NOT_SENT) {
          return true;
        }
      }
      Throwable[] e = errors;
      if (e != null) {
        for (int i = 0; i < kinds.length; i++) {
          if (kinds[i] == SENT && e[i] != null) {
            return true;
          }
        }
      }
      return false;
    }

    /** Every row's outcome, in claim order (a view built on demand, for failure handling). */
    public List<Outcome> outcomes() {
      return new java.util.AbstractList<>() {
        @Override
        public Outcome get(int i) {
          return new Outcome(row(i), kind(i), acked(i), failure(i));
        }

        @Override
        public int size() {
          return rows.size();
        }
      };
    }

    /** The sequence numbers of the rows, sent or not. */
    public List<Long> seqs() {
      List<Long> out = new ArrayList<>(rows.size());
      for (OutboxRow r : rows) {
        out.add(r.seq());
      }
      return out;
    }

    /**
     * When the last acknowledgement arrived ({@link System#currentTimeMillis()}); now if nothing
     * was sent.
     */
    public long settledAtMillis() {
      long t = settledAtMillis;
      return t == 0 ? System.currentTimeMillis() : t;
    }

    /**
     * Waits until every sent row is acknowledged or failed.
     *
     * @throws ProducerStalledException when the producer has not settled them well after its
     *     delivery timeout: its I/O thread died, and nothing sent through it will ever complete
     */
    public void await() {
      if (unsettled.get() == 0) {
        return;
      }
      synchronized (this) {
        while (unsettled.get() != 0) {
          long left = settleBy - System.nanoTime();
          if (left <= 0) {
            throw new ProducerStalledException(
                "the Kafka producer did not complete a send within relay.send.timeout +"
                    + " kafka.max.block.ms + "
                    + SETTLE_MARGIN.toSeconds()
                    + "s; its I/O thread has stopped (see the log above for the error that"
                    + " stopped it)");
          }
          try {
            TimeUnit.NANOSECONDS.timedWait(this, left);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      }
    }
  }

  /**
   * What happened to one row.
   *
   * @param row the row
   * @param kind sent, held (its key is blocked), rejected (before sending), not sent (the producer
   *     stopped)
   * @param acked whether a sent row was acknowledged
   * @param failure the send failure of a sent row, or the rejection; null otherwise
   */
  public record Outcome(OutboxRow row, Kind kind, boolean acked, Throwable failure) {
    /** The kinds of outcome. */
    public enum Kind {
      /** Given to the producer. */
      SENT,
      /** Not sent because an earlier message of its key is unresolved. */
      HELD,
      /** Refused before sending (too large, invalid topic or headers). */
      REJECTED,
      /** Not sent because the producer stopped. */
      NOT_SENT
    }
  }
}
