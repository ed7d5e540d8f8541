package dev.waybill.bench;

import dev.waybill.testkit.ProgramArgs;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Entry point of {@code waybill-bench.jar}: {@code java -jar waybill-bench.jar <benchmark>
 * [options]}. Each benchmark is a subcommand; {@code --help} after it lists its options. Benchmarks
 * print figures and never decide pass/fail by their exit code, except for bad arguments (exit 2)
 * and errors (exit 1).
 */
public final class Main {
  /** How the benchmarks are started, for their usage lines. */
  static final String PROGRAM = "java -jar waybill-bench.jar";

  /** A benchmark's entry point, given the arguments after the subcommand. */
  @FunctionalInterface
  interface Command {
    void run(String[] args) throws Exception;
  }

  private record Entry(String summary, Command command) {}

  private static final Map<String, Entry> COMMANDS = new LinkedHashMap<>();

  static {
    COMMANDS.put(
        "write-cost",
        new Entry(
            "cost of an outbox write in a single-row business transaction (PostgreSQL)",
            OutboxWriteCostBench::main));
    COMMANDS.put(
        "inbox-consume",
        new Entry(
            "inbox consumer with dedup vs a bare consumer + insert (PostgreSQL, Kafka)",
            InboxConsumeBench::main));
    COMMANDS.put(
        "relay-drain",
        new Entry(
            "relay backlog drain vs a bare producer, 1 and 3 relays (PostgreSQL or --db mariadb)",
            RelayDrainBench::main));
    COMMANDS.put(
        "relay-latency",
        new Entry(
            "relay commit-to-ack latency at a steady offered load (PostgreSQL, NOTIFY)",
            RelayLatencyBench::main));
    COMMANDS.put(
        "cdc-drain",
        new Entry(
            "CDC relay backlog drain vs polling relay vs bare producer (embedded PostgreSQL,"
                + " wal_level=logical)",
            CdcDrainBench::main));
    COMMANDS.put(
        "cdc-latency",
        new Entry(
            "CDC relay commit-to-receipt latency vs polling relay vs bare producer (embedded"
                + " PostgreSQL, wal_level=logical)",
            CdcLatencyBench::main));
    COMMANDS.put(
        "dlq-redrive",
        new Entry(
            "DLQ tool redrive, unthrottled and with --rate (runs dlq-tools/target/dlq.jar)",
            DlqRedriveBench::main));
  }

  private Main() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
      usage();
      System.exit(args.length == 0 ? 2 : 0);
      return;
    }
    Entry entry = COMMANDS.get(args[0]);
    if (entry == null) {
      System.err.println(
          "unknown benchmark '" + args[0] + "': expected one of " + COMMANDS.keySet());
      usage();
      System.exit(2);
      return;
    }
    try {
      entry.command().run(Arrays.copyOfRange(args, 1, args.length));
    } catch (ProgramArgs.BadArgumentsException e) {
      System.err.println(e.getMessage());
      System.exit(e.helpRequested() ? 0 : 2);
    }
  }

  private static void usage() {
    System.err.println("usage: java -jar waybill-bench.jar <benchmark> [--option value ...]");
    System.err.println("benchmarks:");
    COMMANDS.forEach((name, e) -> System.err.printf("  %-12s %s%n", name, e.summary()));
    System.err.println("run 'java -jar waybill-bench.jar <benchmark> --help' for its options");
  }
}
