package dev.waybill.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class FaultPlanTest {

  private static List<String> described(FaultPlan plan) {
    return plan.faults().stream().map(FaultPlan.Planned::describe).toList();
  }

  @Test
  void theSameSeedDrawsTheSamePlan() {
    Duration d = Duration.ofMinutes(2);

    assertThat(described(FaultPlan.draw(42, d, 10, 3, true)))
        .isEqualTo(described(FaultPlan.draw(42, d, 10, 3, true)));
    assertThat(described(FaultPlan.draw(42, d, 10, 3, true)))
        .isNotEqualTo(described(FaultPlan.draw(43, d, 10, 3, true)));
  }

  @Test
  void aPlanAsLongAsTheDeckHoldsEveryKindOfFaultOnce() {
    FaultPlan plan = FaultPlan.draw(7, Duration.ofMinutes(3), FaultKind.values().length, 3, true);

    EnumSet<FaultKind> kinds = EnumSet.noneOf(FaultKind.class);
    plan.faults().forEach(f -> kinds.add(f.kind()));

    assertThat(kinds).containsExactlyInAnyOrder(FaultKind.values());
  }

  @Test
  void faultsHitBetweenATenthAndFourFifthsOfTheDurationInTimeOrder() {
    Duration d = Duration.ofSeconds(100);
    List<FaultPlan.Planned> faults = FaultPlan.draw(1, d, 50, 3, true).faults();

    assertThat(faults)
        .allSatisfy(
            f -> assertThat(f.at()).isBetween(d.dividedBy(10), d.multipliedBy(8).dividedBy(10)));
    assertThat(faults).isSortedAccordingTo((a, b) -> a.at().compareTo(b.at()));
  }

  @Test
  void aRelayIsPausedLongerThanItsLeaseSoTheZombieCaseHappens() {
    FaultPlan plan = FaultPlan.draw(3, Duration.ofMinutes(10), 200, 3, true);

    assertThat(plan.faults())
        .filteredOn(f -> f.kind() == FaultKind.RELAY_PAUSE)
        .isNotEmpty()
        .allSatisfy(
            f ->
                assertThat(f.hold())
                    .isGreaterThan(Duration.ofSeconds(Deployment.LEASE_TTL_SECONDS)));
  }

  @Test
  void onADatabaseServerTheRigDoesNotOwnThePlanHoldsNoRestartCrashOrSessionKill() {
    FaultPlan plan = FaultPlan.draw(5, Duration.ofMinutes(10), 100, 3, false);

    assertThat(plan.faults()).isNotEmpty().noneMatch(f -> f.kind().needsOwnServer());
  }
}
