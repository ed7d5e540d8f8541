package dev.waybill.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Runs the demo's entry point in this JVM, on its own embedded PostgreSQL and in-process broker,
 * and checks the summary's counts against what the shop's rules say they must be (counted here
 * independently), not only the demo's own verdict.
 */
class DemoIT {
  static final int ORDERS = 100;
  static final Pattern SUMMARY_LINE = Pattern.compile("^ {2}(\\S.*?)\\s{2,}(\\d+) {2}.*$");
  static final Pattern DIRECTORY = Pattern.compile("deleted (\\S+)$", Pattern.MULTILINE);

  @Test
  void runsThePipelineEndToEndAndEveryCountIsTheExpectedOne() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();

    int exit =
        DemoMain.execute(
            new PrintWriter(out),
            new PrintWriter(err),
            "--orders",
            String.valueOf(ORDERS),
            "--http-port",
            "0");

    String text = out.toString();
    assertThat(exit).as("exit code; output:%n%s%n%s", text, err).isZero();
    Map<String, Long> counts = summary(text);

    long placementsRolledBack = count(i -> i % 20 == 3); // orders 3, 23, 43, 63, 83
    long shipmentsRolledBack = count(i -> i % 25 == 11); // orders 11, 36, 61, 86
    long written = 3 * (ORDERS - placementsRolledBack) - shipmentsRolledBack;
    long duplicates = count(i -> i % 10 == 5); // the OrderPaid of orders 5, 15, ..., 95

    assertThat(written).isEqualTo(281);
    assertThat(counts)
        .containsEntry("written", written)
        .containsEntry("rolled back", placementsRolledBack + shipmentsRolledBack)
        .containsEntry("published", written)
        .containsEntry("in Kafka", written + duplicates + 1)
        .containsEntry("duplicates", duplicates)
        .containsEntry("dead-lettered", 1L)
        .containsEntry("redriven", 1L)
        .containsEntry("applied", written)
        .containsEntry("per-key order", ORDERS - placementsRolledBack);
    assertThat(counts.get("duplicates")).isPositive();
    assertThat(counts.get("throughput")).isPositive();
    assertThat(text)
        .contains("transactions rolled back on purpose; none of their events in Kafka  ok")
        .contains("order-00007 OrderShipped (retries-exhausted after 3 attempts")
        .containsPattern("GET http://localhost:\\d+/health → 200 \\{\"status\":\"UP\"")
        .containsPattern("GET http://localhost:\\d+/metrics → 200, \\d+ waybill_\\* samples")
        .contains("All 8 checks held.")
        .doesNotContain("FAILED");
    Matcher directory = DIRECTORY.matcher(text);
    assertThat(directory.find()).as("the demo names its directory").isTrue();
    assertThat(Files.exists(Path.of(directory.group(1))))
        .as("%s is deleted", directory.group(1))
        .isFalse();
  }

  private static long count(java.util.function.IntPredicate rule) {
    return IntStream.rangeClosed(1, ORDERS).filter(rule).count();
  }

  /** The summary's lines as label → count. */
  private static Map<String, Long> summary(String text) {
    Map<String, Long> counts = new HashMap<>();
    String summary = text.substring(text.indexOf("\nSummary\n") + 1);
    for (String line : summary.lines().toList()) {
      Matcher m = SUMMARY_LINE.matcher(line);
      if (m.matches()) {
        counts.put(m.group(1), Long.parseLong(m.group(2)));
      }
    }
    return counts;
  }
}
