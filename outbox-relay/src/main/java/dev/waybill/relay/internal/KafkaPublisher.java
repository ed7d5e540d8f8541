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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
    List<Outcome> outcomes = new ArrayList<>(rows.size());
    AtomicInteger unsettled = new AtomicInteger(); // sent rows whose future is not complete
    boolean abortRest = false;
    Set<String> unavailableTopics = new HashSet<>();
    for (OutboxRow row : rows) {
      // the ordering key is built only when a key may be blocked (it is a string concatenation)
      String ok = blocked.isEmpty() ? null : row.orderingKey();
      if (!abortRest && deadlineNanos != Long.MAX_VALUE && System.nanoTime() - deadlineNanos > 0) {
        abortRest = true;
      }
      if (abortRest || gen.broken || unavailableTopics.contains(row.topic())) {
        outcomes.add(Outcome.notSent(row));
        continue;
      }
      if (ok != null && blocked.contains(ok)) {
        outcomes.add(Outcome.held(row));
        continue;
      }
      ProducerRecord<byte[], byte[]> record;
      try {
        record = toRecord(row);
      } catch (RuntimeException e) {
        outcomes.add(Outcome.rejected(row, e));
        if (row.key() != null) {
          blocked.add(row.orderingKey());
        }
        continue;
      }
      CompletableFuture<RecordMetadata> f = new CompletableFuture<>();
      unsettled.incrementAndGet();
      inSend.set(true);
      try {
        gen.producer.send(
            record,
            (md, ex) -> {
              if (ex == null) {
                if (f.complete(md)) {
                  unsettled.decrementAndGet();
                }
                return;
              }
              if (!inSend.get()) {
                // failed after leaving the client: stop every later write at once
                gen.broken = true;
                gen.producer.close(Duration.ZERO);
              }
              if (f.completeExceptionally(ex)) {
                unsettled.decrementAndGet();
              }
            });
      } catch (RuntimeException e) {
        if (f.completeExceptionally(e)) {
          unsettled.decrementAndGet();
        }
      } finally {
        inSend.set(false);
      }
      if (f.isCompletedExceptionally()) {
        Throwable cause = causeOf(f);
        if (isPermanent(cause)) {
          outcomes.add(Outcome.rejected(row, cause));
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
          outcomes.add(Outcome.sent(row, f));
          unavailableTopics.add(row.topic());
        } else {
          // the client cannot send at all right now (closed): stop this batch
          outcomes.add(Outcome.sent(row, f));
          abortRest = true;
          gen.broken = true;
        }
        continue;
      }
      outcomes.add(Outcome.sent(row, f));
    }
    return new Batch(outcomes, unsettled, settleLimitNanos);
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

  private static Throwable causeOf(CompletableFuture<?> f) {
    try {
      f.get();
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return e;
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

  /** The rows of one send, with their outcomes. */
  public static final class Batch {
    private final List<Outcome> outcomes;
    private final AtomicInteger unsettled;
    private final long settleBy;

    Batch(List<Outcome> outcomes, AtomicInteger unsettled, long settleLimitNanos) {
      this.outcomes = outcomes;
      this.unsettled = unsettled;
      this.settleBy = System.nanoTime() + settleLimitNanos;
    }

    /** Whether every sent row is acknowledged or failed (does not wait). */
    public boolean done() {
      return unsettled.get() == 0;
    }

    /** Every row's outcome, in claim order. */
    public List<Outcome> outcomes() {
      return outcomes;
    }

    /** The sequence numbers of the rows, sent or not. */
    public List<Long> seqs() {
      List<Long> out = new ArrayList<>(outcomes.size());
      outcomes.forEach(o -> out.add(o.row().seq()));
      return out;
    }

    /**
     * Waits until every sent row is acknowledged or failed.
     *
     * @throws ProducerStalledException when the producer has not settled them well after its
     *     delivery timeout: its I/O thread died, and nothing sent through it will ever complete
     */
    public void await() {
      for (Outcome o : outcomes) {
        if (o.future() != null) {
          try {
            o.future().get(Math.max(0, settleBy - System.nanoTime()), TimeUnit.NANOSECONDS);
          } catch (ExecutionException e) {
            // recorded in the outcome
          } catch (java.util.concurrent.TimeoutException e) {
            throw new ProducerStalledException(
                "the Kafka producer did not complete a send within relay.send.timeout +"
                    + " kafka.max.block.ms + "
                    + SETTLE_MARGIN.toSeconds()
                    + "s; its I/O thread has stopped (see the log above for the error that"
                    + " stopped it)");
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
   * @param kind sent (see the future), held (its key is blocked), rejected (before sending), not
   *     sent (the producer stopped)
   * @param future the acknowledgement, for sent rows
   * @param error the rejection, for rejected rows
   */
  public record Outcome(
      OutboxRow row, Kind kind, CompletableFuture<RecordMetadata> future, Throwable error) {
    static Outcome sent(OutboxRow row, CompletableFuture<RecordMetadata> f) {
      return new Outcome(row, Kind.SENT, f, null);
    }

    static Outcome held(OutboxRow row) {
      return new Outcome(row, Kind.HELD, null, null);
    }

    static Outcome notSent(OutboxRow row) {
      return new Outcome(row, Kind.NOT_SENT, null, null);
    }

    static Outcome rejected(OutboxRow row, Throwable e) {
      return new Outcome(row, Kind.REJECTED, null, e);
    }

    /** Whether the row was acknowledged. */
    public boolean acked() {
      return kind == Kind.SENT && future.isDone() && !future.isCompletedExceptionally();
    }

    /** The send failure of a sent row, or the rejection; null otherwise. */
    public Throwable failure() {
      if (kind == Kind.REJECTED) {
        return error;
      }
      if (kind == Kind.SENT && future.isCompletedExceptionally()) {
        return causeOf(future);
      }
      return null;
    }

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
