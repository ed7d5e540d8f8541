package dev.waybill.relay.cli;

import com.zaxxer.hikari.HikariDataSource;
import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.outbox.jdbc.SqlIdentifier;
import dev.waybill.relay.RelayConfig;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code doctor}: checks, with the relay's settings, everything its mode needs before it starts,
 * and prints one line per check (ok, warning, failed, with the fix). Reads only: creates no table,
 * slot, publication or topic. Exit 0 when nothing failed (warnings allowed), 1 when a check failed,
 * 2 for invalid settings.
 */
@Command(
    name = "doctor",
    mixinStandardHelpOptions = true,
    description = {
      "Checks what the configured relay needs, with its settings: the database (reachable, schema",
      "version, the tables and columns the relay uses, the role's privileges per",
      "docs/security.md), for relay.mode=cdc the logical decoding prerequisites (wal_level,",
      "slots, REPLICATION, slot, publication, WAL held), and Kafka (reachable, credentials, the",
      "topics of pending messages, write permission, min.insync.replicas). Prints ok, warning or",
      "failed with the fix for each; exits 1 when a check failed, else 0. Changes nothing."
    })
final class DoctorCommand implements Callable<Integer> {
  /** Default of {@code --slot-lag-warning}: 1 GiB. */
  static final long DEFAULT_SLOT_LAG_WARNING = 1L << 30;

  /** At most this many topics of pending messages are checked. */
  static final int MAX_TOPICS = 100;

  @CommandLine.Mixin RelayMain.SettingsOptions options = new RelayMain.SettingsOptions();

  @Option(names = "--json", description = "Print JSON instead of a table.")
  boolean json;

  @Option(
      names = "--slot-lag-warning",
      paramLabel = "BYTES",
      defaultValue = "1073741824",
      description = "CDC: warn when the replication slot holds more WAL than this (bytes).")
  long slotLagWarning = DEFAULT_SLOT_LAG_WARNING;

  @Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    RelayConfig config = RelayConfig.read(options.load());
    DoctorReport report = run(config, slotLagWarning);
    PrintWriter out = spec.commandLine().getOut();
    out.print(json ? report.toJson() : report.toTable());
    out.flush();
    return report.passed() ? 0 : 1;
  }

  /** Runs every check of the configured mode. */
  static DoctorReport run(RelayConfig config, long slotLagWarning) {
    List<DoctorCheck> checks = new ArrayList<>();
    boolean cdc = config.mode() == RelayConfig.RelayMode.CDC;
    List<String> topics = List.of();
    Optional<HikariDataSource> opened = DatabaseChecks.connect(config, checks);
    if (opened.isPresent()) {
      try (HikariDataSource ds = opened.get()) {
        Dialect dialect = config.database().dialect();
        var tables = config.outbox().tables();
        Set<String> present = DatabaseChecks.schema(ds, dialect, tables, cdc, checks);
        PrivilegeChecks.check(ds, dialect, tables, cdc, present, checks);
        if (cdc) {
          CdcChecks.check(ds, config, slotLagWarning, checks);
        }
        if (present.contains(tables.outboxTable().sql())) {
          topics = pendingTopics(ds, tables.outboxTable(), checks);
        }
      }
    }
    KafkaChecks.check(config, topics, checks);
    return new DoctorReport(checks);
  }

  /** The distinct topics of the rows in the outbox table (at most {@value #MAX_TOPICS}). */
  private static List<String> pendingTopics(
      HikariDataSource ds, SqlIdentifier outbox, List<DoctorCheck> checks) {
    List<String> topics = new ArrayList<>();
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT DISTINCT topic FROM "
                    + outbox.sql()
                    + " ORDER BY topic LIMIT "
                    + (MAX_TOPICS + 1))) {
      while (rs.next()) {
        topics.add(rs.getString(1));
      }
    } catch (SQLException e) {
      checks.add(
          DoctorCheck.warning(
              DatabaseChecks.GROUP,
              "pending topics",
              "cannot read the topics of pending messages: " + e.getMessage(),
              "grant the relay's role SELECT on " + outbox.sql()));
      return List.of();
    }
    if (topics.size() > MAX_TOPICS) {
      topics = topics.subList(0, MAX_TOPICS);
      checks.add(
          DoctorCheck.warning(
              DatabaseChecks.GROUP,
              "pending topics",
              "more than " + MAX_TOPICS + " topics have pending messages; the first are checked",
              "none"));
    }
    return topics;
  }
}
