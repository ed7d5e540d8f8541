package dev.waybill.chaos;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The end-of-run check of what {@link Observations} read from the database and the topics (never
 * from the programs' counters) against the promises: pure, so each check is unit-tested on its own
 * (LedgerTest).
 */
final class Ledger {
  private Ledger() {}

  record Written(
      String id,
      String key,
      int seq,
      Workload.Kind kind,
      Instant availableAt,
      Instant committedAt) {
    Instant due() {
      return availableAt != null && availableAt.isAfter(committedAt) ? availableAt : committedAt;
    }
  }

  record Delivered(int partition, long offset, Instant timestamp, String key, String id) {}

  record Effect(long appliedSeq, String id, String key, int seq, Instant appliedAt) {}

  /**
   * A broken promise.
   *
   * @param check which check found it
   * @param ids the message ids involved
   * @param at when it happened (for the preceding fault)
   * @param detail what was seen
   */
  record Violation(String check, List<String> ids, Instant at, String detail) {}

  /**
   * What the database and the topics hold at the end of a run.
   *
   * @param written {@code chaos_written} by message id: every committed message
   * @param effects {@code chaos_effect} in the order the rows were inserted
   * @param delivered every record of the topic
   * @param deadLettered every record of the consumer's dead-letter topic
   * @param relayDead the relay's dead letters (message id → when it failed), as captured before the
   *     rig discarded them
   * @param relayDeadParking those of them that parked their key
   * @param fixedAt when the consumer's fix was deployed, or null
   * @param relayFixedAt when the relay's dead letters were first discarded, or null
   * @param outboxLeft rows still in the outbox
   * @param deadLetterLeft rows still in the outbox's dead-letter table
   * @param leasesOfDead unexpired leases whose owner is no running relay
   * @param exits relays and consumers that exited although nothing stopped them
   */
  record Observed(
      Map<String, Written> written,
      List<Effect> effects,
      List<Delivered> delivered,
      List<Delivered> deadLettered,
      Map<String, Instant> relayDead,
      Set<String> relayDeadParking,
      Instant fixedAt,
      Instant relayFixedAt,
      List<String> outboxLeft,
      List<String> deadLetterLeft,
      List<String> leasesOfDead,
      List<ChildProcess.Exit> exits) {}

  /** Checks what was observed against the promises; pure, so it is unit-tested on its own. */
  static Report judge(Observed o, List<Fault> faults, Map<String, Object> facts) {
    Map<String, Written> written = o.written();
    List<Effect> effects = o.effects();
    List<Delivered> delivered = new ArrayList<>(o.delivered());
    List<Delivered> deadLettered = o.deadLettered();
    Map<String, Instant> relayDead = o.relayDead();
    Set<String> relayDeadParking = o.relayDeadParking();
    Instant fixedAt = o.fixedAt();
    Instant relayFixedAt = o.relayFixedAt();
    List<Violation> violations = new ArrayList<>();
    Report report = new Report(faults, violations);
    report.facts.putAll(facts);

    // what was delivered: first delivery of each id, and the copies
    delivered.sort(
        Comparator.comparingInt(Delivered::partition).thenComparingLong(Delivered::offset));
    Map<String, Delivered> first = new HashMap<>();
    List<Delivered> copies = new ArrayList<>();
    Map<String, Integer> lastFirstSeq = new HashMap<>();
    Map<String, String> lastFirstId = new HashMap<>();
    for (Delivered d : delivered) {
      if (d.id() == null) {
        violations.add(
            new Violation(
                "record-without-id",
                List.of(),
                d.timestamp(),
                "partition " + d.partition() + " offset " + d.offset() + " has no ce_id"));
        continue;
      }
      if (first.putIfAbsent(d.id(), d) != null) {
        copies.add(d);
        continue;
      }
      Written w = written.get(d.id());
      if (w == null) {
        violations.add(
            new Violation(
                "delivered-but-never-committed",
                List.of(d.id()),
                d.timestamp(),
                "key " + d.key() + ": no committed transaction wrote it (rolled back or failed)"));
        continue;
      }
      if (w.kind().relayPoison()) {
        violations.add(
            new Violation(
                "poison-published", List.of(w.id()), d.timestamp(), "a " + w.kind() + " message"));
      }
      // a delayed message is passed by the later messages of its key while it is not due (the
      // relay claims due rows only): it takes no part in the key's order
      Integer last = lastFirstSeq.get(w.key());
      if (w.availableAt() == null && last != null && w.seq() < last) {
        violations.add(
            new Violation(
                "first-delivery-out-of-order",
                List.of(lastFirstId.get(w.key()), w.id()),
                d.timestamp(),
                "key "
                    + w.key()
                    + ": seq "
                    + w.seq()
                    + " ("
                    + w.kind()
                    + ") first delivered after seq "
                    + last));
      } else if (w.availableAt() == null) {
        lastFirstSeq.put(w.key(), w.seq());
        lastFirstId.put(w.key(), w.id());
      }
      if (w.availableAt() != null
          && d.timestamp().toEpochMilli() < w.availableAt().toEpochMilli()) {
        violations.add(
            new Violation(
                "published-before-delay",
                List.of(w.id()),
                d.timestamp(),
                "published at " + d.timestamp() + ", not before " + w.availableAt()));
      }
    }

    // committed → delivered (unless a relay poison, which must be dead-lettered instead)
    Map<Workload.Kind, Integer> byKind = new TreeMap<>();
    Instant tooLargeFailedAt = null;
    Map<String, Integer> relayPoisonSeq = new HashMap<>();
    for (Written w : written.values()) {
      byKind.merge(w.kind(), 1, Integer::sum);
      if (w.kind().relayPoison()) {
        if (!relayDead.containsKey(w.id())) {
          violations.add(
              new Violation(
                  "poison-not-dead-lettered",
                  List.of(w.id()),
                  w.committedAt(),
                  "the relay never dead-lettered this " + w.kind() + " message"));
        }
        if (w.kind() == Workload.Kind.RELAY_TOO_LARGE) {
          relayPoisonSeq.put(w.key(), w.seq());
          tooLargeFailedAt = relayDead.get(w.id());
        }
      } else if (!first.containsKey(w.id())) {
        violations.add(
            new Violation(
                "lost",
                List.of(w.id()),
                w.committedAt(),
                "committed (key " + w.key() + ", seq " + w.seq() + ") but never delivered"));
      }
    }
    for (String id : relayDead.keySet()) {
      Written w = written.get(id);
      if (w == null || !w.kind().relayPoison()) {
        violations.add(
            new Violation(
                "unexpected-relay-dead-letter",
                List.of(id),
                relayDead.get(id),
                "the relay dead-lettered a message that is not poison"));
      }
    }
    // a parked key: the too-large message's followers wait until its dead letter is discarded
    for (Written w : written.values()) {
      Integer poisonSeq = relayPoisonSeq.get(w.key());
      Delivered d = first.get(w.id());
      if (poisonSeq != null
          && w.seq() > poisonSeq
          && d != null
          && relayFixedAt != null
          && d.timestamp().isBefore(relayFixedAt)) {
        violations.add(
            new Violation(
                "parked-key-leaked",
                List.of(w.id()),
                d.timestamp(),
                "key " + w.key() + " published before its dead letter was discarded"));
      }
    }

    // effects: exactly once, in write order per key, poison only after the fix
    Map<String, Integer> effectCount = new HashMap<>();
    Map<String, Integer> lastEffectSeq = new HashMap<>();
    Map<String, Effect> firstEffect = new HashMap<>();
    for (Effect e : effects) {
      int n = effectCount.merge(e.id(), 1, Integer::sum);
      if (n > 1) {
        violations.add(
            new Violation(
                "double-effect",
                List.of(e.id()),
                e.appliedAt(),
                "applied " + n + " times (key " + e.key() + ", seq " + e.seq() + ")"));
        continue;
      }
      firstEffect.put(e.id(), e);
      if (!written.containsKey(e.id())) {
        violations.add(
            new Violation(
                "applied-but-never-committed", List.of(e.id()), e.appliedAt(), "key " + e.key()));
      }
      Written ew = written.get(e.id());
      boolean delayed = ew != null && ew.availableAt() != null;
      // as for first deliveries: a delayed message takes no part in its key's order
      Integer last = lastEffectSeq.get(e.key());
      if (!delayed && last != null && e.seq() < last) {
        violations.add(
            new Violation(
                "effect-out-of-order",
                List.of(e.id()),
                e.appliedAt(),
                "key " + e.key() + ": seq " + e.seq() + " applied after seq " + last));
      } else if (!delayed) {
        lastEffectSeq.put(e.key(), e.seq());
      }
    }
    Map<String, Integer> consumerPoisonSeq = new HashMap<>();
    for (Written w : written.values()) {
      if (w.kind() == Workload.Kind.CONSUMER_POISON) {
        consumerPoisonSeq.merge(w.key(), w.seq(), Math::min);
      }
    }
    for (Written w : written.values()) {
      if (w.kind().relayPoison()) {
        continue;
      }
      Effect e = firstEffect.get(w.id());
      if (e == null) {
        if (first.containsKey(w.id())) {
          violations.add(
              new Violation(
                  "delivered-but-never-applied",
                  List.of(w.id()),
                  first.get(w.id()).timestamp(),
                  "key " + w.key() + ", seq " + w.seq()));
        }
        continue;
      }
      Integer poisonSeq = consumerPoisonSeq.get(w.key());
      if (poisonSeq != null
          && w.seq() >= poisonSeq
          && fixedAt != null
          && e.appliedAt().isBefore(fixedAt)) {
        violations.add(
            new Violation(
                w.seq() == poisonSeq ? "poison-applied-before-fix" : "parked-key-leaked",
                List.of(w.id()),
                e.appliedAt(),
                "key " + w.key() + ", seq " + w.seq() + " applied before the fix"));
      }
    }

    // the consumer's dead letters
    Set<String> deadIds = new HashSet<>();
    int poisonDead = 0;
    int parkedDead = 0;
    for (Delivered d : deadLettered) {
      if (d.id() == null || !deadIds.add(d.id())) {
        continue;
      }
      Written w = written.get(d.id());
      if (w == null || !Workload.isPoisonKey(w.key())) {
        violations.add(
            new Violation(
                "unexpected-consumer-dead-letter",
                d.id() == null ? List.of() : List.of(d.id()),
                d.timestamp(),
                "key " + d.key() + " is not a poison key"));
      } else if (w.kind() == Workload.Kind.CONSUMER_POISON) {
        poisonDead++;
      } else {
        parkedDead++;
      }
    }
    for (Written w : written.values()) {
      if (w.kind() == Workload.Kind.CONSUMER_POISON && !deadIds.contains(w.id())) {
        violations.add(
            new Violation(
                "poison-not-dead-lettered",
                List.of(w.id()),
                w.committedAt(),
                "the consumer never dead-lettered this poison event"));
      }
    }

    // what must be left at the end: nothing
    for (String row : o.outboxLeft()) {
      violations.add(new Violation("outbox-not-empty", List.of(), Instant.now(), row));
    }
    for (String row : o.deadLetterLeft()) {
      violations.add(new Violation("outbox-dead-letter-left", List.of(), Instant.now(), row));
    }
    for (String lease : o.leasesOfDead()) {
      violations.add(new Violation("lease-held-by-dead-relay", List.of(), Instant.now(), lease));
    }

    // figures
    for (ChildProcess.Exit e : o.exits()) {
      report.exits.add(
          e.instance()
              + " exit code "
              + e.exitCode()
              + " at "
              + e.at()
              + "; after fault "
              + Report.preceding(faults, e.at()).map(Fault::label).orElse("(none)"));
    }
    report.count("messages committed", written.size());
    byKind.forEach((k, n) -> report.count("  of kind " + k.name().toLowerCase(Locale.ROOT), n));
    report.count("records in " + Workload.TOPIC, delivered.size());
    report.count("distinct messages delivered", first.size());
    report.count("duplicate records (total)", copies.size());
    Map<String, Integer> duplicateCauses = new TreeMap<>();
    for (Delivered d : copies) {
      duplicateCauses.merge(explain(d, faults, fixedAt), 1, Integer::sum);
    }
    duplicateCauses.forEach((why, n) -> report.count("  after " + why, n));
    report.count("effects applied", effects.size());
    report.count("consumer dead letters: poison", poisonDead);
    report.count("consumer dead letters: parked behind poison", parkedDead);
    report.count("relay dead letters (discarded by the fix)", relayDead.size());
    report.count("  of them parking their key", relayDeadParking.size());
    if (tooLargeFailedAt != null) {
      report.facts.put("too-large message dead-lettered at", tooLargeFailedAt);
    }
    waits(written, first, firstEffect, faults, report);
    return report;
  }

  /** Why a copy was published again: a redrive, or the fault just before it. */
  private static String explain(Delivered copy, List<Fault> faults, Instant fixedAt) {
    Optional<Fault> before = Report.preceding(faults, copy.timestamp());
    if (fixedAt != null && copy.timestamp().isAfter(fixedAt) && Workload.isPoisonKey(copy.key())) {
      return "the DLQ redrive";
    }
    return before.map(f -> f.kind().label()).orElse("no fault (before the first)");
  }

  /** Longest wait across a fault, and the time to recover after each kind of fault. */
  private static void waits(
      Map<String, Written> written,
      Map<String, Delivered> first,
      Map<String, Effect> effects,
      List<Fault> faults,
      Report report) {
    List<Written> normal = new ArrayList<>();
    for (Written w : written.values()) {
      if (!Workload.isPoisonKey(w.key()) && first.containsKey(w.id())) {
        normal.add(w);
      }
    }
    normal.sort(Comparator.comparing(Written::due));
    long longest = -1;
    String longestWhat = "";
    for (Written w : normal) {
      Instant published = first.get(w.id()).timestamp();
      long wait = Duration.between(w.due(), published).toMillis();
      if (wait > longest) {
        for (Fault f : faults) {
          if (!f.start().isAfter(published) && !f.end().isBefore(w.due())) {
            longest = wait;
            longestWhat = w.id() + " (key " + w.key() + ") during " + f.label();
            break;
          }
        }
      }
    }
    if (longest >= 0) {
      report.facts.put(
          "longest wait commit→publish across a fault", longest / 1000.0 + " s: " + longestWhat);
    }
    // prefix maxima over messages ordered by due time
    int n = normal.size();
    Instant[] due = new Instant[n];
    Instant[] maxPublished = new Instant[n];
    Instant[] maxApplied = new Instant[n];
    for (int i = 0; i < n; i++) {
      Written w = normal.get(i);
      due[i] = w.due();
      Instant p = first.get(w.id()).timestamp();
      Effect e = effects.get(w.id());
      Instant a = e == null ? p : e.appliedAt();
      maxPublished[i] = i == 0 || p.isAfter(maxPublished[i - 1]) ? p : maxPublished[i - 1];
      maxApplied[i] = i == 0 || a.isAfter(maxApplied[i - 1]) ? a : maxApplied[i - 1];
    }
    Map<FaultKind, long[]> recovery = new TreeMap<>();
    for (Fault f : faults) {
      int i = lastAtOrBefore(due, f.end());
      long publish = i < 0 ? 0 : Math.max(0, Duration.between(f.end(), maxPublished[i]).toMillis());
      long apply = i < 0 ? 0 : Math.max(0, Duration.between(f.end(), maxApplied[i]).toMillis());
      long[] r = recovery.computeIfAbsent(f.kind(), k -> new long[3]);
      r[0]++;
      r[1] = Math.max(r[1], publish);
      r[2] = Math.max(r[2], apply);
    }
    report.recovery.putAll(recovery);
  }

  private static int lastAtOrBefore(Instant[] sorted, Instant t) {
    int lo = 0;
    int hi = sorted.length - 1;
    int found = -1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (!sorted[mid].isAfter(t)) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }
}
