package dev.waybill.inbox.internal;

import dev.waybill.inbox.InboxConfig;
import dev.waybill.inbox.InboxMessage;
import dev.waybill.inbox.MessageHandler;
import dev.waybill.inbox.MissingIdPolicy;
import dev.waybill.inbox.UnknownTypePolicy;
import dev.waybill.inbox.internal.InboxStore.ParkedKey;
import dev.waybill.inbox.spi.TransactionRunner;
import dev.waybill.inbox.spi.Upcaster;
import dev.waybill.outbox.wire.CloudEventHeaders;
import dev.waybill.outbox.wire.DeadLetterHeaders;
import dev.waybill.outbox.wire.FailureFingerprint;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Handles the records one worker was given, in order: a run of records that need a handler shares
 * one transaction (one multi-row insert of their ids, then the handlers, then commit); when any of
 * it fails the transaction is rolled back and the run is replayed record by record, each in its own
 * transaction, with retries (resilience4j-retry decides whether and how long to wait; the wait
 * itself ends early when the partition is revoked). Records that need no handler (duplicates,
 * unknown types, missing ids, parked keys) are settled in between, in order. A record is marked
 * done only after its transaction committed or its dead letter was acknowledged. Not API.
 */
public final class RecordProcessor {
  /** MDC key of the message id. */
  public static final String MDC_MESSAGE_ID = "waybill.message.id";

  /** MDC key of the topic. */
  public static final String MDC_TOPIC = "waybill.topic";

  /** MDC key of the consumer group. */
  public static final String MDC_GROUP = "waybill.consumer.group";

  private static final Logger LOG = LoggerFactory.getLogger(RecordProcessor.class);
  private static final int MAX_UPCASTS = 16;
  private static final long INFRA_BACKOFF_MIN_MS = 100;
  private static final long INFRA_BACKOFF_MAX_MS = 10_000;

  /** Sends a dead letter and waits for the broker's acknowledgement. */
  @FunctionalInterface
  public interface DeadLetterSender {
    /**
     * @throws Exception when the broker did not acknowledge it
     */
    void send(ProducerRecord<byte[], byte[]> record) throws Exception;
  }

  /** One record given to a worker, with the progress of its partition. */
  public record Work(ConsumerRecord<byte[], byte[]> record, PartitionProgress progress) {}

  private enum Kind {
    HANDLE,
    DEAD_LETTER,
    SKIP
  }

  private static final class Item {
    final Work work;
    String id;
    InboxMessage message;
    MessageHandler handler;
    Kind kind = Kind.HANDLE;
    String reason;
    String description;
    Throwable failure;
    String parkedBehind;
    String keyHash;
    boolean parkedHead;
    boolean duplicate;
    boolean finished;
    RecordTracing.Trace trace;

    Item(Work work) {
      this.work = work;
    }

    ConsumerRecord<byte[], byte[]> record() {
      return work.record();
    }

    String where() {
      return record().topic() + "-" + record().partition() + "@" + record().offset();
    }
  }

  /** A handler failed (the cause is the handler's exception). */
  private static final class HandlerFailed extends Exception {
    private static final long serialVersionUID = 1L;

    HandlerFailed(Throwable cause) {
      super(cause);
    }
  }

  /** Waybill's own database step failed: waited out, never counted as an attempt. */
  private static final class InfraFailed extends Exception {
    private static final long serialVersionUID = 1L;

    InfraFailed(Throwable cause) {
      super(cause);
    }
  }

  /**
   * The inbox's own statement refused the record's data (SQLSTATE class 22 or 23): retrying cannot
   * help, so the record is dead-lettered without counting an attempt.
   */
  private static final class DataFailed extends Exception {
    private static final long serialVersionUID = 1L;

    DataFailed(SQLException cause) {
      super(cause);
    }
  }

  private final ConsumerOptions options;
  private final InboxConfig config;
  private final String group;
  private final String name;
  private final DataSource dataSource;
  private final InboxStore store;
  private final HandleFactory handles;
  private final TransactionRunner transactions;
  private final InboxMetrics metrics;
  private final ParkedKeys parked;
  private final DeadLetterSender deadLetters;
  private final Retry retry;
  private final RecordTracing tracing;
  private final AtomicBoolean warnedTracing = new AtomicBoolean();
  private final Set<String> warnedTopics = ConcurrentHashMap.newKeySet();
  private final Set<String> warnedTypes = ConcurrentHashMap.newKeySet();

  /**
   * @param options the consumer's options
   * @param name the consumer's name for logs
   * @param store the inbox SQL
   * @param metrics the meters
   * @param parked ordered mode's parked keys
   * @param deadLetters the dead-letter sender
   */
  public RecordProcessor(
      ConsumerOptions options,
      String name,
      InboxStore store,
      InboxMetrics metrics,
      ParkedKeys parked,
      DeadLetterSender deadLetters) {
    this.options = options;
    this.config = options.config();
    this.group = config.groupId();
    this.name = name;
    this.dataSource = options.dataSource();
    this.store = store;
    this.handles = new HandleFactory(options.jdbiCustomizer());
    this.transactions = options.transactions();
    this.metrics = metrics;
    this.parked = parked;
    this.deadLetters = deadLetters;
    this.retry = Retry.of("waybill-inbox-" + group, retryConfig(config, options));
    this.tracing = RecordTracing.create(group);
  }

  /** The resilience4j retry configuration of a consumer's handlers. */
  public static RetryConfig retryConfig(InboxConfig config, ConsumerOptions options) {
    IntervalFunction backoff =
        config.retryJitter() > 0
            ? IntervalFunction.ofExponentialRandomBackoff(
                config.retryInitialInterval(),
                config.retryMultiplier(),
                config.retryJitter(),
                config.retryMaxInterval())
            : IntervalFunction.ofExponentialBackoff(
                config.retryInitialInterval(), config.retryMultiplier(), config.retryMaxInterval());
    return RetryConfig.custom()
        .maxAttempts(config.maxAttempts())
        .intervalFunction(backoff)
        .retryOnException(options.retriable())
        .failAfterMaxAttempts(false)
        .build();
  }

  /** The resilience4j retry (for its event publisher and metrics). */
  public Retry retry() {
    return retry;
  }

  /**
   * Handles the records of one worker's unit, in order. Every record ends done (committed or
   * dead-lettered) or abandoned (its partition was revoked: the next owner consumes it again).
   */
  public void process(List<Work> unit) {
    List<Item> items = new ArrayList<>(unit.size());
    for (Work w : unit) {
      if (w.progress().tryStart()) {
        Item it = new Item(w);
        it.trace = startTrace(w.record());
        items.add(it);
      } else {
        metrics.inFlight().decrementAndGet();
      }
    }
    LOG.debug("inbox consumer {}: {} of {} records started", name, items.size(), unit.size());
    MDC.put(MDC_GROUP, group);
    try {
      List<Item> run = new ArrayList<>();
      for (Item it : items) {
        prepare(it);
        if (it.kind == Kind.HANDLE && config.ordered() && blockedByParkedKey(it)) {
          // records before it may be the redrive that unparks the key: settle them first
          flush(run);
          if (blockedByParkedKey(it)) {
            markParked(it);
          }
        }
        if (it.kind == Kind.HANDLE) {
          run.add(it);
        } else {
          flush(run);
          settle(it);
        }
      }
      flush(run);
    } catch (RuntimeException | Error e) {
      LOG.error(
          "inbox consumer {}: unexpected failure while handling {} records; those not done are"
              + " left uncommitted and will be consumed again after a rebalance or restart",
          name,
          items.size(),
          e);
    } finally {
      for (Item it : items) {
        if (!it.finished) {
          finish(it, false);
        }
      }
      MDC.remove(MDC_GROUP);
    }
  }

  /** Tracing never stops a record: a tracer that fails leaves it with the MDC alone. */
  private RecordTracing.Trace startTrace(ConsumerRecord<byte[], byte[]> r) {
    try {
      return tracing.start(r);
    } catch (RuntimeException | LinkageError e) {
      if (warnedTracing.compareAndSet(false, true)) {
        LOG.warn(
            "inbox consumer {}: cannot start a trace span ({}); records are handled with the trace"
                + " ids in the MDC only. This warning is shown once",
            name,
            e.toString());
      }
      return RecordTracing.mdcOnly().start(r);
    }
  }

  private void prepare(Item it) {
    ConsumerRecord<byte[], byte[]> r = it.record();
    if (config.ordered() && r.key() != null) {
      it.keyHash = InboxStore.keyHash(r.key());
    }
    Optional<String> id;
    try {
      id = options.messageIds().messageId(r);
    } catch (RuntimeException e) {
      deadLetterLater(it, "invalid-id", e, "the message id extractor failed: " + e);
      return;
    }
    if (id.isEmpty()) {
      if (config.missingIdPolicy() == MissingIdPolicy.DERIVE_FROM_COORDINATES) {
        id = Optional.of(r.topic() + "/" + r.partition() + "/" + r.offset());
        metrics.count(InboxMetrics.DERIVED_IDS, r.topic(), 1);
        if (warnedTopics.add(r.topic())) {
          LOG.warn(
              "inbox consumer {}: record {} has no message id; using topic/partition/offset as"
                  + " its id (inbox.missing.id=derive). This deduplicates redeliveries but not"
                  + " a producer's retries. Further records of topic {} without id are only"
                  + " counted ({})",
              name,
              it.where(),
              r.topic(),
              InboxMetrics.DERIVED_IDS);
        }
      } else {
        deadLetterLater(
            it,
            "missing-id",
            null,
            "record has no message id (CloudEvents header "
                + CloudEventHeaders.ID
                + "); inbox.missing.id=dead-letter");
        return;
      }
    }
    Optional<String> problem = InboxStore.idProblem("message id", id.get());
    if (problem.isPresent()) {
      // checked before any statement: a NUL fails PostgreSQL's insert, and is no outage
      deadLetterLater(it, "invalid-id", null, problem.get());
      return;
    }
    it.id = id.get();
    InboxMessage m = toMessage(r, it.id);
    try {
      for (int i = 0; ; i++) {
        Upcaster u = firstApplying(m);
        if (u == null) {
          break;
        }
        if (i == MAX_UPCASTS) {
          deadLetterLater(
              it,
              "upcast-failed",
              null,
              "more than " + MAX_UPCASTS + " upcasts: upcasters loop (last: " + u + ")");
          return;
        }
        m = u.upcast(m);
      }
    } catch (Exception e) {
      deadLetterLater(it, "upcast-failed", e, "upcasting failed: " + e);
      return;
    }
    it.message = m;
    MessageHandler h = m.eventType().map(options.handlers()::get).orElse(null);
    if (h == null) {
      h = options.defaultHandler();
    }
    if (h == null) {
      String type = m.eventType().orElse("(none)");
      if (config.unknownTypePolicy() == UnknownTypePolicy.SKIP) {
        it.kind = Kind.SKIP;
        it.reason = "unknown-type";
        it.description = "no handler for event type '" + type + "'";
      } else {
        deadLetterLater(
            it,
            "unknown-type",
            null,
            "no handler for event type '" + type + "' and no default handler");
      }
      return;
    }
    it.handler = h;
  }

  private Upcaster firstApplying(InboxMessage m) {
    for (Upcaster u : options.upcasters()) {
      if (u.appliesTo(m)) {
        return u;
      }
    }
    return null;
  }

  private static InboxMessage toMessage(ConsumerRecord<byte[], byte[]> r, String id) {
    InboxMessage.Builder b =
        InboxMessage.builder()
            .topic(r.topic())
            .partition(r.partition())
            .offset(r.offset())
            .timestamp(Instant.ofEpochMilli(Math.max(0, r.timestamp())))
            .key(r.key())
            .value(r.value())
            .messageId(id);
    String type = null;
    for (Header h : r.headers()) {
      b.header(h.key(), h.value());
      if (h.key().equals(CloudEventHeaders.TYPE) && h.value() != null) {
        type = new String(h.value(), StandardCharsets.UTF_8);
      }
    }
    return b.eventType(type).build();
  }

  private void deadLetterLater(Item it, String reason, Throwable failure, String description) {
    it.kind = Kind.DEAD_LETTER;
    it.reason = reason;
    it.failure = failure;
    it.description = description;
  }

  private boolean blockedByParkedKey(Item it) {
    if (it.keyHash == null) {
      return false;
    }
    Optional<ParkedKey> p = parked.get(it.record().topic(), it.keyHash);
    it.parkedHead = p.isPresent() && p.get().messageId().equals(it.id);
    return p.isPresent() && !it.parkedHead;
  }

  private void markParked(Item it) {
    String head = parked.get(it.record().topic(), it.keyHash).map(ParkedKey::messageId).orElse("?");
    deadLetterLater(
        it,
        "key-parked",
        null,
        "ordered mode: key parked behind dead-lettered message "
            + head
            + "; redrive that message first");
    it.parkedBehind = head;
  }

  private void flush(List<Item> run) {
    if (run.isEmpty()) {
      return;
    }
    try {
      if (config.batchEnabled() && run.size() > 1 && handleBatch(run)) {
        return;
      }
      for (Item it : run) {
        if (config.ordered() && blockedByParkedKey(it)) {
          markParked(it);
          settle(it);
        } else {
          handleOne(it);
        }
      }
    } finally {
      run.clear();
    }
  }

  /** One transaction for the run; false (rolled back, nothing done) when anything failed. */
  private boolean handleBatch(List<Item> run) {
    List<String> ids = new ArrayList<>(new LinkedHashSet<>(run.stream().map(i -> i.id).toList()));
    List<Item> handled = new ArrayList<>();
    List<Item> duplicates = new ArrayList<>();
    TxState state = new TxState();
    try {
      transactions.inTransaction(
          dataSource,
          c -> {
            state.started = true;
            try {
              Set<String> fresh = store.recordAll(c, group, ids);
              Set<String> claimed = new HashSet<>();
              for (Item it : run) {
                if (it.work.progress().isRevoked()) {
                  throw new InfraFailed(new IllegalStateException("partition revoked"));
                }
                if (fresh.contains(it.id) && claimed.add(it.id)) {
                  runHandler(it, c);
                  if (it.parkedHead) {
                    store.unpark(c, group, it.record().topic(), it.keyHash);
                  }
                  handled.add(it);
                } else {
                  it.duplicate = true;
                  duplicates.add(it);
                }
              }
            } catch (SQLException | HandlerFailed | RuntimeException e) {
              // the database went away under the batch (InfraFailed here is a revoke)
              state.broken = !isValid(c);
              throw e;
            }
            state.returned = true;
            return null;
          });
    } catch (Exception e) {
      for (Item it : duplicates) {
        it.duplicate = false;
      }
      if (!state.started) {
        // getting the connection or beginning the transaction failed
        metrics.countGroup(InboxMetrics.INFRASTRUCTURE_FAILURES, 1);
        LOG.debug(
            "inbox consumer {}: batch not started ({}); record by record", name, e.toString());
        return false;
      }
      if (state.broken || (state.returned && !isDataError(e))) {
        // the replay waits an outage out record by record, but this failed step counts too
        metrics.countGroup(InboxMetrics.INFRASTRUCTURE_FAILURES, 1);
      }
      metrics.count(InboxMetrics.BATCH_FALLBACKS, run.get(0).record().topic(), 1);
      LOG.debug(
          "inbox consumer {}: batch of {} records rolled back ({}); replaying record by record",
          name,
          run.size(),
          e.toString());
      return false;
    }
    for (Item it : handled) {
      if (it.parkedHead) {
        unparkedAfterCommit(it);
      }
      metrics.count(InboxMetrics.HANDLED, it.record().topic(), 1);
      finish(it, true);
    }
    for (Item it : duplicates) {
      metrics.count(InboxMetrics.DUPLICATES, it.record().topic(), 1);
      LOG.debug("inbox consumer {}: duplicate message {} at {} skipped", name, it.id, it.where());
      finish(it, true);
    }
    return true;
  }

  /** What one transaction of the runner got to, for telling its failures apart. */
  private static final class TxState {
    /** The work was called: the connection and the transaction were there. */
    boolean started;

    /** The work returned: a failure after it is the commit's. */
    boolean returned;

    /** The work failed on a connection that was no longer valid. */
    boolean broken;
  }

  /** Whether an SQLException in the cause chain of {@code e} is a data error (class 22/23). */
  private static boolean isDataError(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql && InboxStore.isDataError(sql)) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  /** Whether the cause chain of {@code e} holds an SQLException (the driver spoke). */
  private static boolean hasSqlCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  private enum Outcome {
    HANDLED,
    DUPLICATE
  }

  private void handleOne(Item it) {
    MDC.put(MDC_MESSAGE_ID, it.id);
    MDC.put(MDC_TOPIC, it.record().topic());
    try {
      Retry.AsyncContext<Void> attemptsLeft = retry.asyncContext();
      int attempts = 0;
      Instant first = null;
      Instant last = null;
      long infraBackoff = INFRA_BACKOFF_MIN_MS;
      while (true) {
        if (it.work.progress().isRevoked()) {
          finish(it, false);
          return;
        }
        Outcome outcome;
        try {
          outcome = attemptOnce(it);
        } catch (DataFailed f) {
          SQLException e = (SQLException) f.getCause();
          Instant now = Instant.now();
          it.kind = Kind.DEAD_LETTER;
          it.reason = "invalid-id";
          it.failure = e;
          it.description =
              "the inbox table refused the message id (SQLSTATE " + e.getSQLState() + ")";
          deadLetter(it, attempts, first == null ? now : first, now);
          return;
        } catch (InfraFailed f) {
          metrics.countGroup(InboxMetrics.INFRASTRUCTURE_FAILURES, 1);
          LOG.warn(
              "inbox consumer {}: database step for message {} at {} failed ({}); waiting {} ms,"
                  + " not counted as an attempt",
              name,
              it.id,
              it.where(),
              f.getCause().toString(),
              infraBackoff);
          if (!sleep(it, infraBackoff)) {
            finish(it, false);
            return;
          }
          infraBackoff = Math.min(INFRA_BACKOFF_MAX_MS, infraBackoff * 2);
          continue;
        } catch (HandlerFailed f) {
          attempts++;
          Instant now = Instant.now();
          first = first == null ? now : first;
          last = now;
          Throwable cause = f.getCause();
          long delay = attemptsLeft.onError(cause);
          if (delay < 0) {
            boolean retriable = options.retriable().test(cause);
            it.kind = Kind.DEAD_LETTER;
            it.reason = retriable ? "retries-exhausted" : "non-retriable";
            it.failure = cause;
            it.description = cause.toString();
            deadLetter(it, attempts, first, last);
            return;
          }
          metrics.count(InboxMetrics.RETRIES, it.record().topic(), 1);
          LOG.warn(
              "inbox consumer {}: handler failed for message {} at {} (attempt {} of {}),"
                  + " retrying in {} ms: {}",
              name,
              it.id,
              it.where(),
              attempts,
              config.maxAttempts(),
              delay,
              cause.toString());
          if (!sleep(it, delay)) {
            finish(it, false);
            return;
          }
          continue;
        }
        attemptsLeft.onComplete();
        if (outcome == Outcome.HANDLED) {
          metrics.count(InboxMetrics.HANDLED, it.record().topic(), 1);
          if (it.parkedHead) {
            unparkedAfterCommit(it);
          }
        } else {
          it.duplicate = true;
          metrics.count(InboxMetrics.DUPLICATES, it.record().topic(), 1);
          LOG.debug(
              "inbox consumer {}: duplicate message {} at {} skipped", name, it.id, it.where());
          if (it.parkedHead) {
            unparkNow(it);
          }
        }
        finish(it, true);
        return;
      }
    } finally {
      MDC.remove(MDC_MESSAGE_ID);
      MDC.remove(MDC_TOPIC);
    }
  }

  private Outcome attemptOnce(Item it) throws HandlerFailed, InfraFailed, DataFailed {
    TxState state = new TxState();
    try {
      Outcome outcome =
          transactions.inTransaction(
              dataSource,
              c -> {
                state.started = true;
                boolean fresh;
                try {
                  fresh = store.insertIfAbsent(c, group, it.id);
                } catch (SQLException e) {
                  // the insert runs before the handler: its data errors are the id's, not the
                  // handler's
                  if (InboxStore.isDataError(e) && isValid(c)) {
                    throw new DataFailed(e);
                  }
                  throw new InfraFailed(e);
                }
                if (!fresh) {
                  state.returned = true;
                  return Outcome.DUPLICATE;
                }
                try {
                  runHandler(it, c);
                } catch (HandlerFailed f) {
                  if (!isValid(c)) {
                    throw new InfraFailed(f.getCause());
                  }
                  throw f;
                }
                if (it.parkedHead) {
                  try {
                    store.unpark(c, group, it.record().topic(), it.keyHash);
                  } catch (SQLException e) {
                    throw new InfraFailed(e);
                  }
                }
                state.returned = true;
                return Outcome.HANDLED;
              });
      return outcome;
    } catch (HandlerFailed | InfraFailed | DataFailed e) {
      throw e;
    } catch (Exception e) {
      if (state.returned && (isDataError(e) || !hasSqlCause(e))) {
        // the inbox's own rows have no deferred constraints: a data error at commit is the
        // handler's (a deferred constraint or a flush its writes broke), rolled back; retried as
        // its failure. So is a commit a framework refused without asking the database (a
        // transaction the handler's code marked rollback-only)
        throw new HandlerFailed(e);
      }
      // getting the connection, beginning, committing or closing failed: the outcome is decided by
      // the inbox row on the next attempt (a commit that did happen shows up as a duplicate)
      throw new InfraFailed(e);
    }
  }

  private void runHandler(Item it, Connection c) throws HandlerFailed {
    String previousId = MDC.get(MDC_MESSAGE_ID);
    MDC.put(MDC_MESSAGE_ID, it.id);
    MDC.put(MDC_TOPIC, it.record().topic());
    long start = System.nanoTime();
    try (RecordTracing.Scope traced = it.trace.enter();
        HandlerTransaction tx = new HandlerTransaction(c, group, handles)) {
      it.handler.handle(it.message, tx);
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Exception | Error e) {
      it.trace.attemptFailed(e);
      throw new HandlerFailed(e);
    } finally {
      metrics.handlerTime(it.record().topic(), System.nanoTime() - start);
      if (previousId == null) {
        MDC.remove(MDC_MESSAGE_ID);
        MDC.remove(MDC_TOPIC);
      }
    }
  }

  private void settle(Item it) {
    if (it.kind == Kind.SKIP) {
      metrics.count(InboxMetrics.SKIPPED, it.record().topic(), it.reason, 1);
      String type = it.message == null ? "?" : it.message.eventType().orElse("(none)");
      if (warnedTypes.add(it.record().topic() + "/" + type)) {
        LOG.warn(
            "inbox consumer {}: skipped message {} at {}: {} (inbox.unknown.type=skip; further"
                + " records of this type are only counted in {})",
            name,
            it.id,
            it.where(),
            it.description,
            InboxMetrics.SKIPPED);
      }
      finish(it, true);
      return;
    }
    Instant now = Instant.now();
    deadLetter(it, 0, now, now);
  }

  private void deadLetter(Item it, int attempts, Instant first, Instant last) {
    ConsumerRecord<byte[], byte[]> r = it.record();
    if (config.ordered() && it.keyHash != null && it.parkedBehind == null) {
      // a record without a usable id parks its key under its coordinates
      String headId = it.id != null ? it.id : r.topic() + "/" + r.partition() + "/" + r.offset();
      ParkedKey p = new ParkedKey(r.topic(), it.keyHash, InboxStore.keyText(r.key()), headId);
      long backoff = INFRA_BACKOFF_MIN_MS;
      while (true) {
        try {
          store.park(dataSource, group, p);
          parked.parked(p);
          metrics.parkedKeys(parked.size());
          break;
        } catch (SQLException e) {
          if (InboxStore.isDataError(e)) {
            parkInMemoryOnly(it, p, e);
            break;
          }
          metrics.countGroup(InboxMetrics.INFRASTRUCTURE_FAILURES, 1);
          LOG.warn(
              "inbox consumer {}: cannot park key of message {} at {} ({}); waiting {} ms",
              name,
              it.id,
              it.where(),
              e.toString(),
              backoff);
          if (!sleep(it, backoff)) {
            finish(it, false);
            return;
          }
          backoff = Math.min(INFRA_BACKOFF_MAX_MS, backoff * 2);
        }
      }
    }
    String topic = config.deadLetterTopicFor(r.topic());
    ProducerRecord<byte[], byte[]> dead =
        DeadLetters.build(
            r,
            topic,
            group,
            new DeadLetters.Cause(
                it.reason,
                it.id,
                it.failure,
                it.description,
                attempts,
                first,
                last,
                it.parkedBehind));
    long backoff = INFRA_BACKOFF_MIN_MS;
    while (true) {
      try {
        sendShrinkingWhenTooLarge(it, dead);
        break;
      } catch (Exception e) {
        metrics.countGroup(InboxMetrics.INFRASTRUCTURE_FAILURES, 1);
        LOG.error(
            "inbox consumer {}: cannot send message {} at {} to dead-letter topic {} ({}); the"
                + " partition waits; retrying in {} ms",
            name,
            it.id,
            it.where(),
            topic,
            e.toString(),
            backoff);
        if (!sleep(it, backoff)) {
          finish(it, false);
          return;
        }
        backoff = Math.min(INFRA_BACKOFF_MAX_MS, backoff * 2);
      }
    }
    metrics.count(InboxMetrics.DEAD_LETTERED, r.topic(), it.reason, 1);
    LOG.warn(
        "inbox consumer {}: dead-lettered message {} at {} to {}: reason {}, {} attempt(s),"
            + " fingerprint {}{}",
        name,
        it.id == null ? "(no id)" : it.id,
        it.where(),
        topic,
        it.reason,
        attempts,
        it.failure == null ? "-" : FailureFingerprint.of(it.failure),
        it.failure == null ? ": " + it.description : "",
        it.failure);
    finish(it, true);
  }

  /**
   * The parked table refused the key (a data error): the key stays parked in this process only, so
   * the record is still dead-lettered and its key still held; an operator is told that a restart
   * forgets the parking.
   */
  private void parkInMemoryOnly(Item it, ParkedKey p, SQLException e) {
    parked.parked(p);
    metrics.parkedKeys(parked.size());
    metrics.count(InboxMetrics.UNPARKABLE_KEYS, it.record().topic(), 1);
    LOG.error(
        "inbox consumer {}: the parked-keys table {} refused the key of message {} at {} (SQLSTATE"
            + " {}: {}); the key is parked in this process only and a restart forgets it: later"
            + " messages of the key are held until then",
        name,
        store.parkedTable(),
        it.id == null ? "(no id)" : it.id,
        it.where(),
        e.getSQLState(),
        e.getMessage());
  }

  /**
   * Sends a dead letter; when the dead-letter topic refuses it as too large, sends it again without
   * the original value, then also without the original key and headers, each time with a header
   * saying what was left out (the original stays in its topic at the coordinates the dead letter
   * names, until that topic's retention). Throws the last failure when even the smallest form is
   * refused, or on any other failure.
   */
  private void sendShrinkingWhenTooLarge(Item it, ProducerRecord<byte[], byte[]> full)
      throws Exception {
    ProducerRecord<byte[], byte[]> dead = full;
    for (DeadLetters.Shrink step : DeadLetters.Shrink.values()) {
      if (step != DeadLetters.Shrink.NONE) {
        dead = DeadLetters.shrink(full, step);
      }
      try {
        deadLetters.send(dead);
        if (step != DeadLetters.Shrink.NONE) {
          metrics.count(InboxMetrics.DEAD_LETTERS_SHRUNK, it.record().topic(), 1);
          LOG.error(
              "inbox consumer {}: message {} at {} is too large for dead-letter topic {} with its"
                  + " dead-letter headers; dead-lettered without its {} (header {}). Copy the"
                  + " original from {} before that topic's retention deletes it",
              name,
              it.id == null ? "(no id)" : it.id,
              it.where(),
              full.topic(),
              step.leftOut(),
              DeadLetterHeaders.LEFT_OUT,
              it.where());
        }
        return;
      } catch (Exception e) {
        if (!DeadLetters.isTooLarge(e) || step == DeadLetters.Shrink.ALL) {
          throw e;
        }
        LOG.debug(
            "inbox consumer {}: dead letter of {} too large ({}); shrinking it",
            name,
            it.where(),
            e.toString());
      }
    }
  }

  private void unparkedAfterCommit(Item it) {
    parked.unparked(it.record().topic(), it.keyHash);
    metrics.parkedKeys(parked.size());
    LOG.info(
        "inbox consumer {}: key of message {} unparked: the parked message was handled",
        name,
        it.id);
  }

  private void unparkNow(Item it) {
    try {
      store.unpark(dataSource, group, it.record().topic(), it.keyHash);
      unparkedAfterCommit(it);
    } catch (SQLException e) {
      LOG.warn(
          "inbox consumer {}: cannot unpark the key of message {} ({}); unpark it by hand",
          name,
          it.id,
          e.toString());
    }
  }

  private void finish(Item it, boolean done) {
    if (!it.finished) {
      it.finished = true;
      it.work.progress().finish(it.record().offset(), done);
      metrics.inFlight().decrementAndGet();
      endTrace(it, done);
    }
  }

  private void endTrace(Item it, boolean done) {
    String outcome;
    String error = null;
    if (!done) {
      outcome = "abandoned";
    } else if (it.kind == Kind.DEAD_LETTER) {
      outcome = "dead-lettered";
      error = "dead-lettered: " + it.reason;
    } else if (it.kind == Kind.SKIP) {
      outcome = "skipped";
    } else {
      outcome = it.duplicate ? "duplicate" : "handled";
    }
    try {
      it.trace.end(it.id, outcome, error);
    } catch (RuntimeException | LinkageError e) {
      LOG.debug("inbox consumer {}: ending the trace span of {} failed", name, it.where(), e);
    }
  }

  private static boolean sleep(Item it, long millis) {
    try {
      return it.work.progress().sleepUnlessRevoked(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static boolean isValid(Connection c) {
    try {
      return c.isValid(2);
    } catch (SQLException e) {
      return false;
    }
  }
}
