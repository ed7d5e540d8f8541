package dev.waybill.chaos;

import dev.waybill.outbox.config.Setting;
import dev.waybill.outbox.config.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The rig's options, {@code --name value}: each declared once as a {@link Setting} (type, default,
 * range, doc), read all at once so every problem is reported together.
 *
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
 */
record ChaosOptions(
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
    Path dlqJar) {

  static final Setting<String> SEED =
      Setting.string("chaos.seed", "", "Seed of the run (a long); empty: a random one, printed.");
  static final Setting<Duration> DURATION =
      Setting.duration(
          "chaos.duration",
          "2m",
          Duration.ofSeconds(20),
          Duration.ofHours(2),
          "How long the writers write and the faults hit.");
  static final Setting<Integer> FAULTS =
      Setting.integer(
          "chaos.faults", 0, 0, 100_000, "Faults in the plan; 0: one per 12 s of duration.");
  static final Setting<Integer> RATE =
      Setting.integer("chaos.rate", 40, 1, 100_000, "Messages per second offered by all writers.");
  static final Setting<Integer> WRITERS =
      Setting.integer("chaos.writers", 4, 1, 64, "Writer threads (Java writer and plain SQL).");
  static final Setting<Integer> KEYS =
      Setting.integer("chaos.keys", 200, 1, 100_000, "Message keys, besides the poison ones.");
  static final Setting<Duration> DRAIN =
      Setting.duration(
          "chaos.drain.timeout",
          "120s",
          Duration.ofSeconds(10),
          Duration.ofHours(1),
          "Longest wait after the chaos for everything to be delivered and applied.");
  static final Setting<String> WORK =
      Setting.string(
          "chaos.work.dir",
          "chaos/target/chaos-runs",
          "Parent of the run's data and logs directory.");
  static final Setting<String> PG_BINARIES =
      Setting.string(
          "chaos.pg.binaries", "chaos/target/embedded-pg", "Cache of the PostgreSQL binaries.");
  static final Setting<String> RELAY_JAR =
      Setting.string(
          "chaos.relay.jar", "outbox-relay/target/outbox-relay.jar", "The relay sidecar jar.");
  static final Setting<String> DLQ_JAR =
      Setting.string("chaos.dlq.jar", "dlq-tools/target/dlq.jar", "The DLQ tool jar.");

  static final List<Setting<?>> ALL =
      List.of(
          SEED,
          DURATION,
          FAULTS,
          RATE,
          WRITERS,
          KEYS,
          DRAIN,
          WORK,
          PG_BINARIES,
          RELAY_JAR,
          DLQ_JAR);

  /**
   * Reads {@code --name value} or {@code --name=value} arguments.
   *
   * @throws IllegalArgumentException listing every problem, or the usage for {@code --help}
   */
  static ChaosOptions parse(String[] args) {
    Map<String, String> values = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--help") || a.equals("-h")) {
        throw new IllegalArgumentException(usage());
      }
      if (!a.startsWith("--")) {
        problems.add("'" + a + "' → argument " + (i + 1) + " → expected --name value");
        continue;
      }
      String name = a.substring(2);
      String value;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        problems.add("(missing) → --" + name + " → expected a value");
        continue;
      }
      String key = "chaos." + name;
      if (ALL.stream().noneMatch(s -> s.key().equals(key))) {
        problems.add("'" + a + "' → option → unknown; see --help");
        continue;
      }
      values.put(key, value);
    }
    Settings.Reader r = Settings.of(values).reader();
    String seedText = r.get(SEED);
    long seed = new Random().nextLong();
    if (seedText != null && !seedText.isBlank()) {
      try {
        seed = Long.parseLong(seedText.trim());
      } catch (NumberFormatException e) {
        r.problem("'" + seedText + "' → --seed → expected a whole number (a long)");
      }
    }
    Duration duration = r.get(DURATION);
    Integer faults = r.get(FAULTS);
    Integer rate = r.get(RATE);
    Integer writers = r.get(WRITERS);
    Integer keys = r.get(KEYS);
    Duration drain = r.get(DRAIN);
    String work = r.get(WORK);
    String binaries = r.get(PG_BINARIES);
    String relayJar = r.get(RELAY_JAR);
    String dlqJar = r.get(DLQ_JAR);
    problems.forEach(r::problem);
    for (String[] jar : new String[][] {{relayJar, "relay.jar"}, {dlqJar, "dlq.jar"}}) {
      if (jar[0] != null && !Path.of(jar[0]).toFile().isFile()) {
        r.problem(
            "'"
                + jar[0]
                + "' → --"
                + jar[1]
                + " → no such file: build it with mvn -B package -DskipTests, or give its path");
      }
    }
    try {
      r.finish();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          e.getMessage().replace(" chaos.", " --") + "\n\n" + usage(), e);
    }
    int planned = faults == 0 ? (int) Math.max(1, duration.toSeconds() / 12) : faults;
    String runName =
        String.format(
            Locale.ROOT, "run-%s-%d", Instant.now().toString().replaceAll("[:.]", ""), seed);
    return new ChaosOptions(
        seed,
        duration,
        planned,
        rate,
        writers,
        keys,
        drain,
        Path.of(work).toAbsolutePath().resolve(runName),
        Path.of(binaries).toAbsolutePath(),
        Path.of(relayJar).toAbsolutePath(),
        Path.of(dlqJar).toAbsolutePath());
  }

  static String usage() {
    StringBuilder b =
        new StringBuilder(
            "usage: java -jar chaos/target/waybill-chaos.jar [--name value]...\n"
                + "(run from the repository root; chaos/run.sh does)\n\n");
    for (Setting<?> s : ALL) {
      b.append(
          String.format(
              Locale.ROOT,
              "  --%-14s %s (default: %s)%n",
              s.key().substring("chaos.".length()),
              s.doc(),
              s.defaultText().filter(d -> !d.isEmpty()).orElse("none")));
    }
    return b.toString();
  }
}
