package dev.waybill.relay.cli;

import com.zaxxer.hikari.HikariDataSource;
import dev.waybill.outbox.OutboxConfig;
import dev.waybill.outbox.WaybillException;
import dev.waybill.outbox.config.ConfigException;
import dev.waybill.outbox.config.Settings;
import dev.waybill.outbox.config.SettingsSources;
import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.outbox.dialect.LogicalDecodingSql;
import dev.waybill.outbox.jdbc.DataSources;
import dev.waybill.outbox.jdbc.DatabaseConnectionException;
import dev.waybill.outbox.jdbc.DatabaseSettings;
import dev.waybill.outbox.jdbc.SqlStates;
import dev.waybill.outbox.schema.MigrationResult;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.relay.Relay;
import dev.waybill.relay.RelayConfig;
import dev.waybill.relay.http.HttpEndpoint;
import dev.waybill.relay.internal.FatalError;
import dev.waybill.relay.internal.LeaseManager;
import dev.waybill.relay.internal.LogicalSlot;
import dev.waybill.relay.internal.OutboxStore;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The sidecar: {@code java -jar outbox-relay.jar run|migrate|status|doctor}. Settings come from
 * {@code --config FILE}, then {@code WAYBILL_*} environment variables, then {@code --set
 * key=value}. Exit codes: 0 success, 1 failure, 2 invalid settings or usage.
 */
@Command(
    name = "outbox-relay",
    mixinStandardHelpOptions = true,
    version = "Waybill outbox relay 0.1.0",
    description = "Publishes committed outbox rows to Kafka.",
    subcommands = {
      RelayMain.Run.class,
      RelayMain.Migrate.class,
      RelayMain.Status.class,
      DoctorCommand.class,
      AutoComplete.GenerateCompletion.class,
      CommandLine.HelpCommand.class
    })
public final class RelayMain implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;

  /**
   * Entry point; exits with the command's code.
   *
   * @param args the command line, e.g. {@code run --config relay.properties}
   */
  public static void main(String[] args) {
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "waybill-relay-logback.xml");
    }
    System.exit(execute(args));
  }

  /**
   * Runs a command line and returns the exit code.
   *
   * @param args the command line
   * @return 0 on success, 1 on failure, 2 for invalid settings or usage
   */
  public static int execute(String... args) {
    return execute(null, null, args);
  }

  /**
   * Runs a command line with the given output and error writers (null: standard streams).
   *
   * @param out where command output goes, or null for standard output
   * @param err where errors and usage go, or null for standard error
   * @param args the command line
   * @return 0 on success, 1 on failure, 2 for invalid settings or usage
   */
  public static int execute(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cl = new CommandLine(new RelayMain());
    if (out != null) {
      cl.setOut(out);
    }
    if (err != null) {
      cl.setErr(err);
    }
    cl.setExecutionExceptionHandler(
        (ex, cmd, parsed) -> {
          if (ex instanceof ConfigException) {
            cmd.getErr().println(ex.getMessage());
            return 2;
          }
          cmd.getErr().println("outbox-relay: " + ex.getMessage());
          return 1;
        });
    return cl.execute(args);
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return 2;
  }

  /** Options every command shares. */
  static class SettingsOptions {
    @Option(
        names = "--config",
        paramLabel = "FILE",
        description = "Properties file with settings (see docs/configuration.md).")
    Path config;

    @Option(
        names = "--set",
        paramLabel = "KEY=VALUE",
        description = "One setting; repeatable; wins over the file and the environment.")
    List<String> sets = new ArrayList<>();

    Settings load() {
      return SettingsSources.load(
          config, sets, System.getenv(), RelayConfig.allSettings(), List.of("kafka."));
    }
  }

  /** Reads only the db.* and outbox.* settings (migrate, status). */
  static DatabaseAndOutbox readDatabase(Settings settings) {
    Settings.Reader r = settings.reader(RelayConfig.OWNED_PREFIXES, RelayConfig.allSettings());
    DatabaseSettings db = DatabaseSettings.read(r);
    OutboxConfig outbox = OutboxConfig.read(r);
    Integer shards = r.get(RelayConfig.SHARDS);
    RelayConfig.RelayMode mode = r.get(RelayConfig.MODE);
    String slot = r.get(RelayConfig.CDC_SLOT);
    r.finish();
    return new DatabaseAndOutbox(db, outbox, shards, mode, slot);
  }

  /**
   * What migrate and status need.
   *
   * @param mode relay.mode (status shows the replication slot in CDC mode)
   * @param cdcSlot relay.cdc.slot, validated
   */
  record DatabaseAndOutbox(
      DatabaseSettings db,
      OutboxConfig outbox,
      int shards,
      RelayConfig.RelayMode mode,
      String cdcSlot) {}

  /** {@code run}: the relay. */
  @Command(
      name = "run",
      mixinStandardHelpOptions = true,
      description = {
        "Runs the relay until SIGTERM or SIGINT, then stops gracefully (finishes the in-flight",
        "batch, gives back its shard leases) and exits 0. Serves /metrics, /health/live and",
        "/health/ready on http.host:http.port. Exits 1 when the relay stops by itself after a",
        "fatal error (logged at ERROR), so that it is restarted."
      })
  static final class Run implements Callable<Integer> {
    private static final long WATCH_MILLIS = 500;

    @CommandLine.Mixin SettingsOptions options = new SettingsOptions();

    // a database that is restarting, or not up yet beside a sidecar, is waited for this long
    @Option(
        names = "--wait-for-database",
        paramLabel = "SECONDS",
        defaultValue = "60",
        description =
            "How long to wait at start for a database that cannot be reached or is restarting"
                + " (0: fail at once).")
    int waitForDatabase = 60;

    @Override
    public Integer call() throws Exception {
      if (waitForDatabase < 0) {
        throw new ConfigException(
            List.of(
                "'"
                    + waitForDatabase
                    + "' → --wait-for-database → must be 0 or more seconds (0: fail at once)"));
      }
      RelayConfig config = RelayConfig.read(options.load());
      if (config.database().poolSize() < 4) {
        throw new ConfigException(
            List.of(
                "'"
                    + config.database().poolSize()
                    + "' → db.pool.size → the relay needs at least 4 connections (claim"
                    + " thread, DELETE thread, LISTEN, lease renewals and metrics)"));
      }
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      new ClassLoaderMetrics().bindTo(registry);
      new JvmMemoryMetrics().bindTo(registry);
      new JvmGcMetrics().bindTo(registry);
      new JvmThreadMetrics().bindTo(registry);
      new ProcessorMetrics().bindTo(registry);
      new UptimeMetrics().bindTo(registry);
      CountDownLatch stop = new CountDownLatch(1);
      Signals.onTermination(stop::countDown);
      AtomicReference<String> died = new AtomicReference<>();
      // a thread of ours that dies takes the process down: never a relay that looks alive
      Thread.setDefaultUncaughtExceptionHandler(
          (thread, e) -> {
            FatalError.report(config.instanceId(), "thread " + thread.getName(), e, null);
            died.compareAndSet(null, thread.getName());
            stop.countDown();
          });
      try (HikariDataSource ds =
              DataSources.openWaiting(
                  config.database(),
                  "waybill-relay-" + config.instanceId(),
                  Duration.ofSeconds(waitForDatabase),
                  (e, left) ->
                      org.slf4j.LoggerFactory.getLogger(RelayMain.class)
                          .warn(
                              "relay {}: {}; trying again for up to {} s",
                              config.instanceId(),
                              e.getMessage(),
                              left.toSeconds()));
          Relay relay =
              Relay.builder().config(config).dataSource(ds).meterRegistry(registry).build()) {
        relay.start();
        HttpEndpoint http = null;
        if (config.httpPort() >= 0) {
          http = HttpEndpoint.start(config.httpHost(), config.httpPort(), relay, registry);
          org.slf4j.LoggerFactory.getLogger(RelayMain.class)
              .info(
                  "relay {}: /metrics, /health/live and /health/ready on {}:{}",
                  config.instanceId(),
                  config.httpHost(),
                  http.port());
        }
        try {
          while (!stop.await(WATCH_MILLIS, TimeUnit.MILLISECONDS)) {
            if (!relay.status().running()) {
              died.compareAndSet(null, "publish loop"); // it logged why at ERROR
              break;
            }
          }
        } finally {
          if (http != null) {
            http.close();
          }
        }
      }
      return died.get() == null ? 0 : 1;
    }
  }

  /** {@code migrate}: apply the outbox schema. */
  @Command(
      name = "migrate",
      mixinStandardHelpOptions = true,
      description = {
        "Applies the outbox schema (outbox table, relay tables) to db.url: idempotent, and safe",
        "when several instances run it at once."
      })
  static final class Migrate implements Callable<Integer> {
    @CommandLine.Mixin SettingsOptions options = new SettingsOptions();

    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      DatabaseAndOutbox s = readDatabase(options.load());
      try (HikariDataSource ds = DataSources.open(s.db(), "waybill-migrate")) {
        MigrationResult r =
            SchemaMigrator.builder()
                .dataSource(ds)
                .dialect(s.db().dialect())
                .tables(s.outbox().tables())
                .build()
                .migrate();
        PrintWriter out = spec.commandLine().getOut();
        out.println(
            r.applied().isEmpty()
                ? "outbox schema is up to date at version " + r.toVersion()
                : "outbox schema migrated from version "
                    + r.fromVersion()
                    + " to "
                    + r.toVersion()
                    + " (applied "
                    + r.applied()
                    + ")");
        out.flush();
      }
      return 0;
    }
  }

  /** {@code status}: backlog, parked keys, dead letters, shard owners. */
  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = {
        "Shows the backlog (pending rows, age of the oldest), parked keys, dead letters and the",
        "shard owners with their lease expiry, read from the database; with relay.mode=cdc also",
        "the replication slot (active reader, confirmed position, lag in bytes)."
      })
  static final class Status implements Callable<Integer> {
    @CommandLine.Mixin SettingsOptions options = new SettingsOptions();

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      DatabaseAndOutbox s = readDatabase(options.load());
      try (HikariDataSource ds = DataSources.open(s.db(), "waybill-status")) {
        Dialect d = s.db().dialect();
        OutboxStore store = new OutboxStore(ds, d, s.outbox().tables());
        StatusReport.Cdc cdc = null;
        if (s.mode() == RelayConfig.RelayMode.CDC) {
          LogicalDecodingSql sql =
              LogicalDecodingSql.of(d)
                  .orElseThrow(
                      () ->
                          new ConfigException(
                              List.of(
                                  "'cdc' → relay.mode → needs PostgreSQL (logical decoding); db.url"
                                      + " is not a jdbc:postgresql: URL")));
          cdc = new StatusReport.Cdc(s.cdcSlot(), LogicalSlot.state(ds, sql, s.cdcSlot()));
        }
        StatusReport report =
            new StatusReport(
                store.backlog(),
                store.parkedKeys(50),
                LeaseManager.leases(ds, d, s.outbox().tables()),
                cdc);
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? report.toJson() : report.toTable());
        out.flush();
        return 0;
      } catch (java.sql.SQLException e) {
        Optional<DatabaseConnectionException> lost = DatabaseConnectionException.find(e, s.db());
        if (lost.isPresent()) {
          throw lost.get();
        }
        if (!SqlStates.undefinedTable(e)) {
          throw new WaybillException("cannot read the relay tables (" + e.getMessage() + ")", e);
        }
        throw new WaybillException(
            "cannot read the relay tables ("
                + e.getMessage()
                + "); is the schema applied? Run: outbox-relay migrate",
            e);
      }
    }
  }
}
