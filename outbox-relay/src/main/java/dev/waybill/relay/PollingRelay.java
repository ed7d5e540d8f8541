package dev.waybill.relay;

import dev.waybill.outbox.WaybillException;
import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.outbox.jdbc.DatabaseConnectionException;
import dev.waybill.outbox.jdbc.SqlIdentifier;
import dev.waybill.outbox.schema.SchemaCheck;
import dev.waybill.outbox.schema.SchemaComponent;
import dev.waybill.relay.internal.Claimer;
import dev.waybill.relay.internal.Deleter;
import dev.waybill.relay.internal.FatalError;
import dev.waybill.relay.internal.KafkaHealthCheck;
import dev.waybill.relay.internal.KafkaPublisher;
import dev.waybill.relay.internal.KafkaPublisher.Batch;
import dev.waybill.relay.internal.KafkaPublisher.Outcome;
import dev.waybill.relay.internal.LeaseManager;
import dev.waybill.relay.internal.OutboxRow;
import dev.waybill.relay.internal.OutboxStore;
import dev.waybill.relay.internal.RelayMetrics;
import dev.waybill.relay.internal.WakeUp;
import io.github.resilience4j.core.IntervalFunction;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The relay that polls the outbox table. The loop thread hands a claimed batch of its shards' rows
 * to the producer; meanwhile the claim thread ({@code Claimer}, on a connection of its own) already
 * claims the next batch, and while Kafka acknowledges the batch the loop sends the next one. Every
 * claim reads from the start of the table, skipping the rows in flight, the batch being sent and
 * the rows whose DELETE is on its way, so rows that commit late are never skipped. The acknowledged
 * rows of the earlier batch are deleted with one statement on a thread of its own ({@code
 * Deleter}); the loop waits for the DELETEs before it renews or gives back leases. A claim made
 * ahead is dropped, not sent, when a lease is lost, a send failed or the relay renews its leases.
 * PostgreSQL NOTIFY (or an idle backoff) wakes it.
 */
final class PollingRelay implements Relay {
  private static final Logger LOG = LoggerFactory.getLogger(PollingRelay.class);
  private static final long MIN_IDLE_MILLIS = 10;
  private static final Duration HUNGRY_TICK = Duration.ofMillis(250);

  private final RelayConfig config;
  private final DataSource dataSource;
  private final MeterRegistry registry;
  private final RelayMetrics metrics;
  private final WakeUp wakeUp = new WakeUp();
  private final Map<Long, Integer> attempts = new HashMap<>();
  private final Set<String> blocked = new HashSet<>();
  private final IntervalFunction backoff;
  private final long batchMaxBytes;
  private Dialect dialect;
  private OutboxStore store;
  private Deleter deleter;
  private LeaseManager leases;
  private KafkaPublisher publisher;
  private Claimer claimer;
  // the loop thread's claim state (see nextClaim)
  private Batch inflight;
  private Future<List<OutboxRow>> ahead;
  private Collection<Integer> aheadShards;
  private long aheadEpoch;
  private long epoch;
  private volatile Thread loop;
  private volatile ScheduledFuture<?> maintained;
  private ScheduledExecutorService maintenance;
  private final KafkaHealthCheck kafkaHealth;
  private volatile boolean stopping;
  private volatile boolean crashed;
  private volatile boolean failed; // stopped itself after a fatal error
  private boolean closed;
  private volatile boolean running;
  private volatile long dbOkAt;
  private volatile long kafkaOkAt;
  private boolean started;

  PollingRelay(RelayConfig config, DataSource dataSource, Dialect dialect, MeterRegistry registry) {
    this.config = config;
    this.kafkaHealth = new KafkaHealthCheck(config.kafka(), config.instanceId());
    this.dataSource = dataSource;
    this.dialect = dialect;
    this.registry = registry;
    this.metrics = new RelayMetrics(registry, config.instanceId());
    this.batchMaxBytes = config.effectiveBatchMaxBytes();
    this.backoff = config.backoffFunction();
  }

  @Override
  public synchronized void start() {
    if (started) {
      throw new IllegalStateException("relay " + config.instanceId() + " was already started");
    }
    started = true;
    try (Connection c = dataSource.getConnection()) {
      if (dialect == null) {
        dialect = Dialect.of(c);
      }
    } catch (SQLException e) {
      throw new WaybillException(
          "relay " + config.instanceId() + ": " + DatabaseConnectionException.describe(e), e);
    }
    SchemaCheck.requireCurrent(
        dataSource,
        dialect,
        config.outbox().tables(),
        SchemaComponent.outbox(),
        "relay " + config.instanceId());
    kafkaHealth.checkCredentials();
    store = new OutboxStore(dataSource, dialect, config.outbox().tables());
    deleter = new Deleter(store, config.instanceId(), "they will be published again");
    claimer = new Claimer(store, dataSource, config.instanceId());
    leases =
        new LeaseManager(
            dataSource,
            dialect,
            config.outbox().tables(),
            config.instanceId(),
            config.shards(),
            config.leaseTtl(),
            config
                .sendTimeout()
                .plus(KafkaPublisher.maxBlock(config.kafka(), config.sendTimeout())),
            metrics);
    try {
      leases.initialize();
    } catch (SQLException e) {
      throw new WaybillException(
          "relay " + config.instanceId() + ": cannot prepare the lease table: " + e.getMessage(),
          e);
    }
    publisher =
        new KafkaPublisher(
            config.kafka(), config.sendTimeout(), config.source(), config.instanceId());
    publisher.onSettled(metrics::published);
    if (dialect.supportsNotify() && config.outbox().notifyEnabled()) {
      wakeUp.listen(
          dataSource, SqlIdentifier.of(config.outbox().notifyChannel()), config.instanceId());
    }
    maintenance =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "waybill-relay-maint-" + config.instanceId());
              t.setDaemon(true);
              return t;
            });
    maintained = maintenance.scheduleWithFixedDelay(this::maintain, 0, 2, TimeUnit.SECONDS);
    running = true;
    loop = new Thread(this::runLoop, "waybill-relay-" + config.instanceId());
    loop.start();
    LOG.info("relay {} started on {}: {}", config.instanceId(), dialect.name(), config);
  }

  private void runLoop() {
    MDC.put("relay", config.instanceId());
    long nextTick = System.nanoTime();
    long idle = MIN_IDLE_MILLIS;
    int failedRounds = 0;
    try {
      while (!stopping) {
        try {
          if (System.nanoTime() - nextTick >= 0) {
            if (reset()) {
              failedRounds = pause(failedRounds);
            }
            tick();
            nextTick = System.nanoTime() + tickInterval().toNanos();
          }
          LeaseManager.Ownership own = leases.ownership();
          if (!own.canPublish()) {
            if (reset()) {
              failedRounds = pause(failedRounds);
            }
            deleter.drain();
            wakeUp.await(Math.min(config.pollInterval().toMillis(), millisUntil(nextTick)));
            continue;
          }
          Collection<Integer> owned = own.all() ? null : own.shards();
          List<OutboxRow> rows = nextClaim(owned);
          dbOkAt = System.nanoTime();
          if (rows.isEmpty()) {
            if (inflight != null) {
              if (reset()) {
                failedRounds = pause(failedRounds);
              }
              continue; // claim again at once: rows may have waited behind the finished batch
            }
            wakeUp.await(Math.min(idle, millisUntil(nextTick)));
            idle = Math.min(idle * 2, config.pollInterval().toMillis());
            continue;
          }
          idle = MIN_IDLE_MILLIS;
          if (full(rows)) {
            // the next claim runs on the claim thread while this batch is built and sent: it skips
            // this batch, the one in flight and the rows whose DELETE is on its way
            Collection<Long> exclude = exclusion(inflight);
            List<Long> skip = new ArrayList<>(exclude.size() + rows.size());
            skip.addAll(exclude);
            for (OutboxRow r : rows) {
              skip.add(r.seq());
            }
            ahead = claimer.start(request(owned, skip));
            aheadEpoch = epoch;
            aheadShards = owned;
          }
          LeaseManager.Ownership current = leases.ownership();
          if (!current.canPublish() || (inflight != null && inflight.failedSoFar())) {
            // a lost lease or a failed send: these rows and the claim started ahead are dropped,
            // not sent, and read again from the start once the batch in flight is settled
            if (reset()) {
              failedRounds = pause(failedRounds);
            }
            continue;
          }
          metrics.batchSize(rows.size());
          Batch sent = publisher.send(rows, blocked, current.validUntilNanos());
          Batch previous = inflight;
          inflight = sent;
          boolean failed = finish(previous);
          if (failed || sent.failedSoFar()) {
            failed |= reset();
          }
          if (failed) {
            failedRounds = pause(failedRounds);
          } else {
            failedRounds = 0;
          }
        } catch (SQLException e) {
          LOG.warn("relay {}: database error ({}); retrying", config.instanceId(), e.getMessage());
          if (reset()) {
            LOG.debug("relay {}: in-flight batch had failures", config.instanceId());
          }
          failedRounds = pause(failedRounds);
        } catch (InterruptedException e) {
          if (!stopping) {
            LOG.warn("relay {}: loop interrupted; stopping", config.instanceId());
          }
          break;
        } catch (RuntimeException | Error e) {
          if (FatalError.isFatal(e)) {
            // the sends in flight may still complete or never will: give nothing back, as after
            // kill -9, so no relay overtakes them before the leases expire
            FatalError.report(config.instanceId(), "publish loop", e, config.leaseTtl());
            failed = true;
            crashed = true;
            stopping = true;
            break;
          }
          LOG.error("relay {}: unexpected error in the publish loop", config.instanceId(), e);
          reset();
          failedRounds = pause(failedRounds);
        }
      }
    } finally {
      if (!crashed) {
        reset();
        try {
          deleter.drain(); // the next owner of these shards must not see published rows
          leases.releaseAll();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } catch (SQLException | RuntimeException e) {
          LOG.warn(
              "relay {}: could not release leases on stop ({}); they expire within {}",
              config.instanceId(),
              e.getMessage(),
              config.leaseTtl());
        }
      }
      running = false;
      MDC.remove("relay");
    }
  }

  /**
   * The next batch: the claim started while the previous batch was sent, if it is still valid (no
   * reset since: no renewal, no failure, the same shards), else a claim now. Every claim reads the
   * outbox from the start, skipping the rows in flight and those whose DELETE is on its way, so a
   * row that committed late shows up in the next claim, before any row of its key that committed
   * after it (a claim that went on after the last seq it saw could let such a row overtake it).
   */
  private List<OutboxRow> nextClaim(Collection<Integer> owned)
      throws SQLException, InterruptedException {
    Future<List<OutboxRow>> f = ahead;
    ahead = null;
    if (f != null) {
      if (aheadEpoch == epoch && java.util.Objects.equals(owned, aheadShards)) {
        return Claimer.await(f);
      }
      Claimer.discard(f); // its rows are not sent: the claim below reads them again if due
    }
    return claimer.claim(request(owned, exclusion(inflight)));
  }

  private Claimer.Request request(Collection<Integer> owned, Collection<Long> exclude) {
    return new Claimer.Request(
        config.shards(), owned, 0, exclude, config.batchSize(), batchMaxBytes);
  }

  /** Whether a claim came back full (by rows or bytes), so that more rows are probably waiting. */
  private boolean full(List<OutboxRow> rows) {
    if (rows.size() >= config.batchSize()) {
      return true;
    }
    long bytes = 0;
    for (OutboxRow r : rows) {
      bytes += r.bytes();
    }
    return bytes >= batchMaxBytes / 2;
  }

  /**
   * Settles the batch in flight and starts over: no batch in flight, no key blocked, the claim
   * started ahead dropped (not sent). Returns whether a send failed.
   */
  private boolean reset() {
    boolean failed = finish(inflight);
    inflight = null;
    blocked.clear();
    Claimer.discard(ahead);
    ahead = null;
    epoch++;
    return failed;
  }

  private void tick() throws InterruptedException {
    deleter.drain(); // shards handed over at this tick must not carry published rows
    try {
      leases.tick();
      dbOkAt = System.nanoTime();
    } catch (SQLException | RuntimeException e) {
      leases.suspend();
      LOG.warn(
          "relay {}: lease renewal failed ({}); publishing stops until it succeeds",
          config.instanceId(),
          e.getMessage());
    }
  }

  /**
   * Waits for a batch and settles each row: acknowledged rows are deleted, rows that failed for
   * good are dead-lettered, rows that failed otherwise stay for the next round. Returns whether any
   * send failed.
   */
  private boolean finish(Batch batch) {
    if (batch == null) {
      return false;
    }
    batch.await();
    List<Long> done = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      if (batch.acked(i)) {
        done.add(batch.row(i).seq());
      }
    }
    boolean anyAcked = !done.isEmpty();
    boolean failed = false;
    // park mode: the first message of a key that fails for good is dead-lettered and parks the
    // key; later messages of that key in this batch stay in the outbox behind it, even when they
    // failed as often (a refused partition fails them all alike)
    Set<String> parkedNow = null;
    for (int i = 0; i < batch.size(); i++) {
      if (batch.acked(i)) {
        continue;
      }
      if (batch.kind(i) == Outcome.Kind.HELD) {
        metrics.held();
      }
      Throwable error = batch.failure(i);
      if (error == null) {
        continue;
      }
      failed = true;
      OutboxRow row = batch.row(i);
      if (parkedNow == null) {
        parkedNow = new HashSet<>();
      }
      if (row.key() != null && parkedNow.contains(row.topic() + "/" + row.key())) {
        attempts.remove(row.seq());
        metrics.held();
        continue;
      }
      if (KafkaPublisher.isPermanent(error)) {
        deadLetter(row, attempts.getOrDefault(row.seq(), 0) + 1, error);
        parkAfter(row, parkedNow);
        continue;
      }
      if (kafkaHealth.noteFailure(error) || isCollateral(error)) {
        continue;
      }
      metrics.retried();
      int n = attempts.merge(row.seq(), anyAcked ? 1 : 0, Integer::sum);
      LOG.warn(
          "relay {}: send of message {} (topic {}, seq {}) failed: {}; attempt {} of {}, will"
              + " retry",
          config.instanceId(),
          row.id(),
          row.topic(),
          row.seq(),
          error.toString(),
          n,
          config.maxAttempts());
      if (n >= config.maxAttempts()) {
        deadLetter(row, n, new RetriesExhaustedException(n, error));
        parkAfter(row, parkedNow);
      }
    }
    try {
      deleter.submit(done);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // stopping: the rows stay and are published again
    }
    if (!attempts.isEmpty()) {
      done.forEach(attempts::remove);
    }
    if (anyAcked) {
      kafkaOkAt = System.nanoTime();
      kafkaHealth.accepted();
    }
    return failed;
  }

  /**
   * In park mode, the rest of this batch's messages of a dead-lettered row's key stay in the outbox
   * behind it (also when the dead-lettering itself failed: then the row stays ahead of them).
   */
  private void parkAfter(OutboxRow row, Set<String> parkedNow) {
    if (config.failureMode() == FailureMode.PARK && row.key() != null) {
      parkedNow.add(row.topic() + "/" + row.key());
    }
  }

  private void deadLetter(OutboxRow row, int tries, Throwable error) {
    boolean park = config.failureMode() == FailureMode.PARK;
    try {
      store.deadLetter(
          row,
          tries,
          error.getClass().getName(),
          String.valueOf(error.getMessage()),
          park,
          config.instanceId());
      attempts.remove(row.seq());
      metrics.deadLettered();
      LOG.warn(
          "relay {}: message {} (topic {}, key {}, seq {}) dead-lettered after {} attempt(s): {};"
              + " {}",
          config.instanceId(),
          row.id(),
          row.topic(),
          row.key(),
          row.seq(),
          tries,
          error.toString(),
          park && row.key() != null
              ? "its key is parked until it is retried or discarded"
              : "later messages keep flowing");
    } catch (SQLException e) {
      LOG.warn(
          "relay {}: could not dead-letter message {} ({}); it stays in the outbox",
          config.instanceId(),
          row.id(),
          e.getMessage());
    }
  }

  /**
   * The renewal interval, shortened to at most {@code HUNGRY_TICK} while this relay holds fewer
   * shards than its share: shards given back by others are then picked up within that time instead
   * of a whole renewal interval later (a relay that joins takes over in about one renewal interval
   * of the others rather than two).
   */
  private Duration tickInterval() {
    Duration renew = config.leaseRenewInterval();
    return leases.belowShare() && renew.compareTo(HUNGRY_TICK) > 0 ? HUNGRY_TICK : renew;
  }

  /** The in-flight batch and the published rows whose DELETE has not committed yet. */
  private Collection<Long> exclusion(Batch inflight) {
    Collection<Long> deleting = deleter.pending();
    if (deleting.isEmpty()) {
      return inflight == null ? List.of() : inflight.seqs();
    }
    List<Long> all = new ArrayList<>(deleting);
    if (inflight != null) {
      all.addAll(inflight.seqs());
    }
    return all;
  }

  private static boolean isCollateral(Throwable e) {
    String m = e.getMessage();
    return (m != null
            && (m.contains("closed forcefully") || m.contains("after producer has been closed")))
        || e instanceof IllegalStateException;
  }

  /** Called after a failed round, once every batch sent is settled. */
  private int pause(int failedRounds) {
    publisher.recover(); // a producer broken by the failure is replaced only now
    int round = failedRounds + 1;
    long millis = backoff.apply(round);
    LOG.debug("relay {}: pausing {} ms after failed round {}", config.instanceId(), millis, round);
    try {
      wakeUpIgnoringSignals(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return round;
  }

  private void wakeUpIgnoringSignals(long millis) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (!stopping) {
      long left = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
      if (left <= 0) {
        return;
      }
      Thread.sleep(Math.min(left, 50));
    }
  }

  private static long millisUntil(long nanoDeadline) {
    return Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanoDeadline - System.nanoTime()));
  }

  private void maintain() {
    try {
      try {
        store.backlogIfDue().ifPresent(metrics::backlog);
        dbOkAt = System.nanoTime();
      } catch (SQLException | RuntimeException e) {
        LOG.debug("relay {}: backlog query failed: {}", config.instanceId(), e.getMessage());
      }
      if (kafkaHealth.reachable()) {
        kafkaOkAt = System.nanoTime();
      }
    } catch (Error e) {
      // a scheduled task that throws is never run again: stop instead of going on without it
      FatalError.report(config.instanceId(), "maintenance thread", e, null);
      failed = true;
      stopping = true;
    }
  }

  @Override
  public void close() {
    Thread t;
    synchronized (this) {
      if (closed || (stopping && !failed)) {
        return;
      }
      closed = true;
      stopping = true;
      t = loop;
    }
    wakeUp.close();
    if (t != null) {
      try {
        t.join(config.sendTimeout().plusSeconds(10).toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (maintenance != null) {
      maintenance.shutdownNow();
    }
    if (claimer != null) {
      claimer.close();
    }
    if (deleter != null) {
      deleter.close();
    }
    if (publisher != null) {
      publisher.close();
    }
    kafkaHealth.close(Duration.ofSeconds(2));
    LOG.info(
        "relay {} stopped: published {}, dead-lettered {}",
        config.instanceId(),
        metrics.publishedCount(),
        metrics.deadLetteredCount());
  }

  /**
   * Simulates a crash for tests of lease expiry: the loop stops at once without finishing its batch
   * or giving back its leases, as after {@code kill -9}.
   */
  void crash() {
    crashed = true;
    stopping = true;
    if (loop != null) {
      loop.interrupt();
      try {
        loop.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    wakeUp.close();
    if (maintenance != null) {
      maintenance.shutdownNow();
    }
    if (claimer != null) {
      claimer.close(0);
    }
    if (deleter != null) {
      deleter.close(0);
    }
    if (publisher != null) {
      publisher.close();
    }
  }

  @Override
  public String instanceId() {
    return config.instanceId();
  }

  @Override
  public RelayStatus status() {
    LeaseManager.Ownership own =
        leases == null ? new LeaseManager.Ownership(Set.of(), 0, false) : leases.ownership();
    return new RelayStatus(
        config.instanceId(),
        running,
        own.shards(),
        metrics.publishedCount(),
        metrics.deadLetteredCount(),
        metrics.retriedCount(),
        wakeUp.listening());
  }

  @Override
  public boolean live() {
    Thread l = loop;
    ScheduledFuture<?> m = maintained;
    // a periodic task that threw is done for good: nothing would renew what it keeps fresh
    return running && !stopping && l != null && l.isAlive() && m != null && !m.isDone();
  }

  @Override
  public boolean healthy() {
    long window = TimeUnit.SECONDS.toNanos(10);
    long now = System.nanoTime();
    return running
        && now - dbOkAt < window
        && now - kafkaOkAt < window
        && kafkaHealth.refusal().isEmpty();
  }

  /** The relay's meter registry (for the HTTP endpoint). */
  MeterRegistry registry() {
    return registry;
  }

  /** A message kept failing while Kafka was reachable. */
  static final class RetriesExhaustedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RetriesExhaustedException(int attempts, Throwable last) {
      super("retries exhausted after " + attempts + " attempts; last error: " + last, last);
    }
  }
}
