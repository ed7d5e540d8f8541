package dev.waybill.dlq;

import static dev.waybill.dlq.DeadLetterRecords.b;
import static dev.waybill.dlq.DlqFixture.assertTerminalSafe;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.waybill.outbox.wire.DeadLetterHeaders;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A dead letter is written by whoever can write the dead-letter topic: its exception class and
 * message, id, key and header names reach the operator's terminal only escaped.
 */
class DeadLetterTextEscapingIT {
  /** Clears the screen, sets the window title, recolours, and reverses the rest of the line. */
  static final String CLASS = "java.lang.IllegalStateException\u001b]0;owned\u0007";

  static final String MESSAGE = "stock \u001b[2J\u001b[31mis negative\u009b1m\u007f \u202etxt.exe";
  static final String ID = "id-\u001b[1A\u001b[2K";
  static final String KEY = "k\u009b8m\u202e";

  DlqFixture f;

  @BeforeEach
  void hostileDeadLetter() throws Exception {
    f = new DlqFixture();
    ProducerRecord<byte[], byte[]> r =
        DeadLetterRecords.waybill(f.dlt, f.orders, 0, 1, KEY, ID, "{\"note\":\"\\u001b[5m\"}");
    r.headers().remove(DeadLetterHeaders.EXCEPTION_FQCN);
    r.headers().add(DeadLetterHeaders.EXCEPTION_FQCN, b(CLASS));
    r.headers().remove(DeadLetterHeaders.EXCEPTION_MESSAGE);
    r.headers().add(DeadLetterHeaders.EXCEPTION_MESSAGE, b(MESSAGE));
    r.headers().remove(DeadLetterHeaders.FINGERPRINT);
    r.headers().add(DeadLetterHeaders.FINGERPRINT, b(CLASS + "@com.acme.X.y"));
    r.headers().add("x-\u001b[2Jheader", b("v\u009b0m\r\nforged: line"));
    f.produce(List.of(r));
  }

  @Test
  void listEscapesControlCharactersInTheTableAndKeepsThemExactInJson() {
    DlqToolIT.Run t = f.run("list", f.dlt);
    assertThat(t.exit()).as(t.err()).isZero();
    assertTerminalSafe("list", t.out());
    assertThat(t.out())
        .contains("k\\x9b8m\\u202e", "id-\\x1b[1A\\x1b[2K", "stock \\x1b[2J\\x1b[31m");

    DlqToolIT.Run j = f.run("list", f.dlt, "--format", "json");
    assertThat(j.exit()).as(j.err()).isZero();
    assertTerminalSafe("list --format json", j.out());
    JsonNode row = j.json().get(0);
    assertThat(row.path("exceptionClass").asText()).isEqualTo(CLASS);
    assertThat(row.path("exceptionMessage").asText()).isEqualTo(MESSAGE);
    assertThat(row.path("messageId").asText()).isEqualTo(ID);
    assertThat(row.path("key").asText()).isEqualTo(KEY);
  }

  @Test
  void groupsEscapesTheFingerprintAndTheExample() {
    DlqToolIT.Run t = f.run("groups", f.dlt);
    assertThat(t.exit()).as(t.err()).isZero();
    assertTerminalSafe("groups", t.out());
    assertThat(t.out()).contains("IllegalStateException\\x1b]0;owned\\x07@com.acme.X.y");

    DlqToolIT.Run j = f.run("groups", f.dlt, "--format", "json");
    assertThat(j.exit()).as(j.err()).isZero();
    assertTerminalSafe("groups --format json", j.out());
    assertThat(j.json().get(0).path("fingerprint").asText()).isEqualTo(CLASS + "@com.acme.X.y");
  }

  @Test
  void showEscapesEveryFieldHeaderAndThePayload() {
    DlqToolIT.Run t = f.run("show", f.dlt, "0:0");
    assertThat(t.exit()).as(t.err()).isZero();
    assertTerminalSafe("show", t.out());
    assertThat(t.out())
        .contains("exception     java.lang.IllegalStateException\\x1b]0;owned\\x07")
        .contains("message       stock \\x1b[2J\\x1b[31mis negative\\x9b1m\\x7f \\u202etxt.exe")
        .contains("message id    id-\\x1b[1A\\x1b[2K")
        .contains("  x-\\x1b[2Jheader:\n      v\\x9b0m\\r\n      forged: line")
        .containsIgnoringCase("\\u001b[5m")
        .doesNotContain("\nforged: line");

    DlqToolIT.Run j = f.run("show", f.dlt, "0:0", "--format", "json");
    assertThat(j.exit()).as(j.err()).isZero();
    assertTerminalSafe("show --format json", j.out());
    assertThat(j.json().path("exceptionMessage").asText()).isEqualTo(MESSAGE);
    assertThat(j.json().path("payload").path("note").asText()).isEqualTo("\u001b[5m");
    assertThat(
            f.run("show", f.dlt, "--id", ID, "--format", "json").json().path("messageId").asText())
        .isEqualTo(ID);
  }

  @Test
  void aDryRunAndADiscardDryRunEscapeWhatTheyPrint() {
    DlqToolIT.Run r = f.run("redrive", f.dlt, "--dry-run");
    assertThat(r.exit()).as(r.err()).isZero();
    assertTerminalSafe("redrive --dry-run", r.out() + r.err());
    assertThat(r.out()).contains("would send 0:0 → " + f.orders, "key=k\\x9b8m\\u202e");
    DlqToolIT.Run d = f.run("discard", f.dlt, "--dry-run");
    assertThat(d.exit()).as(d.err()).isZero();
    assertTerminalSafe("discard --dry-run", d.out() + d.err());
  }
}
