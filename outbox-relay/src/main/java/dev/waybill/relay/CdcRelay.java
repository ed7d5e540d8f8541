package dev.waybill.relay;

import com.zaxxer.hikari.HikariDataSource;
import dev.waybill.outbox.OutboxConfig;
import dev.waybill.outbox.WaybillException;
import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.outbox.dialect.LogicalDecodingSql;
import dev.waybill.outbox.internal.Json;
import dev.waybill.outbox.jdbc.DatabaseConnectionException;
import dev.waybill.outbox.schema.SchemaCheck;
import dev.waybill.outbox.schema.SchemaComponent;
import dev.waybill.outbox.schema.TableNames;
import dev.waybill.outbox.wire.LogicalMessageFormat;
import dev.waybill.relay.internal.CdcDeadLetters;
import dev.waybill.relay.internal.Deleter;
import dev.waybill.relay.internal.EmitterPrivileges;
import dev.waybill.relay.internal.FatalError;
import dev.waybill.relay.internal.KafkaHealthCheck;
import dev.waybill.relay.internal.KafkaPublisher;
import dev.waybill.relay.internal.KafkaPublisher.Batch;
import dev.waybill.relay.internal.KafkaPublisher.Outcome;
import dev.waybill.relay.internal.LogicalSlot;
import dev.waybill.relay.internal.OutboxRow;
import dev.waybill.relay.internal.OutboxStore;
import dev.waybill.relay.internal.PgOutput;
import dev.waybill.relay.internal.RelayMetrics;
import io.github.resilience4j.core.IntervalFunction;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The relay that reads committed outbox messages from PostgreSQL's write-ahead log: a logical
 * replication slot decoded by {@code pgoutput} delivers inserts into the outbox table and
 * transactional {@code pg_logical_emit_message} messages in commit order. They are published with
 * the same publisher, headers and failure rules as the polling relay. The slot's confirmed position
 * moves past a transaction only after Kafka acknowledged every message of it and of every earlier
 * transaction, so a restart resumes at the first unacknowledged transaction (duplicates, never
 * gaps). PostgreSQL lets one session read a slot: further relays stand by and take over when it is
 * free. See docs/cdc.md.
 */
final class CdcRelay implements Relay {
  private static final Logger LOG = LoggerFactory.getLogger(CdcRelay.class);
  private static final long STATUS_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final long DELETE_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
  // once everything read is acknowledged, the rows need not wait a whole DELETE_EVERY
  private static final long DELETE_IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
  private static final int MAX_UNDELETED = 100_000;
  private static final long SEND_AFTER_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final long OUTAGE_WARN_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

  private final RelayConfig config;
  private final DataSource dataSource;
  private final MeterRegistry registry;
  private final RelayMetrics metrics;
  private final IntervalFunction backoff;
  private final long batchMaxBytes;
  private final String prefix;
  private final String heartbeatPrefix;
  // pg_logical_emit_message needs no privilege by default: in table mode any role that can
  // connect could publish through it, so only message mode reads logical messages
  private final boolean readsMessages;
  private long ignoredMessages;
  private final Map<Long, Integer> attempts = new HashMap<>();
  private final Map<String, Long> parked = new HashMap<>();
  private final Set<Long> skipped = new HashSet<>();
  private final List<Long> toDelete = new ArrayList<>();
  private Dialect dialect;
  private TableNames tables;
  private LogicalSlot slot;
  private CdcDeadLetters deadLetters;
  private OutboxStore store;
  private Deleter deleter;
  private KafkaPublisher publisher;
  private volatile Thread loop;
  private volatile ScheduledFuture<?> maintained;
  private ScheduledExecutorService maintenance;
  private final KafkaHealthCheck kafkaHealth;
  private volatile boolean stopping;
  private volatile boolean crashed;
  private volatile boolean failed; // stopped itself after a fatal error
  private boolean closed;
  private volatile boolean running;
  private volatile boolean active;
  private volatile boolean slotLost;
  private volatile long dbOkAt;
  private volatile long kafkaOkAt;
  private volatile long lastProgressNanos = System.nanoTime();
  private volatile String confirmedLsn = "";
  private volatile Instant confirmedAt = Instant.now();
  private volatile long lagBytes;
  private volatile PGReplicationStream currentStream;
  private volatile Connection currentConnection;
  private boolean started;
  // the initial snapshot: the rows committed before the slot's consistent point, published before
  // the stream. The exported snapshot's transaction, for the first session; later sessions (after
  // a failure, or after a restart that finds the snapshot unfinished) read the table again.
  private Connection exported;
  private volatile boolean snapshotPending;

  CdcRelay(RelayConfig config, DataSource dataSource, Dialect dialect, MeterRegistry registry) {
    this.config = config;
    this.kafkaHealth = new KafkaHealthCheck(config.kafka(), config.instanceId());
    this.dataSource = dataSource;
    this.dialect = dialect;
    this.registry = registry;
    this.metrics = new RelayMetrics(registry, config.instanceId());
    this.batchMaxBytes = config.effectiveBatchMaxBytes();
    this.backoff =
        IntervalFunction.ofExponentialRandomBackoff(
            config.backoffInitial().toMillis(), 2.0, 0.5, config.backoffMax().toMillis());
    this.prefix = config.outbox().messagePrefix();
    this.heartbeatPrefix = prefix + "_heartbeat";
    this.readsMessages = config.outbox().writeMode() == OutboxConfig.WriteMode.MESSAGE;
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
    LogicalDecodingSql sql =
        dev.waybill.outbox.dialect.LogicalDecodingSql.of(dialect)
            .orElseThrow(
                () ->
                    new CdcPrerequisiteException(
                        config.instanceId(),
                        List.of(
                            "the database is "
                                + dialect.name()
                                + ": relay.mode=cdc needs PostgreSQL (logical decoding); use"
                                + " relay.mode=polling")));
    tables = config.outbox().tables();
    SchemaCheck.requireCurrent(
        dataSource, dialect, tables, SchemaComponent.outbox(), "relay " + config.instanceId());
    kafkaHealth.checkCredentials();
    String[] conn = replicationLogin();
    slot =
        new LogicalSlot(
            dataSource,
            sql,
            config.cdc().slot(),
            config.cdc().publication(),
            tables,
            config.instanceId(),
            conn[0],
            conn[1],
            conn[2],
            config.cdc().decodingMemory());
    try {
      List<String> problems = slot.prepare(config.cdc().create());
      if (!problems.isEmpty()) {
        throw new CdcPrerequisiteException(config.instanceId(), problems);
      }
      try (Connection rc = slot.openReplicationConnection()) {
        rc.isValid(2);
      } catch (SQLException e) {
        throw new CdcPrerequisiteException(
            config.instanceId(),
            List.of(
                "cannot open a replication connection as '"
                    + conn[1]
                    + "' ("
                    + e.getMessage()
                    + "): allow it in pg_hba.conf (a line for this database and user) and give the"
                    + " role REPLICATION"));
      }
      checkEmitters(sql);
      if (slot.missing()) {
        exported = slot.createWithSnapshot().orElse(null);
      }
      snapshotPending = exported != null || slot.snapshotPending();
      if (snapshotPending && exported == null) {
        LOG.warn(
            "relay {}: the initial snapshot of slot {} was not finished (a relay stopped during"
                + " it); the rows in {} are published again before the stream",
            config.instanceId(),
            slot.name(),
            tables.outboxTable().sql());
      }
      deadLetters = new CdcDeadLetters(dataSource, dialect, tables);
      parked.putAll(deadLetters.parkedKeys());
    } catch (SQLException e) {
      throw new WaybillException(
          "relay "
              + config.instanceId()
              + ": cannot prepare the replication slot: "
              + e.getMessage(),
          e);
    }
    store = new OutboxStore(dataSource, dialect, tables);
    deleter =
        new Deleter(
            store,
            config.instanceId(),
            "the relay reads their transactions again from the slot's confirmed position (they are"
                + " published again) and deletes them then",
            true);
    metrics.registerCdc(() -> active ? 1 : 0, () -> lagBytes, this::confirmedAgeSeconds);
    publisher =
        new KafkaPublisher(
            config.kafka(), config.sendTimeout(), config.source(), config.instanceId());
    maintenance =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "waybill-relay-maint-" + config.instanceId());
              t.setDaemon(true);
              return t;
            });
    maintained = maintenance.scheduleWithFixedDelay(this::maintain, 0, 1, TimeUnit.SECONDS);
    running = true;
    loop = new Thread(this::runLoop, "waybill-relay-" + config.instanceId());
    loop.start();
    LOG.info(
        "relay {} started on {} in CDC mode (slot {}, publication {}): {}",
        config.instanceId(),
        dialect.name(),
        slot.name(),
        slot.publication(),
        config);
  }

  /** URL, user and password for the replication connection. */
  private String[] replicationLogin() {
    if (config.database() != null) {
      return new String[] {
        config.database().url(), config.database().user(), config.database().password()
      };
    }
    if (dataSource instanceof HikariDataSource h) {
      return new String[] {h.getJdbcUrl(), h.getUsername(), h.getPassword()};
    }
    throw new CdcPrerequisiteException(
        config.instanceId(),
        List.of(
            "the relay needs db.url, db.user and db.password to open a replication connection:"
                + " set RelayConfig.builder().database(DatabaseSettings.of(url, user, password))"
                + " (the DataSource given is not a HikariDataSource it could read them from)"));
  }

  private double confirmedAgeSeconds() {
    return Math.max(0, Duration.between(confirmedAt, Instant.now()).toMillis() / 1000.0);
  }

  // ---------------------------------------------------------------- the loop

  private void runLoop() {
    MDC.put("relay", config.instanceId());
    int failedRounds = 0;
    boolean announcedStandby = false;
    Outage outage = null; // the replication stream has been failing since then
    try {
      while (!stopping) {
        Connection rc = null;
        PGReplicationStream stream = null;
        Session session = null;
        try {
          rc = slot.openReplicationConnection();
          dbOkAt = System.nanoTime();
          try {
            stream = slot.start(rc, slot.publication());
          } catch (SQLException e) {
            if (isSlotBusy(e)) {
              if (!announcedStandby) {
                LOG.info(
                    "relay {}: slot {} is read by another relay; standing by (retry every {})",
                    config.instanceId(),
                    slot.name(),
                    config.cdc().standbyInterval());
                announcedStandby = true;
              }
              closeQuietly(rc);
              rc = null;
              sleep(config.cdc().standbyInterval().toMillis());
              continue;
            }
            if (isSlotLost(e)) {
              reportLostSlot(e);
            }
            throw e;
          }
          announcedStandby = false;
          slotLost = false;
          currentConnection = rc;
          currentStream = stream;
          active = true;
          String from = slot.state().map(LogicalSlot.SlotState::confirmedLsn).orElse("?");
          if (outage == null) {
            LOG.info(
                "relay {}: reading slot {} (active reader) from {}",
                config.instanceId(),
                slot.name(),
                from);
          } else {
            LOG.info(
                "relay {}: reading slot {} (active reader) from {} again, after {} failure(s)"
                    + " in {} ms",
                config.instanceId(),
                slot.name(),
                from,
                outage.attempts,
                outage.millis());
          }
          session = new Session(stream);
          boolean failed = session.run();
          outage = null;
          failedRounds = failed ? pause(failedRounds) : 0;
        } catch (Error e) {
          fail(e);
          break;
        } catch (SQLException | RuntimeException e) {
          if (FatalError.isFatal(e)) {
            fail(e);
            break;
          }
          if (stopping) {
            break;
          }
          if (session != null && session.received) {
            // the stream worked until now: a new failure, logged and backed off from the start
            outage = null;
            failedRounds = 0;
          }
          outage = logStreamFailure(outage, e);
          failedRounds = pause(failedRounds);
        } finally {
          if (session != null) {
            session.endSnapshot();
          }
          active = false;
          currentStream = null;
          currentConnection = null;
          if (stream != null && !crashed) {
            try {
              stream.close();
            } catch (SQLException | RuntimeException e) {
              LOG.debug("relay {}: closing the stream: {}", config.instanceId(), e.getMessage());
            }
          }
          closeQuietly(rc);
        }
      }
    } finally {
      running = false;
      MDC.remove("relay");
    }
  }

  /**
   * Stops after an error the loop cannot recover from: the sends in flight may still complete or
   * never will, so nothing more is confirmed; the slot goes back to PostgreSQL with the connection.
   */
  private void fail(Throwable e) {
    FatalError.report(config.instanceId(), "slot reader", e, null);
    failed = true;
    crashed = true;
    stopping = true;
  }

  /** Failed attempts to read the slot in a row. */
  private static final class Outage {
    final long since = System.nanoTime();
    long attempts;
    long warnedAt = since;

    long millis() {
      return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since);
    }
  }

  /**
   * Logs a failure of the replication stream: the first of a row at WARN with the reason, the
   * following ones at DEBUG, with a WARN again every minute while it lasts, so a server that is
   * away for long does not fill the log.
   */
  private Outage logStreamFailure(Outage outage, Exception e) {
    if (outage == null) {
      outage = new Outage();
      outage.attempts = 1;
      LOG.warn(
          "relay {}: replication stream of slot {} failed ({}); reconnecting with backoff up to"
              + " {}, nothing is confirmed meanwhile",
          config.instanceId(),
          slot.name(),
          e.getMessage(),
          config.backoffMax());
      return outage;
    }
    outage.attempts++;
    long now = System.nanoTime();
    if (now - outage.warnedAt >= OUTAGE_WARN_EVERY_NANOS) {
      outage.warnedAt = now;
      LOG.warn(
          "relay {}: still cannot read slot {} after {} attempts in {} s ({}); retrying",
          config.instanceId(),
          slot.name(),
          outage.attempts,
          TimeUnit.NANOSECONDS.toSeconds(now - outage.since),
          e.getMessage());
    } else {
      LOG.debug(
          "relay {}: attempt {} to read slot {} failed ({})",
          config.instanceId(),
          outage.attempts,
          slot.name(),
          e.getMessage());
    }
    return outage;
  }

  /**
   * Whether the slot is gone: dropped ({@code 42704}: "replication slot ... does not exist") or
   * invalidated because it fell behind {@code max_slot_wal_keep_size} ({@code 55000}: "can no
   * longer get changes from replication slot").
   */
  private static boolean isSlotLost(SQLException e) {
    String m = String.valueOf(e.getMessage());
    return ("42704".equals(e.getSQLState()) && m.contains("replication slot"))
        || m.contains("can no longer get changes from replication slot");
  }

  /**
   * A lost slot is not created again while the relay runs: a new slot would skip everything written
   * since the old one was lost. Health turns DOWN until the slot is back.
   */
  private void reportLostSlot(SQLException e) {
    if (slotLost) {
      return;
    }
    slotLost = true;
    LOG.error(
        "relay {}: replication slot {} is gone ({}). The relay does not create it again while it"
            + " runs: a new slot would skip what was written since. Rows still in the outbox table"
            + " {} can be published by a polling relay (relay.mode=polling) until the table is"
            + " empty; then restart the CDC relay, which creates a new slot. Messages written with"
            + " pg_logical_emit_message or deleted in their own transaction since the slot was"
            + " lost are not in the table. /health is DOWN meanwhile",
        config.instanceId(),
        slot.name(),
        e.getMessage(),
        config.outbox().tables().outboxTable().sql());
  }

  private static boolean isSlotBusy(SQLException e) {
    String m = String.valueOf(e.getMessage());
    return "55006".equals(e.getSQLState()) || m.contains("is active for PID");
  }

  private static void closeQuietly(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException | RuntimeException e) {
        // closing a broken connection
      }
    }
  }

  /**
   * One transaction as decoded (or a part of a large one): its items in WAL order and the position
   * that confirms it (0 for a part that is not the last).
   */
  private static final class Txn {
    final Instant commitTime;
    final List<Item> items = new ArrayList<>();
    final List<Long> rowSeqs = new ArrayList<>();
    long endLsn;
    long bytes; // of its items' rows, counted as they are added
    int firstOutcome;
    int outcomes;
    boolean snapshot; // a part of the initial snapshot
    private Set<Long> deleted;

    Txn(Instant commitTime) {
      this.commitTime = commitTime;
    }

    /** The writer deleted this row in the same transaction (deleteAfterInsert). */
    void deleted(long rowSeq) {
      if (deleted == null) {
        deleted = new HashSet<>();
      }
      deleted.add(rowSeq);
    }

    boolean isDeleted(long rowSeq) {
      return deleted != null && deleted.contains(rowSeq);
    }
  }

  /** A message to publish, or a change of the dead-letter table (park, unpark). */
  private record Item(
      OutboxRow row,
      long rowSeq,
      Instant availableAt,
      String invalid,
      Long parkSeq,
      String parkKey,
      Long unpark) {
    static Item publish(OutboxRow row, long rowSeq, Instant availableAt) {
      return new Item(row, rowSeq, availableAt, null, null, null, null);
    }

    static Item invalid(OutboxRow row, long rowSeq, Instant availableAt, String why) {
      return new Item(row, rowSeq, availableAt, why, null, null, null);
    }

    static Item park(long seq, String key) {
      return new Item(null, -1, null, null, seq, key, null);
    }

    static Item unpark(long seq) {
      return new Item(null, -1, null, null, null, null, seq);
    }
  }

  /** A settled transaction waiting for the DELETE with this ticket before it is confirmed. */
  private record AfterDelete(long lsn, Instant commitTime, long ticket) {}

  /** A group of transactions sent together. */
  private record Sent(List<Txn> txns, Batch batch, long bytes) {}

  /** One replication session: decode, send, settle, confirm, until a failure or stop. */
  private final class Session {
    private final PGReplicationStream stream;
    private final PgOutput decoder = new PgOutput();
    private final Set<String> blocked = new HashSet<>();
    private final Deque<Sent> inflight = new ArrayDeque<>();
    private final List<Txn> ready = new ArrayList<>();
    private final Deque<AfterDelete> afterDelete = new ArrayDeque<>();
    private long readySince;
    private Txn open;
    private int readyItems;
    private int inflightItems;
    private long readyBytes;
    private long inflightBytes;
    private int readyCounted; // the first transactions of ready whose bytes are in readyBytes
    private long confirmed;
    private Instant confirmedCommit;
    private long statusSentAt;
    private long deletedAt = System.nanoTime();
    private boolean confirmDirty;

    /** Whether anything arrived on the stream (it worked, whatever happens next). */
    private boolean received;

    // the initial snapshot's rows, read before the stream while open; then the snapshot is done
    // once no transaction of it is unsettled and the DELETE of its rows (this ticket) completed
    private Connection snapshotConnection;
    private Statement snapshotStatement;
    private ResultSet snapshotRows;
    private long snapshotRowsRead;
    private long snapshotTicket = -1;

    /** DELETEs up to this ticket belong to earlier sessions, whose transactions are read again. */
    private final long ticketBase = deleter.submitted();

    Session(PGReplicationStream stream) throws SQLException {
      this.stream = stream;
      if (snapshotPending) {
        beginSnapshot();
      }
    }

    /**
     * Opens the rows of the initial snapshot in {@code seq} order (per key, the write order): the
     * exported snapshot's transaction the first time, else a new {@code REPEATABLE READ} one. A new
     * one sees rows committed after the consistent point too: those also arrive from the slot
     * (published twice, never lost).
     */
    private void beginSnapshot() throws SQLException {
      Connection c = exported;
      exported = null;
      if (c == null) {
        c = dataSource.getConnection();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
          st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
        }
      }
      snapshotConnection = c;
      try {
        snapshotStatement = c.createStatement();
        snapshotStatement.setFetchSize(Math.max(100, config.batchSize()));
        snapshotRows = snapshotStatement.executeQuery(store.snapshotSql());
      } catch (SQLException e) {
        endSnapshot();
        throw e;
      }
      LOG.info(
          "relay {}: publishing the initial snapshot of slot {} (the rows in {}) before the stream",
          config.instanceId(),
          slot.name(),
          tables.outboxTable().sql());
    }

    /** Reads the next rows of the snapshot as one ready part (confirms nothing). */
    private void readSnapshot() throws SQLException {
      Txn t = new Txn(Instant.now());
      while (t.items.size() < config.batchSize() && t.bytes < batchMaxBytes) {
        if (!snapshotRows.next()) {
          endSnapshot();
          snapshotTicket = Long.MAX_VALUE; // set once its parts are settled
          break;
        }
        OutboxRow row = store.snapshotRow(snapshotRows);
        Item item = fromTableRow(row, row.seq(), store.availableAt(snapshotRows).orElse(null));
        t.items.add(item);
        t.bytes += row.bytes();
        snapshotRowsRead++;
      }
      if (!t.items.isEmpty()) {
        t.snapshot = true;
        markReady();
        ready.add(t);
        readyItems += t.items.size();
      }
    }

    /** Closes the snapshot's transaction (read-only: rolled back). */
    void endSnapshot() {
      if (snapshotConnection == null) {
        return;
      }
      try {
        snapshotConnection.rollback();
        snapshotConnection.setAutoCommit(true);
      } catch (SQLException | RuntimeException e) {
        LOG.debug("relay {}: ending the snapshot: {}", config.instanceId(), e.getMessage());
      }
      closeQuietly(snapshotConnection);
      snapshotConnection = null;
      snapshotStatement = null;
      snapshotRows = null;
    }

    /**
     * Once every part of the snapshot is settled and the DELETE of its rows committed, drops the
     * marker: from now on a restart streams from the slot only.
     */
    private void finishSnapshot() {
      if (snapshotTicket < 0 || snapshotRows != null) {
        return;
      }
      if (snapshotTicket == Long.MAX_VALUE) {
        for (Txn t : ready) {
          if (t.snapshot) {
            return;
          }
        }
        for (Sent sent : inflight) {
          for (Txn t : sent.txns()) {
            if (t.snapshot) {
              return;
            }
          }
        }
        flushDeletes(false);
        if (!toDelete.isEmpty()) {
          return;
        }
        snapshotTicket = deleter.submitted();
      }
      if (deleter.completed() < snapshotTicket) {
        return;
      }
      try {
        slot.snapshotDone();
      } catch (SQLException e) {
        LOG.warn(
            "relay {}: cannot record that the initial snapshot of slot {} is done ({}); a restart"
                + " publishes the rows left in the table again",
            config.instanceId(),
            slot.name(),
            e.getMessage());
      }
      snapshotPending = false;
      snapshotTicket = -1;
      LOG.info(
          "relay {}: initial snapshot of slot {} published ({} row(s)); streaming",
          config.instanceId(),
          slot.name(),
          snapshotRowsRead);
    }

    /** Returns whether the session ended because of a failure (then the caller backs off). */
    boolean run() throws SQLException {
      int maxInflight = Math.max(10_000, config.batchSize() * 10);
      while (!stopping) {
        ByteBuffer buf = null;
        boolean full = inflightItems + readyItems >= maxInflight || !roomForMore();
        if (!full) {
          if (snapshotRows != null) {
            readSnapshot(); // the stream waits until every row of the snapshot is handed over
          } else {
            buf = stream.readPending();
          }
        }
        if (buf != null) {
          received = true;
          dbOkAt = System.nanoTime();
          receive(decoder.decode(buf), stream.getLastReceiveLSN().asLong());
          countReady();
        }
        // Send when the stream pauses, a batch is full, or the first ready transaction has waited
        // SEND_AFTER: at a steady rate the stream may never pause for long, and waiting for a full
        // batch would hold a message for seconds.
        if (!ready.isEmpty()
            && (buf == null
                || readyItems >= config.batchSize()
                || readyBytes >= batchMaxBytes
                || System.nanoTime() - readySince >= SEND_AFTER_NANOS)) {
          send();
        }
        if (settle(false)) {
          return true;
        }
        if (snapshotTicket >= 0) {
          finishSnapshot();
        }
        long now = System.nanoTime();
        if (buf == null) {
          if (open == null
              && ready.isEmpty()
              && inflight.isEmpty()
              && afterDelete.isEmpty()
              && toDelete.isEmpty()
              && deleter.completed() == deleter.submitted()) {
            LogSequenceNumber last = stream.getLastReceiveLSN();
            if (last.asLong() > confirmed) {
              confirm(last.asLong(), null);
            }
          }
          LockSupport.parkNanos(500_000);
        }
        if (confirmDirty && now - statusSentAt > STATUS_EVERY_NANOS) {
          sendStatus();
        } else if ((full || snapshotRows != null)
            && now - statusSentAt > TimeUnit.SECONDS.toNanos(1)) {
          stream.forceUpdateStatus(); // stay alive for wal_sender_timeout while Kafka catches up
          statusSentAt = now;
        }
        boolean settled = buf == null && open == null && ready.isEmpty() && inflight.isEmpty();
        if (!toDelete.isEmpty()
            && now - deletedAt > (settled ? DELETE_IDLE_NANOS : DELETE_EVERY_NANOS)) {
          flushDeletes(false);
          if (toDelete.isEmpty()) {
            deletedAt = now; // one DELETE per interval at most, whatever the batch size
          }
        }
        if (confirmDeleted()) {
          // the DELETE of published rows failed (logged by the deleter): confirming past their
          // transactions would leave the rows in the table for good. Read them again instead.
          if (confirmDirty) {
            sendStatus();
          }
          metrics.retried();
          return true;
        }
      }
      // graceful stop: send what was decoded completely, wait for it, confirm
      if (!crashed) {
        if (!ready.isEmpty()) {
          send();
        }
        settle(true);
        flushDeletes(true);
        try {
          deleter.drain();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        confirmDeleted();
        if (confirmDirty) {
          sendStatus();
        }
      }
      return false;
    }

    /**
     * Whether another change may be read: while the decoded, unacknowledged messages hold less than
     * {@code relay.batch.max.bytes}, the stream is read; beyond it, reading waits for Kafka's
     * acknowledgements (PostgreSQL keeps the rest). With nothing held, one change is always read,
     * so a message larger than the bound goes through alone.
     */
    private boolean roomForMore() {
      long held = inflightBytes + readyBytes + (open == null ? 0 : open.bytes);
      return held == 0 || held < batchMaxBytes;
    }

    /** Adds the transactions that became ready since the last call to {@code readyBytes}. */
    private void countReady() {
      for (; readyCounted < ready.size(); readyCounted++) {
        Txn t = ready.get(readyCounted);
        if (t.bytes == 0) {
          for (Item item : t.items) { // a transaction that was never open (a lone message)
            t.bytes += item.row() == null ? 0 : item.row().bytes();
          }
        }
        readyBytes += t.bytes;
      }
    }

    private void markReady() {
      if (ready.isEmpty()) {
        readySince = System.nanoTime();
      }
    }

    /** Handles one decoded message; {@code lsn} is its WAL position (unique per change). */
    private void receive(PgOutput.Event ev, long lsn) {
      if (ev instanceof PgOutput.Begin b) {
        open = new Txn(b.commitTime());
      } else if (ev instanceof PgOutput.Commit c) {
        if (open == null) {
          return;
        }
        open.endLsn = c.endLsn();
        markReady();
        ready.add(open);
        readyItems += Math.max(1, open.items.size());
        open = null;
      } else if (ev instanceof PgOutput.Insert ins) {
        if (open == null) {
          return;
        }
        PgOutput.Tuple v = ins.values();
        if (isTable(ins.relation(), tables.outbox())) {
          open.items.add(fromRow(v, open.commitTime, lsn));
          splitIfLarge();
        } else if (isTable(ins.relation(), tables.deadLetters())
            && Boolean.TRUE.equals(v.bool("parks_key"))
            && !v.isNull("msg_key")) {
          open.items.add(Item.park(v.int8("seq"), v.text("topic") + '\u0000' + v.text("msg_key")));
        }
      } else if (ev instanceof PgOutput.Delete del) {
        Long seq = del.oldValues().int8("seq");
        if (open == null || seq == null) {
          return;
        }
        if (isTable(del.relation(), tables.deadLetters())) {
          open.items.add(Item.unpark(seq));
        } else if (!open.items.isEmpty() && isTable(del.relation(), tables.outbox())) {
          // deleted by the writer in the transaction that inserted it: nothing to delete later.
          // (The relay's own deletes arrive in transactions without items and are ignored.)
          open.deleted(seq);
        }
      } else if (ev instanceof PgOutput.Message m) {
        if (m.prefix().equals(heartbeatPrefix)) {
          return;
        }
        if (!m.prefix().equals(prefix)) {
          return;
        }
        if (!readsMessages) {
          ignoreMessage(m);
          return;
        }
        Item item = fromMessage(m, open == null ? Instant.now() : open.commitTime);
        if (m.transactional() && open != null) {
          open.items.add(item);
          splitIfLarge();
        } else {
          Txn t = new Txn(Instant.now()); // not atomic with any transaction: its own unit
          t.items.add(item);
          t.endLsn = m.lsn() + 1;
          markReady();
          ready.add(t);
          readyItems++;
        }
      }
    }

    /**
     * Hands the first part of a large transaction to the sender before its commit arrives, so a
     * bulk transaction is streamed to Kafka instead of being held in memory whole. The part's
     * {@code endLsn} stays 0: settling it confirms nothing, the slot moves past the transaction
     * only when its last part (the one the Commit closes) is settled, as for a small one.
     */
    private void splitIfLarge() {
      Item last = open.items.get(open.items.size() - 1);
      open.bytes += last.row() == null ? 0 : last.row().bytes();
      if (open.items.size() >= config.batchSize() || open.bytes >= batchMaxBytes) {
        Txn part = open;
        markReady();
        ready.add(part);
        readyItems += part.items.size();
        open = new Txn(part.commitTime);
      }
    }

    private boolean isTable(PgOutput.Relation r, String name) {
      return r.name().equals(name)
          && (tables.schema().isEmpty() || tables.schema().get().equals(r.schema()));
    }

    private Item fromRow(PgOutput.Tuple v, Instant commitTime, long lsn) {
      long rowSeq = v.int8("seq");
      long seq = CdcDeadLetters.MESSAGE_SEQ_BASE + lsn;
      UUID id = v.uuid("id");
      Instant created = v.isNull("created_at") ? commitTime : v.timestamp("created_at");
      OutboxRow row =
          new OutboxRow(
              seq,
              id,
              v.text("topic"),
              v.text("msg_key"),
              v.text("event_type"),
              v.text("content_type"),
              v.bytes("payload"),
              v.text("headers"),
              v.text("traceparent"),
              created);
      return fromTableRow(row, rowSeq, v.timestamp("available_at"));
    }

    /** A row of the outbox table: published, or dead-lettered when it is due later. */
    private Item fromTableRow(OutboxRow row, long rowSeq, Instant at) {
      if (at != null) {
        if (at.isAfter(Instant.now())) {
          return Item.invalid(
              row,
              rowSeq,
              at, // the dead letter keeps the row as written: a retry restores its due time
              "available_at "
                  + at
                  + " is in the future: the CDC relay publishes in commit order and cannot delay"
                  + " a message; write delayed messages for the polling relay");
        }
        return Item.publish(row, rowSeq, at);
      }
      return Item.publish(row, rowSeq, null);
    }

    private Item fromMessage(PgOutput.Message m, Instant commitTime) {
      long seq = CdcDeadLetters.MESSAGE_SEQ_BASE + m.lsn();
      try {
        LogicalMessageFormat.Decoded d = LogicalMessageFormat.decode(m.content());
        UUID id =
            d.id()
                .orElseGet(
                    () ->
                        UUID.nameUUIDFromBytes(
                            ("waybill:" + slot.name() + ":" + m.lsn())
                                .getBytes(StandardCharsets.UTF_8)));
        return Item.publish(
            new OutboxRow(
                seq,
                id,
                d.topic(),
                d.key().orElse(null),
                d.type(),
                d.contentType(),
                d.unsafePayload(),
                d.headers().isEmpty() ? null : Json.encodeObject(d.headers()),
                d.traceparent().orElse(null),
                d.time().orElse(commitTime)),
            -1,
            null);
      } catch (IllegalArgumentException e) {
        OutboxRow raw =
            new OutboxRow(
                seq,
                UUID.nameUUIDFromBytes(
                    ("waybill:" + slot.name() + ":" + m.lsn()).getBytes(StandardCharsets.UTF_8)),
                "(malformed)",
                null,
                "(malformed)",
                "application/octet-stream",
                m.content(),
                null,
                null,
                commitTime);
        return Item.invalid(
            raw,
            -1,
            null,
            "message at " + LogSequenceNumber.valueOf(m.lsn()) + ": " + e.getMessage());
      }
    }

    /** Decides each ready item (publish, follow a parked key, dead-letter) and sends. */
    private void send() {
      List<OutboxRow> rows = new ArrayList<>();
      for (Txn t : ready) {
        t.firstOutcome = rows.size();
        for (Item item : t.items) {
          if (item.parkSeq() != null) {
            parked.put(item.parkKey(), item.parkSeq());
            continue;
          }
          if (item.unpark() != null) {
            parked.values().remove(item.unpark());
            continue;
          }
          OutboxRow row = item.row();
          if (skipped.contains(row.seq())) {
            continue; // dead-lettered in an earlier session, skip mode
          }
          Long parkedBy =
              parked.isEmpty() || row.key() == null ? null : parked.get(row.orderingKey());
          if (parkedBy != null) {
            if (parkedBy != row.seq()) {
              follow(row, item.rowSeq(), item.availableAt(), parkedBy);
            }
            continue;
          }
          if (item.invalid() != null) {
            deadLetter(
                row,
                item.rowSeq(),
                item.availableAt(),
                1,
                new InvalidMessageException(item.invalid()));
            continue;
          }
          rows.add(row);
          t.rowSeqs.add(item.rowSeq());
        }
        t.outcomes = rows.size() - t.firstOutcome;
      }
      List<Txn> txns = new ArrayList<>(ready);
      ready.clear();
      readyItems = 0;
      long bytes = readyBytes;
      readyBytes = 0;
      readyCounted = 0;
      if (rows.isEmpty()) {
        inflight.add(new Sent(txns, null, 0));
        return;
      }
      metrics.batchSize(rows.size());
      Batch batch = publisher.send(rows, blocked);
      for (Outcome o : batch.outcomes()) {
        if (o.future() != null) {
          Instant created = o.row().createdAt();
          o.future().thenRun(() -> metrics.published(created, Instant.now()));
        }
      }
      inflight.add(new Sent(txns, batch, bytes));
      inflightItems += rows.size();
      inflightBytes += bytes;
    }

    /**
     * Settles finished groups in order: confirms fully acknowledged transactions; on any failure
     * dead-letters what failed for good and returns true (the session restarts from the confirmed
     * position). With {@code wait}, waits for every group.
     */
    private boolean settle(boolean wait) {
      while (!inflight.isEmpty()) {
        Sent s = inflight.peek();
        if (s.batch() != null) {
          if (!wait && !s.batch().done()) {
            return false;
          }
          s.batch().await();
        }
        inflight.poll();
        if (s.batch() != null) {
          inflightItems -= s.batch().outcomes().size();
        }
        inflightBytes -= s.bytes();
        boolean anyAcked = false;
        boolean failed = false;
        if (s.batch() != null) {
          for (Outcome o : s.batch().outcomes()) {
            if (o.acked()) {
              anyAcked = true;
            } else {
              failed = true;
            }
          }
        }
        if (!failed) {
          for (Txn t : s.txns()) {
            if (s.batch() != null) {
              for (int i = t.firstOutcome; i < t.firstOutcome + t.outcomes; i++) {
                attempts.remove(s.batch().outcomes().get(i).row().seq());
                long rowSeq = t.rowSeqs.get(i - t.firstOutcome);
                if (rowSeq >= 0 && !t.isDeleted(rowSeq)) {
                  toDelete.add(rowSeq);
                }
              }
            }
            confirmAfterDeletes(t.endLsn, t.commitTime);
          }
          if (anyAcked) {
            kafkaOkAt = System.nanoTime();
            kafkaHealth.accepted();
          }
          continue;
        }
        // a failure: confirm the acknowledged transactions before it, settle the rest, restart
        for (Sent later : inflight) {
          if (later.batch() != null) {
            later.batch().await();
          }
        }
        boolean confirming = true;
        for (Txn t : s.txns()) {
          boolean allAcked = true;
          for (int i = t.firstOutcome; i < t.firstOutcome + t.outcomes; i++) {
            Outcome o = s.batch().outcomes().get(i);
            if (!o.acked()) {
              allAcked = false;
              failure(o, t.rowSeqs.get(i - t.firstOutcome), anyAcked);
            }
          }
          if (confirming && allAcked) {
            for (int i = 0; i < t.outcomes; i++) {
              long rowSeq = t.rowSeqs.get(i);
              if (rowSeq >= 0 && !t.isDeleted(rowSeq)) {
                toDelete.add(rowSeq);
              }
            }
            confirmAfterDeletes(t.endLsn, t.commitTime);
          } else {
            confirming = false;
          }
        }
        if (anyAcked) {
          kafkaOkAt = System.nanoTime();
          kafkaHealth.accepted();
        }
        inflight.clear();
        inflightItems = 0;
        inflightBytes = 0;
        metrics.retried();
        if (confirmDirty) {
          try {
            sendStatus();
          } catch (SQLException e) {
            LOG.debug("relay {}: status update failed: {}", config.instanceId(), e.getMessage());
          }
        }
        return true;
      }
      return false;
    }

    private void failure(Outcome o, long rowSeq, boolean anyAcked) {
      Throwable error = o.failure();
      OutboxRow row = o.row();
      if (error == null) {
        return; // held or not sent: published after the restart
      }
      if (KafkaPublisher.isPermanent(error)) {
        deadLetter(row, rowSeq, null, attempts.getOrDefault(row.seq(), 0) + 1, error);
        return;
      }
      if (kafkaHealth.noteFailure(error) || isCollateral(error)) {
        return;
      }
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
        deadLetter(row, rowSeq, null, n, new PollingRelay.RetriesExhaustedException(n, error));
      }
    }

    /**
     * Confirms a settled transaction once the DELETE of its rows (table mode, rows kept) committed:
     * a relay that dies before that leaves no row behind that a successor would never read again.
     * The rows in {@code toDelete} go with the next DELETE, whose ticket is one past the last.
     */
    private void confirmAfterDeletes(long lsn, Instant commitTime) {
      long ticket = toDelete.isEmpty() ? deleter.submitted() : deleter.submitted() + 1;
      if (afterDelete.isEmpty() && ticket <= deleter.completed() && ticket < firstFailedDelete()) {
        confirm(lsn, commitTime);
      } else {
        afterDelete.addLast(new AfterDelete(lsn, commitTime, ticket));
      }
    }

    /** The ticket of this session's first DELETE that failed, or {@code Long.MAX_VALUE}. */
    private long firstFailedDelete() {
      return deleter.firstFailureAfter(ticketBase).orElse(Long.MAX_VALUE);
    }

    /**
     * Confirms the transactions whose rows are deleted by now, in order, up to the first whose rows
     * may be in a DELETE that failed. Returns whether such a failure stops the confirmations (the
     * session must then read those transactions again).
     */
    private boolean confirmDeleted() {
      long done = deleter.completed();
      long failedAt = firstFailedDelete();
      while (!afterDelete.isEmpty()
          && afterDelete.peekFirst().ticket() <= done
          && afterDelete.peekFirst().ticket() < failedAt) {
        AfterDelete a = afterDelete.removeFirst();
        confirm(a.lsn(), a.commitTime());
      }
      return failedAt <= done;
    }

    private void confirm(long lsn, Instant commitTime) {
      if (lsn <= confirmed) {
        return;
      }
      confirmed = lsn;
      confirmedCommit = commitTime == null ? Instant.now() : commitTime;
      confirmDirty = true;
      lastProgressNanos = System.nanoTime();
    }

    private void sendStatus() throws SQLException {
      LogSequenceNumber lsn = LogSequenceNumber.valueOf(confirmed);
      stream.setFlushedLSN(lsn);
      stream.setAppliedLSN(lsn);
      stream.forceUpdateStatus();
      statusSentAt = System.nanoTime();
      confirmDirty = false;
      confirmedLsn = lsn.asString();
      if (confirmedCommit != null) {
        confirmedAt = confirmedCommit;
      }
    }
  }

  private static boolean isCollateral(Throwable e) {
    String m = e.getMessage();
    return (m != null
            && (m.contains("closed forcefully") || m.contains("after producer has been closed")))
        || e instanceof IllegalStateException;
  }

  /**
   * Hands the published rows to the delete thread. While it is busy (a slow commit), the rows wait
   * here and go with the next ones, so the WAL reader is not held up; only beyond {@code
   * MAX_UNDELETED} rows (or with {@code wait}, at a stop) does it wait for the delete thread.
   */
  private void flushDeletes(boolean wait) {
    if (toDelete.isEmpty()) {
      return;
    }
    if (!wait && toDelete.size() < MAX_UNDELETED && !deleter.offer(new ArrayList<>(toDelete))) {
      return;
    }
    if (wait || toDelete.size() >= MAX_UNDELETED) {
      try {
        deleter.submit(new ArrayList<>(toDelete));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt(); // crash or stop: the rows stay in the table
      }
    }
    toDelete.clear();
  }

  /** Writes a follower: a message behind a parked key, kept in the dead-letter table. */
  private void follow(OutboxRow row, long rowSeq, Instant availableAt, long parkedBy) {
    try {
      deadLetters.write(
          row,
          rowSeq,
          availableAt,
          0,
          CdcDeadLetters.FOLLOWER,
          "waiting behind the dead-lettered message with seq " + parkedBy + " (parked key)",
          false,
          config.instanceId(),
          dialect);
      metrics.held();
    } catch (SQLException e) {
      throw new WaybillException(
          "cannot park message " + row.id() + " behind its key: " + e.getMessage(), e);
    }
  }

  private void deadLetter(
      OutboxRow row, long rowSeq, Instant availableAt, int tries, Throwable error) {
    boolean park = config.failureMode() == FailureMode.PARK;
    try {
      deadLetters.write(
          row,
          rowSeq,
          availableAt,
          tries,
          error.getClass().getName(),
          String.valueOf(error.getMessage()),
          park,
          config.instanceId(),
          dialect);
    } catch (SQLException e) {
      throw new WaybillException(
          "cannot dead-letter message " + row.id() + ": " + e.getMessage(), e);
    }
    attempts.remove(row.seq());
    if (park && row.orderingKey() != null) {
      parked.put(row.orderingKey(), row.seq());
    } else {
      skipped.add(row.seq());
    }
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
  }

  /**
   * A logical message with the outbox prefix while {@code outbox.write.mode=table}: not published.
   * Said once at WARN (someone emits messages the relay will not read), then counted at DEBUG.
   */
  private void ignoreMessage(PgOutput.Message m) {
    ignoredMessages++;
    if (ignoredMessages == 1) {
      LOG.warn(
          "relay {}: ignored a logical decoding message with prefix '{}' at {}: the relay reads"
              + " such messages only with outbox.write.mode=message (it is table); set"
              + " outbox.write.mode=message on the relay if your writers emit messages, or find"
              + " who calls pg_logical_emit_message (see docs/security.md)",
          config.instanceId(),
          prefix,
          LogSequenceNumber.valueOf(m.lsn()));
    } else {
      LOG.debug(
          "relay {}: ignored logical decoding message {} at {} (outbox.write.mode=table)",
          config.instanceId(),
          ignoredMessages,
          LogSequenceNumber.valueOf(m.lsn()));
    }
  }

  /** Warns when PUBLIC may publish through this relay, or the relay may not emit heartbeats. */
  private void checkEmitters(LogicalDecodingSql sql) {
    try {
      for (String warning : EmitterPrivileges.check(dataSource, sql, readsMessages)) {
        LOG.warn("relay {}: {}", config.instanceId(), warning);
      }
    } catch (SQLException e) {
      LOG.warn(
          "relay {}: could not check who may run pg_logical_emit_message: {}",
          config.instanceId(),
          e.getMessage());
    }
  }

  /** Called after a failed session, whose batches are all settled or abandoned. */
  private int pause(int failedRounds) {
    publisher.recover(); // a producer broken by the failure is replaced only now
    int round = failedRounds + 1;
    long millis = backoff.apply(round);
    LOG.debug("relay {}: pausing {} ms after failed round {}", config.instanceId(), millis, round);
    sleep(millis);
    return round;
  }

  private void sleep(long millis) {
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (!stopping) {
      long left = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
      if (left <= 0) {
        return;
      }
      try {
        Thread.sleep(Math.min(left, 50));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  // ---------------------------------------------------------------- maintenance

  private void maintain() {
    try {
      Optional<LogicalSlot.SlotState> s = slot.state();
      lagBytes = s.map(LogicalSlot.SlotState::lagBytes).orElse(0L);
      dbOkAt = System.nanoTime();
      Duration hb = config.cdc().heartbeatInterval();
      if (active
          && !hb.isZero()
          && System.nanoTime() - lastProgressNanos >= hb.toNanos()
          && lagBytes > 0) {
        slot.heartbeat(heartbeatPrefix);
        lastProgressNanos = System.nanoTime();
      }
      store.backlogIfDue().ifPresent(metrics::backlog);
    } catch (SQLException | RuntimeException e) {
      LOG.debug("relay {}: slot query failed: {}", config.instanceId(), e.getMessage());
    } catch (Error e) {
      // a scheduled task that throws is never run again: stop instead of going on without it
      FatalError.report(config.instanceId(), "maintenance thread", e, null);
      failed = true;
      stopping = true;
      return;
    }
    if (kafkaHealth.reachable()) {
      kafkaOkAt = System.nanoTime();
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
    if (t != null) {
      try {
        t.join(config.sendTimeout().plusSeconds(10).toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    closeQuietly(exported); // stopped before its first session: the snapshot stays pending
    exported = null;
    if (maintenance != null) {
      maintenance.shutdownNow();
    }
    if (deleter != null) {
      deleter.close();
    }
    if (publisher != null) {
      publisher.close();
    }
    kafkaHealth.close(Duration.ofSeconds(2));
    LOG.info(
        "relay {} stopped: published {}, dead-lettered {}; slot {} confirmed at {}",
        config.instanceId(),
        metrics.publishedCount(),
        metrics.deadLetteredCount(),
        slot == null ? "-" : slot.name(),
        confirmedLsn);
  }

  /**
   * Simulates a crash for tests: the replication connection is dropped at once, nothing in flight
   * is confirmed, as after {@code kill -9}.
   */
  void crash() {
    crashed = true;
    stopping = true;
    Connection c = currentConnection;
    closeQuietly(c);
    if (loop != null) {
      loop.interrupt();
      try {
        loop.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (maintenance != null) {
      maintenance.shutdownNow();
    }
    if (deleter != null) {
      deleter.close(0);
    }
    if (publisher != null) {
      publisher.close();
    }
    kafkaHealth.close(Duration.ZERO);
  }

  @Override
  public String instanceId() {
    return config.instanceId();
  }

  @Override
  public RelayStatus status() {
    return new RelayStatus(
        config.instanceId(),
        running,
        Set.of(),
        metrics.publishedCount(),
        metrics.deadLetteredCount(),
        metrics.retriedCount(),
        false,
        Optional.of(
            new RelayStatus.Cdc(
                config.cdc().slot(),
                active,
                confirmedLsn,
                lagBytes,
                Duration.ofMillis((long) (confirmedAgeSeconds() * 1000)))));
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
        && !slotLost
        && now - dbOkAt < window
        && now - kafkaOkAt < window
        && kafkaHealth.refusal().isEmpty();
  }

  /** A message the CDC relay cannot publish as written (delayed, malformed content). */
  static final class InvalidMessageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InvalidMessageException(String message) {
      super(message);
    }
  }
}
