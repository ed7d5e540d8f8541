package dev.waybill.outbox.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SafeTextTest {
  @Test
  void escapesC0DelC1AndBidiControlsVisibly() {
    assertThat(SafeText.escape("a\u001b[2Jb")).isEqualTo("a\\x1b[2Jb");
    assertThat(SafeText.escape("x\u0000y\u007fz\u009b")).isEqualTo("x\\x00y\\x7fz\\x9b");
    assertThat(SafeText.escape("evil\u202etxt.exe")).isEqualTo("evil\\u202etxt.exe");
    assertThat(SafeText.escape("a\tb\nc\rd")).isEqualTo("a\\tb\\nc\\rd");
  }

  @Test
  void leavesOrdinaryTextIncludingNonAsciiAlone() {
    String s = "Überweisung fehlgeschlagen: 5 € — ok; C:\\tmp";
    assertThat(SafeText.escape(s)).isSameAs(s);
    assertThat(SafeText.escape(null)).isNull();
  }

  @Test
  void keepsLineBreaksWhenAskedButStillEscapesTheRest() {
    assertThat(SafeText.escapeKeepingLines("at a\n\tat \u001b]0;x\u0007b\r"))
        .isEqualTo("at a\n\tat \\x1b]0;x\\x07b\\r");
  }

  @Test
  void jsonQuoteEscapesTheSameCharactersAndStaysDecodable() {
    String s = "k\u001b[31m\u007f\u0085\u202e";
    String q = Json.quote(s);
    assertThat(q).isEqualTo("\"k\\u001b[31m\\u007f\\u0085\\u202e\"");
    assertThat(Json.decodeObject("{\"v\":" + q + "}")).containsEntry("v", s);
  }
}
