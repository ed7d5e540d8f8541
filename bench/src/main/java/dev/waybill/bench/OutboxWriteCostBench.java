package dev.waybill.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.OutboxConfig;
import dev.waybill.outbox.OutboxMessage;
import dev.waybill.outbox.Payload;
import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.outbox.jdbc.DataSources;
import dev.waybill.outbox.jdbc.DatabaseSettings;
import dev.waybill.outbox.jdbc.SqlIdentifier;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.outbox.schema.TableNames;
import dev.waybill.testkit.ProgramArgs;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * What an outbox write adds to a single-row business transaction on PostgreSQL (DESIGN.md,
 * "Performance targets": at most +15 %).
 *
 * <p>One connection runs sequential transactions: {@code INSERT} one row into {@code bench_orders},
 * optionally write one outbox message (256-byte JSON payload, key among 1,000 keys), {@code
 * COMMIT}. All variants run in every run, taking turns in chunks of {@code --chunk} transactions
 * whose order rotates with every chunk and every run, so drift (fsync stalls, checkpoints, other
 * processes on the machine) hits them alike. Before every run the tables are truncated (they never
 * hold more than one run's rows, so they need no vacuum) and a {@code CHECKPOINT} is taken, so each
 * run starts from the same state. Per variant the medians over the runs are reported; the overhead
 * is the median over runs of (mean transaction time of the variant / mean transaction time of
 * {@code plain} in the same run) - 1.
 *
 * <p>With {@code --diagnose true} more variants split the cost of {@link Outbox}'s write: two
 * references (one empty round trip, a second business row) and the outbox's own {@code INSERT}
 * written by hand through a cached {@link PreparedStatement}, through a statement prepared per
 * write, followed by a separate {@code NOTIFY}, with {@code NOTIFY} sent in the same round trip,
 * and into a copy of the table whose statement-level trigger calls {@code pg_notify}.
 */
public final class OutboxWriteCostBench {
  static final double TARGET_PERCENT = 15.0;
  static final int KEYS = 1_000;
  static final int PAYLOAD_BYTES = 256;
  static final String TOPIC = "orders";
  static final String EVENT_TYPE = "OrderPlaced";

  private static final String BUSINESS_TABLE =
      """
      CREATE TABLE bench_orders (
          id         bigserial PRIMARY KEY,
          customer   text,
          amount     numeric,
          created_at timestamptz DEFAULT now()
      )""";

  /** A copy of the outbox table whose statement trigger sends the NOTIFY (diagnostic variant). */
  private static final String TRIGGER_TABLE = "bench_outbox_trigger";

  private static final String TRIGGER_DDL =
      """
      CREATE TABLE bench_outbox_trigger (LIKE waybill_outbox INCLUDING ALL);
      CREATE FUNCTION bench_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('%s', '');
        RETURN NULL;
      END $$;
      CREATE TRIGGER bench_outbox_notify AFTER INSERT ON bench_outbox_trigger
        FOR EACH STATEMENT EXECUTE FUNCTION bench_outbox_notify();
      ALTER TABLE bench_outbox_trigger SET (autovacuum_enabled = false)"""
          .formatted(OutboxConfig.DEFAULT_NOTIFY_CHANNEL);

  private static final String BUSINESS_INSERT =
      "INSERT INTO bench_orders (customer, amount) VALUES (?, ?)";

  private final Settings settings;
  private final String[] keys = new String[KEYS];
  private final String[] customers = new String[KEYS];
  private final BigDecimal[] amounts = new BigDecimal[KEYS];
  private final String[] payloads = new String[KEYS];
  private final String insertSql;
  private final String notifySql;
  private final String triggerInsertSql;

  private record Settings(
      String adminUrl,
      String user,
      String password,
      String database,
      int iterations,
      int warmup,
      int runs,
      int chunk,
      String synchronousCommit,
      boolean diagnose,
      boolean listen) {}

  /** The extra work a variant does inside the transaction, after the business insert. */
  @FunctionalInterface
  private interface Extra {
    void write(Connection c, int key) throws SQLException;
  }

  /** Opens a variant's {@link Extra} on the benchmark connection (e.g. prepares statements). */
  @FunctionalInterface
  private interface ExtraFactory {
    Extra open(Connection c) throws SQLException;
  }

  /**
   * @param extraOrders business rows the extra step inserts besides the one every transaction does
   * @param outboxRows outbox rows one transaction writes (into {@code waybill_outbox}, or {@code
   *     bench_outbox_trigger} for the trigger variant)
   */
  private record Variant(
      String name, String label, int extraOrders, int outboxRows, ExtraFactory factory) {}

  private OutboxWriteCostBench(Settings settings) {
    this.settings = settings;
    for (int k = 0; k < KEYS; k++) {
      keys[k] = "order-" + k;
      customers[k] = "customer-" + k;
      amounts[k] = BigDecimal.valueOf(1_000 + k * 37L % 99_000, 2);
      payloads[k] = payload(k);
    }
    TableNames tables = TableNames.defaults();
    insertSql = Dialect.postgres().insertOutboxSql(tables.outboxTable());
    triggerInsertSql = Dialect.postgres().insertOutboxSql(SqlIdentifier.of(TRIGGER_TABLE));
    notifySql =
        Dialect.postgres()
            .notifySql(SqlIdentifier.of(OutboxConfig.DEFAULT_NOTIFY_CHANNEL))
            .orElseThrow();
  }

  /** Entry point of {@code write-cost}. */
  public static void main(String[] args) throws Exception {
    ProgramArgs a =
        new ProgramArgs(Main.PROGRAM, "write-cost")
            .option(
                "url",
                "jdbc:postgresql://127.0.0.1:5432/postgres",
                "admin JDBC URL; the bench database is created through it")
            .option("user", "postgres", "database user (must be allowed to create databases)")
            .option("password", "", "database password")
            .option("database", "waybill_bench", "database dropped and created for the run")
            .option("iterations", "5000", "timed transactions per variant per run")
            .option("warmup", "2000", "untimed transactions per variant before the first run")
            .option("runs", "7", "runs; variants alternate within a run, order rotates per run")
            .option(
                "chunk",
                "250",
                "transactions of one variant before switching to the next; --chunk equal to"
                    + " --iterations runs each variant as one block per run")
            .option(
                "synchronous-commit",
                "",
                "SET synchronous_commit for the benchmark connection (on, off, ...); empty keeps"
                    + " the server's")
            .option(
                "diagnose",
                "false",
                "also time hand-written outbox inserts that split the cost (prepare, NOTIFY)")
            .option(
                "listen",
                "false",
                "keep a LISTEN connection on the outbox channel open and drained, as a relay does")
            .parse(args);
    Settings s =
        new Settings(
            a.string("url"),
            a.string("user"),
            a.string("password"),
            a.string("database"),
            a.integer("iterations", 100, 10_000_000),
            a.integer("warmup", 0, 10_000_000),
            a.integer("runs", 1, 1_000),
            a.integer("chunk", 1, 10_000_000),
            a.string("synchronous-commit"),
            a.bool("diagnose"),
            a.bool("listen"));
    try {
      PostgresBenchDatabase.withDatabase(s.adminUrl(), s.database());
    } catch (IllegalArgumentException e) {
      a.problem(e.getMessage());
    }
    if (!s.synchronousCommit().isEmpty()
        && !s.synchronousCommit().matches("on|off|local|remote_write|remote_apply")) {
      a.problem(
          "'"
              + s.synchronousCommit()
              + "' → --synchronous-commit → expected on, off, local, remote_write or remote_apply");
    }
    a.requireValid();
    new OutboxWriteCostBench(s).run();
  }

  private List<Variant> variants() {
    List<Variant> v = new ArrayList<>();
    v.add(new Variant("plain", "INSERT + COMMIT, no outbox", 0, 0, c -> (conn, k) -> {}));
    Outbox withNotify = Outbox.builder().build();
    v.add(
        new Variant(
            "outbox",
            "+ Outbox.write, NOTIFY on (default)",
            0,
            1,
            c -> (conn, k) -> withNotify.write(conn, message(k))));
    Outbox noNotify =
        Outbox.builder().config(OutboxConfig.builder().notifyEnabled(false).build()).build();
    v.add(
        new Variant(
            "outbox-no-notify",
            "+ Outbox.write, NOTIFY off",
            0,
            1,
            c -> (conn, k) -> noNotify.write(conn, message(k))));
    if (!settings.diagnose()) {
      return v;
    }
    v.add(
        new Variant(
            "ref-round-trip",
            "+ SELECT 1 (one empty round trip, reference)",
            0,
            0,
            c -> {
              PreparedStatement select = c.prepareStatement("SELECT 1");
              return (conn, k) -> {
                try (var rs = select.executeQuery()) {
                  rs.next();
                }
              };
            }));
    v.add(
        new Variant(
            "ref-second-row",
            "+ a second bench_orders INSERT (reference)",
            1,
            0,
            c -> {
              PreparedStatement insert = c.prepareStatement(BUSINESS_INSERT);
              return (conn, k) -> {
                insert.setString(1, customers[k]);
                insert.setBigDecimal(2, amounts[k]);
                insert.executeUpdate();
              };
            }));
    v.add(
        new Variant(
            "sql-cached",
            "+ same INSERT by hand, cached PreparedStatement",
            0,
            1,
            c -> {
              PreparedStatement insert = c.prepareStatement(insertSql);
              return (conn, k) -> {
                bind(insert, message(k));
                insert.executeUpdate();
              };
            }));
    v.add(
        new Variant(
            "sql-prepare-each",
            "+ same INSERT by hand, prepareStatement per write",
            0,
            1,
            c ->
                (conn, k) -> {
                  try (PreparedStatement insert = conn.prepareStatement(insertSql)) {
                    bind(insert, message(k));
                    insert.executeUpdate();
                  }
                }));
    v.add(
        new Variant(
            "sql-cached+notify",
            "+ cached INSERT, then NOTIFY statement",
            0,
            1,
            c -> {
              PreparedStatement insert = c.prepareStatement(insertSql);
              Statement notify = c.createStatement();
              return (conn, k) -> {
                bind(insert, message(k));
                insert.executeUpdate();
                notify.execute(notifySql);
              };
            }));
    v.add(
        new Variant(
            "sql-notify-1rt",
            "+ INSERT and NOTIFY in one round trip",
            0,
            1,
            c -> {
              // pgjdbc sends the statements of one multi-statement PreparedStatement together
              PreparedStatement insertAndNotify = c.prepareStatement(insertSql + ";\n" + notifySql);
              return (conn, k) -> {
                bind(insertAndNotify, message(k));
                insertAndNotify.execute();
              };
            }));
    v.add(
        new Variant(
            "sql-trigger-notify",
            "+ INSERT into a copy whose statement trigger NOTIFYs",
            0,
            1,
            c -> {
              PreparedStatement insert = c.prepareStatement(triggerInsertSql);
              return (conn, k) -> {
                bind(insert, message(k));
                insert.executeUpdate();
              };
            }));
    return v;
  }

  private void run() throws Exception {
    System.out.printf(
        "write-cost: %,d timed transactions per variant per run (interleaved in chunks of %,d),"
            + " %,d warm-up, %d runs%n",
        settings.iterations(), settings.chunk(), settings.warmup(), settings.runs());
    String url =
        PostgresBenchDatabase.recreate(
            settings.adminUrl(), settings.user(), settings.password(), settings.database());
    try (HikariDataSource ds =
        DataSources.create(
            DatabaseSettings.of(url, settings.user(), settings.password()), "bench")) {
      SchemaMigrator.builder().dataSource(ds).build().migrate();
      try (Connection admin = ds.getConnection();
          Connection c = ds.getConnection();
          Listener listener =
              settings.listen() ? new Listener(url, settings.user(), settings.password()) : null) {
        admin.setAutoCommit(true);
        try (Statement st = admin.createStatement()) {
          st.execute(BUSINESS_TABLE);
          // the tables are truncated before every run: autovacuum would only add noise
          st.execute("ALTER TABLE bench_orders SET (autovacuum_enabled = false)");
          st.execute("ALTER TABLE waybill_outbox SET (autovacuum_enabled = false)");
          st.execute(TRIGGER_DDL);
        }
        if (!settings.synchronousCommit().isEmpty()) {
          try (Statement st = c.createStatement()) {
            st.execute("SET synchronous_commit = " + settings.synchronousCommit());
          }
        }
        printEnvironment(admin, c);
        c.setAutoCommit(false);
        List<Variant> variants = variants();
        List<Extra> extras = new ArrayList<>();
        for (Variant v : variants) {
          extras.add(v.factory().open(c));
        }
        try (PreparedStatement business = c.prepareStatement(BUSINESS_INSERT)) {
          if (settings.warmup() > 0) {
            System.out.printf("warm-up: %,d transactions per variant%n", settings.warmup());
            resetTables(admin);
            runInterleaved(c, business, variants, extras, settings.warmup(), 0);
          }
          LatencyStats[][] results = new LatencyStats[variants.size()][settings.runs()];
          for (int r = 0; r < settings.runs(); r++) {
            resetTables(admin);
            LatencyStats[] run =
                runInterleaved(c, business, variants, extras, settings.iterations(), r);
            checkRows(admin, variants);
            StringBuilder line =
                new StringBuilder(String.format("run %d/%d:", r + 1, settings.runs()));
            for (int i = 0; i < variants.size(); i++) {
              results[i][r] = run[i];
              line.append(String.format(" %s %,.0f/s", variants.get(i).name(), run[i].perSecond()));
            }
            System.out.println(line);
          }
          resetTables(admin);
          report(variants, results);
          if (listener != null) {
            System.out.printf("listener received %,d notifications%n", listener.received());
          }
        }
      }
    }
  }

  /**
   * Runs {@code n} transactions of every variant, round-robin in chunks of {@code --chunk}
   * transactions; the order of the variants rotates with every chunk and every run, so that slow
   * phases of the machine (fsync stalls, other processes) are shared by all variants.
   */
  private LatencyStats[] runInterleaved(
      Connection c,
      PreparedStatement business,
      List<Variant> variants,
      List<Extra> extras,
      int n,
      int run)
      throws SQLException {
    int count = variants.size();
    long[][] latencies = new long[count][n];
    long[] wall = new long[count];
    int chunkNo = 0;
    for (int done = 0; done < n; done += settings.chunk(), chunkNo++) {
      int size = Math.min(settings.chunk(), n - done);
      for (int j = 0; j < count; j++) {
        int i = (j + run + chunkNo) % count;
        wall[i] += timeChunk(c, business, extras.get(i), latencies[i], done, size);
      }
    }
    LatencyStats[] stats = new LatencyStats[count];
    for (int i = 0; i < count; i++) {
      stats[i] = LatencyStats.of(latencies[i], wall[i]);
    }
    return stats;
  }

  /**
   * Times {@code size} sequential transactions (business insert, the variant's extra, commit),
   * storing their latencies from {@code latencies[from]}; returns the chunk's wall time.
   */
  private long timeChunk(
      Connection c, PreparedStatement business, Extra extra, long[] latencies, int from, int size)
      throws SQLException {
    long start = System.nanoTime();
    try {
      for (int i = from; i < from + size; i++) {
        int k = i % KEYS;
        long t0 = System.nanoTime();
        business.setString(1, customers[k]);
        business.setBigDecimal(2, amounts[k]);
        business.executeUpdate();
        extra.write(c, k);
        c.commit();
        latencies[i] = System.nanoTime() - t0;
      }
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    }
    return System.nanoTime() - start;
  }

  private OutboxMessage message(int k) {
    return OutboxMessage.builder()
        .topic(TOPIC)
        .key(keys[k])
        .eventType(EVENT_TYPE)
        .payload(Payload.json(payloads[k]))
        .build();
  }

  /** Binds a message exactly as JdbcOutbox does on PostgreSQL (no headers, trace or delay). */
  private static void bind(PreparedStatement st, OutboxMessage m) throws SQLException {
    st.setObject(1, m.id().value());
    st.setString(2, m.topic());
    st.setString(3, m.key().orElse(null));
    st.setString(4, m.eventType());
    st.setString(5, m.payload().contentType());
    st.setBytes(6, m.payload().bytes());
    st.setString(7, null);
    st.setString(8, null);
    st.setNull(9, Types.TIMESTAMP_WITH_TIMEZONE);
  }

  /** A JSON order event of exactly {@link #PAYLOAD_BYTES} UTF-8 bytes. */
  static String payload(int k) {
    String head =
        String.format(
            Locale.ROOT,
            "{\"orderId\":\"order-%d\",\"customer\":\"customer-%d\",\"amount\":\"%d.%02d\","
                + "\"currency\":\"EUR\",\"lines\":[{\"sku\":\"SKU-%05d\",\"qty\":%d}],\"note\":\"",
            k,
            k,
            10 + k % 990,
            k % 100,
            k * 7 % 100_000,
            1 + k % 5);
    String tail = "\"}";
    int pad = PAYLOAD_BYTES - head.getBytes(StandardCharsets.UTF_8).length - tail.length();
    return head + "x".repeat(pad) + tail;
  }

  private static void resetTables(Connection admin) throws SQLException {
    try (Statement st = admin.createStatement()) {
      st.execute("TRUNCATE bench_orders, waybill_outbox, " + TRIGGER_TABLE);
      st.execute("CHECKPOINT");
    }
  }

  private void checkRows(Connection admin, List<Variant> variants) throws SQLException {
    long orders =
        Long.parseLong(PostgresBenchDatabase.show(admin, "SELECT count(*) FROM bench_orders"));
    long outbox =
        Long.parseLong(
            PostgresBenchDatabase.show(
                admin,
                "SELECT (SELECT count(*) FROM waybill_outbox) + (SELECT count(*) FROM "
                    + TRIGGER_TABLE
                    + ")"));
    long expectedOrders = 0;
    long expectedOutbox = 0;
    for (Variant v : variants) {
      expectedOrders += (long) settings.iterations() * (1 + v.extraOrders());
      expectedOutbox += (long) settings.iterations() * v.outboxRows();
    }
    if (orders != expectedOrders || outbox != expectedOutbox) {
      throw new IllegalStateException(
          "the run left "
              + orders
              + " orders and "
              + outbox
              + " outbox rows; expected "
              + expectedOrders
              + " and "
              + expectedOutbox);
    }
  }

  private void printEnvironment(Connection admin, Connection bench) throws SQLException {
    System.out.printf(
        "machine: %d cores, Java %s (%s), %s%n",
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"),
        System.getProperty("java.vm.name"),
        OffsetDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
    System.out.printf(
        "database: %s; pgjdbc %s%n",
        PostgresBenchDatabase.show(admin, "SELECT version()"),
        admin.getMetaData().getDriverVersion());
    System.out.printf(
        "settings: synchronous_commit=%s fsync=%s wal_sync_method=%s shared_buffers=%s"
            + " listener=%s%n",
        PostgresBenchDatabase.show(bench, "SHOW synchronous_commit"),
        PostgresBenchDatabase.show(admin, "SHOW fsync"),
        PostgresBenchDatabase.show(admin, "SHOW wal_sync_method"),
        PostgresBenchDatabase.show(admin, "SHOW shared_buffers"),
        settings.listen() ? "LISTEN " + OutboxConfig.DEFAULT_NOTIFY_CHANNEL : "none");
  }

  private void report(List<Variant> variants, LatencyStats[][] results) {
    int runs = settings.runs();
    LatencyStats[] plain = results[0];
    double[] overhead = new double[variants.size()];
    System.out.println();
    System.out.printf(
        "medians over %d runs of %,d transactions (overhead: median over runs of mean tx time"
            + " / mean tx time of plain in the same run)%n",
        runs, settings.iterations());
    String format = "%-18s %-50s %9s %9s %9s %9s %10s %9s%n";
    System.out.printf(
        format,
        "variant",
        "transaction",
        "tx/s",
        "mean µs",
        "p50 µs",
        "p99 µs",
        "overhead",
        "Δ µs");
    for (int i = 0; i < variants.size(); i++) {
      Variant v = variants.get(i);
      LatencyStats[] rs = results[i];
      double[] ratio = new double[runs];
      double[] delta = new double[runs];
      for (int r = 0; r < runs; r++) {
        ratio[r] = rs[r].meanMicros() / plain[r].meanMicros();
        delta[r] = rs[r].meanMicros() - plain[r].meanMicros();
      }
      overhead[i] = (LatencyStats.median(ratio) - 1) * 100;
      System.out.printf(
          Locale.ROOT,
          format,
          v.name(),
          v.label(),
          String.format(Locale.ROOT, "%,.0f", median(rs, LatencyStats::perSecond)),
          String.format(Locale.ROOT, "%.0f", median(rs, LatencyStats::meanMicros)),
          String.format(Locale.ROOT, "%.0f", median(rs, LatencyStats::p50Micros)),
          String.format(Locale.ROOT, "%.0f", median(rs, LatencyStats::p99Micros)),
          i == 0 ? "—" : String.format(Locale.ROOT, "%+.1f %%", overhead[i]),
          i == 0 ? "—" : String.format(Locale.ROOT, "%+.0f", LatencyStats.median(delta)));
    }
    System.out.println();
    System.out.printf(
        Locale.ROOT,
        "VERDICT: an outbox write adds %+.1f %% per transaction with NOTIFY on (target ≤ +%.0f %%:"
            + " %s) and %+.1f %% with NOTIFY off (%s).%n",
        overhead[1],
        TARGET_PERCENT,
        verdict(overhead[1]),
        overhead[2],
        verdict(overhead[2]));
  }

  private static String verdict(double overheadPercent) {
    return overheadPercent <= TARGET_PERCENT
        ? "met"
        : String.format(Locale.ROOT, "MISSED by %.1f points", overheadPercent - TARGET_PERCENT);
  }

  private static double median(
      LatencyStats[] rs, java.util.function.ToDoubleFunction<LatencyStats> f) {
    double[] v = new double[rs.length];
    for (int i = 0; i < rs.length; i++) {
      v[i] = f.applyAsDouble(rs[i]);
    }
    return LatencyStats.median(v);
  }

  /** A connection that LISTENs on the outbox channel and drains notifications, like a relay. */
  private static final class Listener implements AutoCloseable {
    private final Connection connection;
    private final Thread thread;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong received = new AtomicLong();

    Listener(String url, String user, String password) throws SQLException {
      Properties p = new Properties();
      p.setProperty("user", user);
      p.setProperty("password", password);
      connection = DriverManager.getConnection(url, p);
      try (Statement st = connection.createStatement()) {
        st.execute("LISTEN " + OutboxConfig.DEFAULT_NOTIFY_CHANNEL);
      }
      PGConnection pg = connection.unwrap(PGConnection.class);
      thread =
          new Thread(
              () -> {
                while (running.get()) {
                  try {
                    PGNotification[] n = pg.getNotifications(200);
                    if (n != null) {
                      received.addAndGet(n.length);
                    }
                  } catch (SQLException e) {
                    if (running.get()) {
                      System.err.println("listener failed: " + e.getMessage());
                    }
                    return;
                  }
                }
              },
              "bench-listener");
      thread.setDaemon(true);
      thread.start();
    }

    long received() {
      return received.get();
    }

    @Override
    public void close() throws SQLException {
      running.set(false);
      try {
        thread.join(2_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      connection.close();
    }
  }
}
