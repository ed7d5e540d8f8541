package dev.waybill.inbox.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.waybill.inbox.InboxConfig;
import dev.waybill.outbox.config.ConfigException;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class IdCheckTest {

  @Test
  void anIdWithANulOrAnotherControlCharacterIsRefusedWithoutEchoingIt() {
    assertThat(InboxStore.idProblem("message id", "qz\u0000qz"))
        .hasValueSatisfying(p -> assertThat(p).contains("U+0000 at index 2").doesNotContain("qz"));
    assertThat(InboxStore.idProblem("message id", "a\u001b[31m"))
        .get()
        .asString()
        .contains("U+001B");
    assertThat(InboxStore.idProblem("message id", "a\u0085")).get().asString().contains("U+0085");
    assertThat(InboxStore.idProblem("message id", "tab\tid")).isPresent();
  }

  @Test
  void anUnpairedSurrogateBlankOrTooLongIdIsRefusedAndPrintableUnicodeIsAccepted() {
    assertThat(InboxStore.idProblem("message id", "a\uD83D"))
        .get()
        .asString()
        .contains("surrogate");
    assertThat(InboxStore.idProblem("message id", "\uDE00a")).isPresent();
    assertThat(InboxStore.idProblem("message id", "  ")).isPresent();
    assertThat(InboxStore.idProblem("message id", "x".repeat(256)))
        .get()
        .asString()
        .contains("256");
    assertThat(InboxStore.idProblem("message id", "order-€-😀-ünïcode")).isEmpty();
  }

  @Test
  void dataExceptionsAndConstraintViolationsAreDataErrorsAndOutagesAreNot() {
    assertThat(InboxStore.isDataError(new SQLException("nul", "22021"))).isTrue();
    assertThat(InboxStore.isDataError(new SQLException("too long", "22001"))).isTrue();
    assertThat(InboxStore.isDataError(new SQLException("fk", "23503"))).isTrue();
    assertThat(InboxStore.isDataError(new SQLException("gone", "08006"))).isFalse();
    assertThat(InboxStore.isDataError(new SQLException("no state"))).isFalse();
  }

  @Test
  void aKeyShownInTheParkedTableHasNoControlCharactersAndIsCutBetweenCodePoints() {
    assertThat(InboxStore.keyText(new byte[] {'k', 0, '1'})).isEqualTo("k\uFFFD1");
    String key = "x".repeat(1_023) + "😀";
    String shown = InboxStore.keyText(key.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(shown).hasSize(1_023).isEqualTo("x".repeat(1_023));
  }

  @Test
  void aConsumerGroupWithControlCharactersFailsAtStartNotAtEveryRecord() {
    assertThatThrownBy(() -> InboxConfig.builder().groupId("billing\u0000").topics("t").build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("inbox.group.id")
        .hasMessageNotContaining("\u0000");
  }
}
