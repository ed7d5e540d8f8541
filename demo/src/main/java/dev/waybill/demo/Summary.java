package dev.waybill.demo;

import dev.waybill.testkit.Narrator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What the demo observed, and the checks that prove each promise from it.
 *
 * @param orders orders the shop wrote
 * @param written events committed by the shop
 * @param rolledBack transactions rolled back on purpose (one event each)
 * @param rolledBackInKafka records of the topic that belong to a rolled-back transaction (by
 *     message id or by the key of an order that never existed)
 * @param inKafka records of the orders topic at the end
 * @param published messages the relay published
 * @param outboxLeft rows left in the outbox table
 * @param duplicatesInjected records re-produced on purpose
 * @param duplicatesSkipped records the inbox skipped as duplicates
 * @param deadLettered records of the dead-letter topic
 * @param deadLetter what the dead letter is, in words
 * @param deadLetterIsPoison whether the single dead letter is the poison event
 * @param redriven records the DLQ tool sent back
 * @param poisonApplied rows of the poison event in the consumer's table at the end
 * @param applied rows in the consumer's table
 * @param appliedDistinct distinct message ids among them
 * @param keys order keys that have committed events
 * @param orderViolations keys whose applied sequence differs from their written one, described
 * @param throughputEvents events applied in the throughput window
 * @param throughputSeconds the window: first shop transaction to the last inbox commit before the
 *     redrive
 */
record Summary(
    int orders,
    long written,
    long rolledBack,
    long rolledBackInKafka,
    long inKafka,
    long published,
    long outboxLeft,
    long duplicatesInjected,
    long duplicatesSkipped,
    long deadLettered,
    String deadLetter,
    boolean deadLetterIsPoison,
    long redriven,
    long poisonApplied,
    long applied,
    long appliedDistinct,
    long keys,
    List<String> orderViolations,
    long throughputEvents,
    double throughputSeconds) {

  Summary {
    orderViolations = List.copyOf(orderViolations);
  }

  /**
   * One line of the summary.
   *
   * @param label what is counted
   * @param count the count
   * @param detail the count in words
   * @param held whether the promise held, or null for a figure that is no check
   */
  record Line(String label, long count, String detail, Boolean held) {}

  /** The summary's lines, checks and figures, in print order. */
  List<Line> lines() {
    List<Line> lines = new ArrayList<>();
    lines.add(
        new Line(
            "written",
            written,
            "events committed by the shop for " + orders + " orders, one transaction each",
            null));
    lines.add(
        new Line(
            "rolled back",
            rolledBack,
            "transactions rolled back on purpose; "
                + (rolledBackInKafka == 0 ? "none" : rolledBackInKafka)
                + " of their events in Kafka",
            rolledBack > 0 && rolledBackInKafka == 0));
    lines.add(
        new Line(
            "published",
            published,
            "by the relay"
                + (published == written ? " = written" : ", written " + written)
                + (outboxLeft == 0 ? ", outbox empty" : ", " + outboxLeft + " rows left in outbox"),
            published == written && outboxLeft == 0));
    long expectedInKafka = published + duplicatesInjected + redriven;
    lines.add(
        new Line(
            "in Kafka",
            inKafka,
            "records on "
                + Shop.TOPIC
                + (inKafka == expectedInKafka ? " = " : ", expected ")
                + published
                + " published + "
                + duplicatesInjected
                + " duplicates + "
                + redriven
                + " redriven",
            inKafka == expectedInKafka));
    lines.add(
        new Line(
            "duplicates",
            duplicatesSkipped,
            "skipped by the inbox; " + duplicatesInjected + " re-produced on purpose",
            duplicatesInjected > 0 && duplicatesSkipped >= duplicatesInjected));
    lines.add(
        new Line(
            "dead-lettered", deadLettered, deadLetter, deadLettered == 1 && deadLetterIsPoison));
    lines.add(
        new Line(
            "redriven",
            redriven,
            "by the DLQ tool after the fix; applied " + poisonApplied + " time(s)",
            redriven == 1 && poisonApplied == 1));
    lines.add(
        new Line(
            "applied",
            applied,
            (applied == written ? "= written" : "written " + written)
                + ", "
                + (appliedDistinct == applied
                    ? "each message id once"
                    : (applied - appliedDistinct) + " message ids applied twice"),
            applied == written && appliedDistinct == written));
    lines.add(
        new Line(
            "per-key order",
            keys - orderViolations.size(),
            "of "
                + keys
                + " keys applied in the order their events were written"
                + (orderViolations.isEmpty()
                    ? ""
                    : "; not: " + String.join("; ", firstViolations())),
            orderViolations.isEmpty()));
    lines.add(
        new Line(
            "throughput",
            Math.round(throughputEvents / Math.max(throughputSeconds, 1e-3)),
            String.format(
                Locale.ROOT,
                "msg/s end to end: %d events from the first shop transaction to their inbox commit"
                    + " in %.2f s",
                throughputEvents,
                throughputSeconds),
            null));
    return lines;
  }

  private List<String> firstViolations() {
    return orderViolations.subList(0, Math.min(3, orderViolations.size()));
  }

  /** The checks that failed: label and detail. */
  List<String> failed() {
    List<String> failed = new ArrayList<>();
    for (Line l : lines()) {
      if (Boolean.FALSE.equals(l.held())) {
        failed.add(l.label() + " (" + l.count() + " " + l.detail() + ")");
      }
    }
    return failed;
  }

  long checks() {
    return lines().stream().filter(l -> l.held() != null).count();
  }

  /** Prints the summary and the verdict. */
  void print(Narrator console) {
    console.plain("");
    console.plain("Summary");
    for (Line l : lines()) {
      console.plain(
          "  %-14s %6d  %s%s",
          l.label(), l.count(), l.detail(), l.held() == null ? "" : l.held() ? "  ok" : "  FAILED");
    }
    List<String> failed = failed();
    if (failed.isEmpty()) {
      console.plain("All %d checks held.", checks());
    } else {
      console.plain(
          "FAILED: %d of %d checks: %s", failed.size(), checks(), String.join("; ", failed));
    }
  }
}
