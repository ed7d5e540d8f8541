package dev.waybill.chaos;

import dev.waybill.outbox.config.Setting;
import dev.waybill.testkit.ProgramArgs;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The rig's options, {@code --name value}: each declared once with its default and description,
 * read all at once so every problem is reported together.
 *
 * @param db the database: the rig's own PostgreSQL server or the machine's MariaDB
 * @param cdc whether the relays are CDC relays (one reads the slot, one stands by) instead of 3
 *     polling relays
 * @param seed the seed of the fault plan and the writers' choices
 * @param duration how long the writers write and the faults hit
 * @param faults how many faults the plan holds
 * @param rate messages per second offered by all writers together
 * @param writers writer threads
 * @param keys message keys (aggregates) besides the poison ones
 * @param drainTimeout longest wait, after the chaos, for everything to be delivered and applied
 * @param workDir where the servers' data and the processes' logs go
 * @param postgresBinaries the embedded PostgreSQL binaries' cache
 * @param relayJar the relay sidecar jar
 * @param dlqJar the DLQ tool jar
 * @param relaySettings more {@code --set} settings for every relay, overriding the rig's
 */
record ChaosOptions(
    RigDatabase db,
    boolean cdc,
    long seed,
    Duration duration,
    int faults,
    double rate,
    int writers,
    int keys,
    Duration drainTimeout,
    Path workDir,
    Path postgresBinaries,
    Path relayJar,
    Path dlqJar,
    Map<String, String> relaySettings) {

  /**
   * Reads {@code --name value} or {@code --name=value} arguments.
   *
   * @throws ProgramArgs.BadArgumentsException listing every problem, or with the usage for {@code
   *     --help}
   */
  static ChaosOptions parse(String[] args) {
    ProgramArgs a =
        new ProgramArgs("java -jar chaos/target/waybill-chaos.jar", "")
            .option(
                "db",
                "postgres",
                "postgres: the rig's own PostgreSQL server; mariadb: the machine's MariaDB at"
                    + " 127.0.0.1:3306 (proxy faults only)")
            .option(
                "relay",
                "polling",
                "polling: 3 polling relays; cdc: a CDC relay and a standby (PostgreSQL slot)")
            .option("seed", "", "seed of the run (a long); empty: a random one, printed")
            .option("duration", "2m", "how long the writers write and the faults hit")
            .option("faults", "0", "faults in the plan; 0: one per 12 s of duration")
            .option("rate", "40", "messages per second offered by all writers")
            .option("writers", "4", "writer threads (Java writer and plain SQL)")
            .option("keys", "200", "message keys, besides the poison ones")
            .option(
                "drain.timeout",
                "120s",
                "longest wait after the chaos for everything to be delivered and applied")
            .option("work.dir", "chaos/target/chaos-runs", "parent of each run's data and logs")
            .option("pg.binaries", "chaos/target/embedded-pg", "cache of the PostgreSQL binaries")
            .option("relay.jar", "outbox-relay/target/outbox-relay.jar", "the relay sidecar jar")
            .option("dlq.jar", "dlq-tools/target/dlq.jar", "the DLQ tool jar")
            .option(
                "relay.set",
                "",
                "more relay settings, key=value[,key=value...], e.g. relay.failure.mode=skip to"
                    + " see the ledger catch a relay that breaks a promise")
            .parse(args);
    long seed = new Random().nextLong();
    String seedText = a.string("seed").trim();
    if (!seedText.isEmpty()) {
      try {
        seed = Long.parseLong(seedText);
      } catch (NumberFormatException e) {
        a.problem("'" + seedText + "' → --seed → expected a whole number (a long)");
      }
    }
    String relay = a.string("relay");
    if (!relay.equals("polling") && !relay.equals("cdc")) {
      a.problem("'" + relay + "' → --relay → expected polling or cdc");
    }
    String dbName = a.string("db");
    RigDatabase db = RigDatabase.POSTGRES;
    if (dbName.equals("mariadb")) {
      db = RigDatabase.MARIADB;
      if (relay.equals("cdc")) {
        a.problem("'cdc' → --relay → the CDC relay needs PostgreSQL: use --db postgres");
      }
    } else if (!dbName.equals("postgres")) {
      a.problem("'" + dbName + "' → --db → expected postgres or mariadb");
    }
    Duration duration = duration(a, "duration", Duration.ofSeconds(20), Duration.ofHours(2));
    int faults = a.integer("faults", 0, 100_000);
    int rate = a.integer("rate", 1, 100_000);
    int writers = a.integer("writers", 1, 64);
    int keys = a.integer("keys", 1, 100_000);
    Duration drain = duration(a, "drain.timeout", Duration.ofSeconds(10), Duration.ofHours(1));
    for (String jar : List.of("relay.jar", "dlq.jar")) {
      if (!Path.of(a.string(jar)).toFile().isFile()) {
        a.problem(
            "'"
                + a.string(jar)
                + "' → --"
                + jar
                + " → no such file: build it (mvn -B package -DskipTests) or give its path");
      }
    }
    Map<String, String> relaySettings = new LinkedHashMap<>();
    for (String kv : a.string("relay.set").split(",")) {
      if (kv.isBlank()) {
        continue;
      }
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        a.problem("'" + kv + "' → --relay.set → expected key=value[,key=value...]");
      } else {
        relaySettings.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
      }
    }
    a.requireValid();
    int planned = faults == 0 ? (int) Math.max(1, duration.toSeconds() / 12) : faults;
    String runName =
        String.format(
            Locale.ROOT,
            "run-%s-%s-%s-%d",
            Instant.now().toString().replaceAll("[:.]", ""),
            dbName,
            relay,
            seed);
    return new ChaosOptions(
        db,
        relay.equals("cdc"),
        seed,
        duration,
        planned,
        rate,
        writers,
        keys,
        drain,
        Path.of(a.string("work.dir")).toAbsolutePath().resolve(runName),
        Path.of(a.string("pg.binaries")).toAbsolutePath(),
        Path.of(a.string("relay.jar")).toAbsolutePath(),
        Path.of(a.string("dlq.jar")).toAbsolutePath(),
        Map.copyOf(relaySettings));
  }

  /**
   * A duration option, parsed as the project's settings parse durations ({@code 90s}, {@code 2m}).
   */
  private static Duration duration(ProgramArgs a, String name, Duration min, Duration max) {
    String raw = a.string(name);
    try {
      return Setting.duration("chaos." + name, raw, min, max, name).parse(raw);
    } catch (IllegalArgumentException e) {
      a.problem("'" + raw + "' → --" + name + " → " + e.getMessage());
      return min;
    }
  }
}
