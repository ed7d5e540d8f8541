package dev.waybill.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.waybill.chaos.Ledger.Delivered;
import dev.waybill.chaos.Ledger.Effect;
import dev.waybill.chaos.Ledger.Written;
import dev.waybill.chaos.Workload.Kind;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The ledger's checks on hand-made observations: each broken promise is reported, and what the
 * promises allow (duplicates, a delayed message passed by later ones) is not.
 */
class LedgerTest {
  private static final Instant T0 = Instant.parse("2026-12-07T21:00:00Z");

  private final Map<String, Written> written = new LinkedHashMap<>();
  private final List<Effect> effects = new ArrayList<>();
  private final List<Delivered> delivered = new ArrayList<>();
  private final List<Delivered> deadLettered = new ArrayList<>();
  private final Map<String, Instant> relayDead = new HashMap<>();
  private final List<String> outboxLeft = new ArrayList<>();
  private final List<String> leasesOfDead = new ArrayList<>();
  private final List<Fault> faults = new ArrayList<>();

  private static Instant at(int second) {
    return T0.plusSeconds(second);
  }

  private Written write(String id, String key, int seq, int second) {
    Written w = new Written(id, key, seq, Kind.JAVA, null, at(second));
    written.put(id, w);
    return w;
  }

  private void deliver(Written w, int second) {
    delivered.add(new Delivered(0, delivered.size(), at(second), w.key(), w.id()));
  }

  private void apply(Written w, int second) {
    effects.add(new Effect(effects.size() + 1, w.id(), w.key(), w.seq(), at(second)));
  }

  private Report judge() {
    return Ledger.judge(
        new Ledger.Observed(
            written,
            effects,
            delivered,
            deadLettered,
            relayDead,
            Set.of(),
            null,
            null,
            outboxLeft,
            List.of(),
            leasesOfDead,
            List.of()),
        faults,
        Map.of());
  }

  private static List<String> checks(Report report) {
    return report.violations().stream().map(Ledger.Violation::check).toList();
  }

  @Test
  void aRunWhereEveryMessageArrivedAndWasAppliedOnceInOrderHasNoViolation() {
    Written a = write("a", "k-1", 1, 1);
    Written b = write("b", "k-1", 2, 2);
    deliver(a, 3);
    deliver(b, 3);
    apply(a, 4);
    apply(b, 4);

    assertThat(judge().passed()).isTrue();
  }

  @Test
  void aCommittedMessageThatNeverReachedTheTopicIsLostAndNamesTheFaultBeforeIt() {
    Written a = write("a", "k-1", 1, 10);
    faults.add(new Fault(1, FaultKind.RELAY_KILL, "relay-1-g1", at(5), at(8)));

    Report report = judge();

    assertThat(checks(report)).containsExactly("lost");
    assertThat(report.violations().get(0).ids()).containsExactly(a.id());
    assertThat(Report.preceding(faults, report.violations().get(0).at()))
        .map(Fault::kind)
        .contains(FaultKind.RELAY_KILL);
  }

  @Test
  void aLaterMessageFirstDeliveredBeforeAnEarlierOneOfItsKeyIsOutOfOrder() {
    Written a = write("a", "k-1", 1, 1);
    Written b = write("b", "k-1", 2, 2);
    deliver(b, 3);
    deliver(a, 4);
    apply(a, 5);
    apply(b, 5);

    assertThat(checks(judge())).containsExactly("first-delivery-out-of-order");
  }

  @Test
  void aCopyAfterTheFirstDeliveryIsCountedAsADuplicateNotAViolation() {
    Written a = write("a", "k-1", 1, 1);
    Written b = write("b", "k-1", 2, 2);
    deliver(a, 3);
    deliver(b, 3);
    deliver(a, 4); // published again after a relay crash
    apply(a, 5);
    apply(b, 5);

    Report report = judge();

    assertThat(report.passed()).isTrue();
    assertThat(report.counts).containsEntry("duplicate records (total)", 1L);
  }

  @Test
  void aDelayedMessagePassedByTheLaterMessagesOfItsKeyIsNoViolation() {
    Written delayed = new Written("a", "k-1", 1, Kind.DELAYED, at(10), at(1));
    written.put("a", delayed);
    Written b = write("b", "k-1", 2, 2);
    deliver(b, 3);
    deliver(delayed, 10);
    apply(b, 4);
    apply(delayed, 11);

    assertThat(judge().passed()).isTrue();
  }

  @Test
  void aDelayedMessagePublishedBeforeItsTimeIsReported() {
    Written delayed = new Written("a", "k-1", 1, Kind.DELAYED, at(10), at(1));
    written.put("a", delayed);
    deliver(delayed, 9);
    apply(delayed, 11);

    assertThat(checks(judge())).containsExactly("published-before-delay");
  }

  @Test
  void anEffectAppliedTwiceIsADoubleEffect() {
    Written a = write("a", "k-1", 1, 1);
    deliver(a, 2);
    apply(a, 3);
    apply(a, 4);

    assertThat(checks(judge())).containsExactly("double-effect");
  }

  @Test
  void effectsAppliedAgainstTheWriteOrderOfTheirKeyAreOutOfOrder() {
    Written a = write("a", "k-1", 1, 1);
    Written b = write("b", "k-1", 2, 2);
    deliver(a, 3);
    deliver(b, 3);
    apply(b, 4);
    apply(a, 5);

    assertThat(checks(judge())).containsExactly("effect-out-of-order");
  }

  @Test
  void aRecordWhoseTransactionNeverCommittedIsReported() {
    delivered.add(new Delivered(0, 0, at(3), "k-1", "rolled-back"));

    assertThat(checks(judge())).containsExactly("delivered-but-never-committed");
  }

  @Test
  void aDeliveredMessageWithoutEffectIsReported() {
    Written a = write("a", "k-1", 1, 1);
    deliver(a, 2);

    assertThat(checks(judge())).containsExactly("delivered-but-never-applied");
  }

  @Test
  void aRelayPoisonMessageMustBeDeadLetteredAndNeverPublished() {
    Written poison = new Written("p", "r-0", 1, Kind.RELAY_TOO_LARGE, null, at(1));
    written.put("p", poison);
    deliver(poison, 2);
    apply(poison, 3);

    assertThat(checks(judge()))
        .containsExactlyInAnyOrder("poison-published", "poison-not-dead-lettered");
  }

  @Test
  void rowsLeftInTheOutboxAndLeasesOfDeadRelaysAreReported() {
    outboxLeft.add("x (seq 7, key k-1)");
    leasesOfDead.add("shard 3 held by relay-1-g1");

    assertThat(checks(judge()))
        .containsExactlyInAnyOrder("outbox-not-empty", "lease-held-by-dead-relay");
  }

  @Test
  void aMessageOfANonPoisonKeyOnTheConsumersDeadLetterTopicIsReported() {
    Written a = write("a", "k-1", 1, 1);
    deliver(a, 2);
    apply(a, 3);
    deadLettered.add(new Delivered(0, 0, at(2), "k-1", "a"));

    assertThat(checks(judge())).containsExactly("unexpected-consumer-dead-letter");
  }
}
