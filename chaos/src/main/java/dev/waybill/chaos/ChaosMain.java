package dev.waybill.chaos;

import dev.waybill.outbox.Outbox;
import dev.waybill.testkit.Narrator;
import dev.waybill.testkit.ProgramArgs;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;

/**
 * The chaos soak: starts the {@link Deployment}, lets the {@link Workload} write while the {@link
 * FaultInjector} carries out the seeded {@link FaultPlan}; halfway it deploys the "fix" (the
 * consumer accepts the poison events, the relay's dead letters are discarded) and redrives the
 * consumer's dead letters with the DLQ tool; then it waits for the system to drain and checks the
 * {@link Ledger}. Exit code 0: no violation; 1: violations; 2: the rig itself failed.
 *
 * <p>{@code java -jar chaos/target/waybill-chaos.jar --duration 2m [--seed N]}, from the repository
 * root.
 */
public final class ChaosMain {
  /** The error class of a CDC relay's follower rows (docs/cdc.md). */
  private static final String CDC_FOLLOWER = "dev.waybill.relay.ParkedBehindDeadLetter";

  private static final Pattern SENT = Pattern.compile("\"sent\"\\s*:\\s*(\\d+)");

  private final ChaosOptions options;
  private final Narrator console = new Narrator(new java.io.PrintWriter(System.out, true));
  private final Map<String, Object> facts = new LinkedHashMap<>();
  private Deployment deployment;
  private int dlqRuns;

  private ChaosMain(ChaosOptions options) {
    this.options = options;
  }

  /**
   * Entry point.
   *
   * @param args see {@code --help}
   */
  public static void main(String[] args) {
    // MariaDB's DATETIME columns hold UTC: read them as UTC whatever the machine's zone
    java.util.TimeZone.setDefault(java.util.TimeZone.getTimeZone("UTC"));
    ChaosOptions options;
    try {
      options = ChaosOptions.parse(args);
    } catch (ProgramArgs.BadArgumentsException e) {
      if (e.helpRequested()) {
        System.out.println(e.getMessage());
        System.exit(0);
      }
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    int exit;
    try {
      exit = new ChaosMain(options).run();
    } catch (Exception e) {
      System.err.println("chaos: the rig failed: " + e);
      e.printStackTrace();
      exit = 2;
    }
    System.exit(exit);
  }

  private int run() throws Exception {
    int relays = options.cdc() ? Deployment.CDC_RELAYS : Deployment.POLLING_RELAYS;
    FaultPlan plan =
        FaultPlan.draw(
            options.seed(), options.duration(), options.faults(), relays, options.db().ownServer());
    console.say(
        "chaos",
        "seed %d (replay: --db %s --relay %s --seed %d --duration %ds --faults %d --rate %.0f)",
        options.seed(),
        options.db().name().toLowerCase(java.util.Locale.ROOT),
        options.cdc() ? "cdc" : "polling",
        options.seed(),
        options.duration().toSeconds(),
        options.faults(),
        options.rate());
    console.say("chaos", "work dir %s", options.workDir());
    console.say("chaos", "fault plan:");
    plan.faults().forEach(f -> console.plain("           %s", f.describe()));
    facts.put("seed", options.seed());
    facts.put("database", options.db().name().toLowerCase(java.util.Locale.ROOT));
    facts.put(
        "relays",
        options.cdc()
            ? Deployment.CDC_RELAYS + " CDC relays (one reads slot " + Deployment.SLOT + ")"
            : Deployment.POLLING_RELAYS + " polling relays");
    if (!options.relaySettings().isEmpty()) {
      facts.put("relay settings given", options.relaySettings());
    }
    facts.put(
        "duration of the chaos phase",
        options.duration().toSeconds()
            + " s, at most "
            + options.rate()
            + " msg/s offered by "
            + options.writers()
            + " writers");
    deployment = Deployment.start(options, console);
    Thread cleanup = new Thread(deployment::close, "chaos-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    Report report = null;
    try {
      report = soak(plan);
    } finally {
      boolean keep = report == null || !report.passed();
      console.say(
          "chaos",
          "stopping every process%s",
          keep && options.db().ownServer()
              ? "; PostgreSQL's data stays in " + options.workDir().resolve("pg-data")
              : "");
      deployment.close(keep);
      Runtime.getRuntime().removeShutdownHook(cleanup);
    }
    report.print(console);
    console.say(
        "chaos",
        "%s; seed %d; logs in %s",
        report.passed() ? "PASSED" : "FAILED with " + report.violationCount() + " violation(s)",
        options.seed(),
        options.workDir().resolve("logs"));
    return report.passed() ? 0 : 1;
  }

  private Report soak(FaultPlan plan) throws Exception {
    Deployment d = deployment;
    startRelaysAndConsumers();
    List<ChildProcess.Exit> exits = new ArrayList<>();
    d.watch(console, exits);
    Workload workload =
        new Workload(
            d.direct,
            Outbox.builder().build(),
            options.seed(),
            options.writers(),
            options.rate(),
            options.keys(),
            !options.cdc());
    FaultInjector injector = new FaultInjector(d, plan, console);
    long t0 = System.nanoTime();
    workload.start();
    injector.start();
    console.say("chaos", "writers and faults started for %ds", options.duration().toSeconds());

    sleepUntil(t0, options.duration().dividedBy(2));
    deployFix();

    sleepUntil(t0, options.duration());
    workload.stop();
    console.say(
        "chaos",
        "writers stopped: %d transactions committed, %d messages rolled back on purpose, %d"
            + " transactions failed under faults",
        workload.committedTransactions(),
        workload.rolledBackMessages(),
        workload.failedTransactions());
    List<Fault> faults = injector.finish();
    d.healAll();
    console.say("chaos", "%d faults done and healed; draining", faults.size());
    facts.put("transactions failed under faults (writers)", workload.failedTransactions());
    facts.put("messages rolled back on purpose (writers)", workload.rolledBackMessages());
    Duration drained = drain();
    facts.put("drain after the chaos", drained.toMillis() / 1000.0 + " s");
    Set<String> live =
        d.relays.stream()
            .filter(ChildProcess::isAlive)
            .map(ChildProcess::instanceId)
            .collect(Collectors.toSet());
    facts.put("DLQ tool runs (redrive, outbox discard)", dlqRuns);
    List<ChildProcess.Exit> exited;
    synchronized (exits) {
      exited = List.copyOf(exits);
    }
    return Ledger.judge(
        new Observations(d.direct, d.db, d.broker.bootstrapServers(), live).read(exited),
        faults,
        facts);
  }

  /**
   * Starts the relays, then the consumers, and waits until they run: the polling relays registered,
   * the CDC relay reading its slot (started first, so that only it creates the slot and the
   * publication; the standby after it), the consumers in their group.
   */
  private void startRelaysAndConsumers() throws Exception {
    Deployment d = deployment;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    if (d.cdc) {
      d.relays.get(0).start();
      while (count(
              "SELECT count(*) FROM pg_replication_slots WHERE active AND slot_name = '"
                  + Deployment.SLOT
                  + "'")
          < 1) {
        check(deadline, "the CDC relay to read slot " + Deployment.SLOT);
        Thread.sleep(250);
      }
      d.relays.forEach(ChildProcess::start);
    } else {
      d.relays.forEach(ChildProcess::start);
      while (count("SELECT count(*) FROM waybill_relay_instance WHERE expires_at > " + d.db.now())
          < d.relays.size()) {
        check(deadline, "the relays to register");
        Thread.sleep(250);
      }
    }
    d.consumers.forEach(ChildProcess::start);
    try (Admin admin = Admin.create(deployment.adminProperties())) {
      while (true) {
        try {
          var group =
              admin
                  .describeConsumerGroups(List.of(ConsumerMain.GROUP))
                  .all()
                  .get(10, TimeUnit.SECONDS)
                  .get(ConsumerMain.GROUP);
          if (group.members().size() >= Deployment.CONSUMERS) {
            break;
          }
        } catch (ExecutionException e) {
          // the group does not exist until the first consumer joins it
        }
        check(deadline, "the consumers to join group " + ConsumerMain.GROUP);
        Thread.sleep(250);
      }
    }
    console.say(
        "setup",
        "%d relays and %d consumers running (logs in %s)",
        d.relays.size(),
        Deployment.CONSUMERS,
        options.workDir().resolve("logs"));
  }

  private static void check(long deadline, String what) {
    if (System.nanoTime() > deadline) {
      throw new IllegalStateException("timed out waiting for " + what);
    }
  }

  /** The fix: the consumer's handler accepts poison events, the relay's dead letters go. */
  private void deployFix() {
    try {
      execute("INSERT INTO chaos_fix (fixed) VALUES (1)");
      console.say("fix", "the consumer's fix is deployed: poison events are handled from now on");
      discardRelayDeadLetters();
      redrive();
    } catch (SQLException | RuntimeException e) {
      console.say("fix", "deploying the fix failed (retried while draining): %s", e.getMessage());
    }
  }

  /**
   * Records the relay's dead letters in {@code chaos_relay_dead} (for the ledger), then discards
   * them with {@code dlq.jar outbox discard}, which releases their parked keys. A CDC relay's
   * followers (the later messages of a parked key, kept in the dead-letter table because there is
   * no outbox row to leave them in) are not dead letters: the discard releases them.
   */
  private void discardRelayDeadLetters() throws SQLException {
    String deadLetters =
        " FROM waybill_outbox_dead_letter WHERE error_class <> '" + CDC_FOLLOWER + "'";
    execute(
        deployment.db.insertIgnore(
            "chaos_relay_dead (message_id, error_class, parks_key, failed_at)",
            "SELECT "
                + deployment.db.idText("id")
                + ", error_class, parks_key, failed_at"
                + deadLetters));
    List<String> seqs = new ArrayList<>();
    try (Connection c = deployment.direct.getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT seq" + deadLetters + " ORDER BY seq")) {
      while (rs.next()) {
        seqs.add(Long.toString(rs.getLong(1)));
      }
    }
    if (seqs.isEmpty()) {
      return;
    }
    List<String> args = new ArrayList<>(List.of("outbox", "discard"));
    args.addAll(seqs);
    args.addAll(
        List.of(
            "--set", "db.url=" + deployment.directJdbcUrl(),
            "--set", "db.user=" + deployment.user,
            "--bootstrap-server", deployment.broker.bootstrapServers()));
    DlqRun run = dlq(args);
    console.say("dlq", "dlq.jar outbox discard %s → exit %d", String.join(" ", seqs), run.exit());
  }

  /** {@code dlq.jar redrive chaos.DLT}: sends the consumer's dead letters back to the topic. */
  private void redrive() {
    DlqRun run =
        dlq(
            List.of(
                "redrive",
                Workload.DEAD_LETTER_TOPIC,
                "--bootstrap-server",
                deployment.broker.bootstrapServers(),
                "--no-progress",
                "--format",
                "json"));
    Matcher sent = SENT.matcher(run.output());
    console.say(
        "dlq",
        "dlq.jar redrive %s → exit %d, sent %s",
        Workload.DEAD_LETTER_TOPIC,
        run.exit(),
        sent.find() ? sent.group(1) : "?");
  }

  private record DlqRun(int exit, String output) {}

  private DlqRun dlq(List<String> args) {
    dlqRuns++;
    Path out = options.workDir().resolve("logs").resolve("dlq-" + dlqRuns + ".log");
    try {
      Process p =
          ChildProcess.withEnvironment(
                  new ProcessBuilder(deployment.dlqCommand(args)), deployment.environment())
              .redirectErrorStream(true)
              .redirectOutput(Redirect.to(out.toFile()))
              .start();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new DlqRun(-1, "");
      }
      return new DlqRun(p.exitValue(), Files.readString(out));
    } catch (IOException e) {
      throw new IllegalStateException("could not run the DLQ tool: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new DlqRun(-1, "");
    }
  }

  /**
   * Waits until the outbox and its dead-letter table are empty, every committed message (but the
   * relay's poison) has its effect, and no lease of a dead relay is left; discards and redrives
   * again on the way when something is still dead-lettered.
   */
  private Duration drain() throws Exception {
    Instant start = Instant.now();
    long deadline = System.nanoTime() + options.drainTimeout().toNanos();
    long lastRedrive = System.nanoTime();
    String relayIds =
        deployment.relays.stream()
            .map(p -> "'" + p.instanceId() + "'")
            .collect(Collectors.joining(","));
    while (System.nanoTime() < deadline) {
      long outbox = count("SELECT count(*) FROM waybill_outbox");
      long dead = count("SELECT count(*) FROM waybill_outbox_dead_letter");
      long expected =
          count(
              "SELECT count(*) FROM chaos_written"
                  + " WHERE kind NOT IN ('RELAY_TOO_LARGE', 'RELAY_BAD_TOPIC')");
      long applied = count("SELECT count(DISTINCT message_id) FROM chaos_effect");
      long deadLeases =
          count(
              "SELECT count(*) FROM waybill_relay_lease WHERE owner IS NOT NULL"
                  + " AND expires_at > "
                  + deployment.db.now()
                  + " AND owner NOT IN ("
                  + relayIds
                  + ")");
      if (count("SELECT count(*) FROM chaos_fix") == 0) {
        deployFix();
      }
      if (dead > 0) {
        discardRelayDeadLetters();
      }
      if (outbox == 0 && dead == 0 && applied >= expected && deadLeases == 0) {
        console.say("drain", "drained: outbox empty, %d of %d messages applied", applied, expected);
        return Duration.between(start, Instant.now());
      }
      if (outbox == 0 && applied < expected && System.nanoTime() - lastRedrive > 10e9) {
        redrive();
        lastRedrive = System.nanoTime();
      }
      Thread.sleep(1000);
    }
    console.say(
        "drain",
        "not drained within %ds: the ledger will say what is missing",
        options.drainTimeout().toSeconds());
    return Duration.between(start, Instant.now());
  }

  private long count(String sql) throws SQLException {
    try (Connection c = deployment.direct.getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private void execute(String sql) throws SQLException {
    try (Connection c = deployment.direct.getConnection();
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  private static void sleepUntil(long t0, Duration offset) {
    long wait = t0 + offset.toNanos() - System.nanoTime();
    if (wait > 0) {
      Workload.sleep(wait / 1_000_000);
    }
  }
}
