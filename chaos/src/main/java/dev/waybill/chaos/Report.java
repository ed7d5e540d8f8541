package dev.waybill.chaos;

import dev.waybill.testkit.Narrator;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What the {@link Ledger} found, printed at the end of a run: counts, faults by kind, duplicates
 * and their causes, waits and recovery times, and every violation with its message ids and the
 * fault that preceded it.
 */
final class Report {
  private static final int SHOWN_PER_CHECK = 10;

  final Map<String, Object> facts = new LinkedHashMap<>();
  final Map<String, Long> counts = new LinkedHashMap<>();

  /** Relays and consumers that exited on their own (not violations: findings to read). */
  final List<String> exits = new ArrayList<>();

  /** Per fault kind: {count, longest publish recovery ms, longest apply recovery ms}. */
  final Map<FaultKind, long[]> recovery = new TreeMap<>();

  private final List<Fault> faults;
  private final List<Ledger.Violation> violations;

  Report(List<Fault> faults, List<Ledger.Violation> violations) {
    this.faults = List.copyOf(faults);
    this.violations = violations;
  }

  void count(String what, long n) {
    counts.put(what, n);
  }

  boolean passed() {
    return violations.isEmpty();
  }

  List<Ledger.Violation> violations() {
    return List.copyOf(violations);
  }

  int violationCount() {
    return violations.size();
  }

  /** The last fault that started at or before {@code t}. */
  static Optional<Fault> preceding(List<Fault> faults, Instant t) {
    return faults.stream()
        .filter(f -> !f.start().isAfter(t))
        .max(Comparator.comparing(Fault::start));
  }

  void print(Narrator out) {
    out.plain("");
    out.plain("=== chaos soak report ===");
    facts.forEach((k, v) -> out.plain("%-44s %s", k, v));
    counts.forEach((k, v) -> out.plain("%-44s %,d", k, v));
    out.plain("");
    out.plain(
        "faults: %d   (kind, count, longest time from the fault's end until every message due"
            + " by then was published / applied)",
        faults.size());
    recovery.forEach(
        (kind, r) ->
            out.plain(
                "  %-20s %3d   publish %6.1f s   apply %6.1f s",
                kind.label(), r[0], r[1] / 1000.0, r[2] / 1000.0));
    out.plain("");
    out.plain(
        "processes that exited on their own (restarted by the rig's watchdog): %d", exits.size());
    exits.forEach(e -> out.plain("  %s", e));
    out.plain("");
    if (violations.isEmpty()) {
      out.plain(
          "violations: 0   (0 lost, 0 never-committed delivered, 0 first deliveries out of order,"
              + " 0 effects out of order, 0 double effects, 0 published before their delay,"
              + " poison dead-lettered and released, outbox empty, no lease held by a dead relay)");
      return;
    }
    Map<String, List<Ledger.Violation>> byCheck = new TreeMap<>();
    for (Ledger.Violation v : violations) {
      byCheck.computeIfAbsent(v.check(), k -> new ArrayList<>()).add(v);
    }
    out.plain("violations: %d", violations.size());
    byCheck.forEach(
        (check, list) -> {
          out.plain("  %s: %d", check, list.size());
          for (Ledger.Violation v : list.subList(0, Math.min(SHOWN_PER_CHECK, list.size()))) {
            out.plain(
                "    %s %s; after fault %s",
                v.ids().isEmpty() ? "" : String.join(",", v.ids()),
                v.detail(),
                preceding(faults, v.at()).map(Fault::label).orElse("(none)"));
          }
        });
  }
}
