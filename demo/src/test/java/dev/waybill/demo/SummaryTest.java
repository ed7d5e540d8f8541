package dev.waybill.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Each check of the summary fails when the promise it stands for is broken. */
class SummaryTest {

  /** A run in which every promise held: 100 orders. */
  static Summary held() {
    return new Summary(
        100,
        281,
        9,
        0,
        292,
        281,
        0,
        10,
        10,
        1,
        "order-00007 OrderShipped",
        true,
        1,
        1,
        281,
        281,
        95,
        List.of(),
        280,
        2.0);
  }

  static Summary with(
      long rolledBackInKafka,
      long inKafka,
      long published,
      long outboxLeft,
      long duplicatesSkipped,
      long deadLettered,
      boolean deadLetterIsPoison,
      long redriven,
      long poisonApplied,
      long applied,
      long appliedDistinct,
      List<String> violations) {
    return new Summary(
        100,
        281,
        9,
        rolledBackInKafka,
        inKafka,
        published,
        outboxLeft,
        10,
        duplicatesSkipped,
        deadLettered,
        "x",
        deadLetterIsPoison,
        redriven,
        poisonApplied,
        applied,
        appliedDistinct,
        95,
        violations,
        280,
        2.0);
  }

  static List<String> failedLabels(Summary s) {
    return s.failed().stream().map(f -> f.substring(0, f.indexOf(" ("))).toList();
  }

  @Test
  void aRunThatKeptEveryPromisePassesEightChecks() {
    assertThat(held().failed()).isEmpty();
    assertThat(held().checks()).isEqualTo(8);
  }

  @Test
  void aRolledBackEventInKafkaFailsTheRollbackCheck() {
    Summary s = with(1, 292, 281, 0, 10, 1, true, 1, 1, 281, 281, List.of());
    assertThat(failedLabels(s)).containsExactly("rolled back");
  }

  @Test
  void anUnpublishedEventFailsThePublishedCheck() {
    Summary s = with(0, 291, 280, 1, 10, 1, true, 1, 1, 281, 281, List.of());
    assertThat(failedLabels(s)).contains("published");
  }

  @Test
  void anUnexpectedRecordInKafkaFailsTheRecordCount() {
    Summary s = with(0, 293, 281, 0, 10, 1, true, 1, 1, 281, 281, List.of());
    assertThat(failedLabels(s)).containsExactly("in Kafka");
  }

  @Test
  void aDuplicateThatWasNotSkippedFailsTheDuplicatesCheck() {
    Summary s = with(0, 292, 281, 0, 9, 1, true, 1, 1, 281, 281, List.of());
    assertThat(failedLabels(s)).containsExactly("duplicates");
  }

  @Test
  void aSecondDeadLetterOrTheWrongOneFailsTheDeadLetterCheck() {
    assertThat(failedLabels(with(0, 292, 281, 0, 10, 2, false, 1, 1, 281, 281, List.of())))
        .containsExactly("dead-lettered");
    assertThat(failedLabels(with(0, 292, 281, 0, 10, 1, false, 1, 1, 281, 281, List.of())))
        .containsExactly("dead-lettered");
  }

  @Test
  void aRedriveThatWasNotAppliedFailsTheRedriveCheck() {
    Summary s = with(0, 292, 281, 0, 10, 1, true, 1, 0, 280, 280, List.of());
    assertThat(failedLabels(s)).containsExactly("redriven", "applied");
  }

  @Test
  void aMessageAppliedTwiceFailsTheAppliedCheck() {
    Summary s = with(0, 292, 281, 0, 10, 1, true, 1, 1, 282, 281, List.of());
    assertThat(failedLabels(s)).containsExactly("applied");
  }

  @Test
  void aKeyAppliedOutOfOrderFailsTheOrderCheckAndIsNamed() {
    Summary s =
        with(
            0,
            292,
            281,
            0,
            10,
            1,
            true,
            1,
            1,
            281,
            281,
            List.of(
                "order-00042 applied [OrderPaid, OrderPlaced], written [OrderPlaced, OrderPaid]"));
    assertThat(failedLabels(s)).containsExactly("per-key order");
    assertThat(s.failed().get(0)).contains("order-00042");
  }
}
