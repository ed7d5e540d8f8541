package dev.waybill.dlq;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/** Progress of the commands that read a whole topic, and the shell completion script. */
class DlqProgressAndCompletionIT {
  final DlqFixture f = new DlqFixture();

  void deadLetters(int n) throws Exception {
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      records.add(
          DeadLetterRecords.spring(f.dlt, f.orders, 0, i, "k" + i, DeadLetterRecords.b("{}")));
    }
    f.produce(records);
  }

  @Test
  void progressGoesToStandardErrorAndJsonOnStandardOutputStaysClean() throws Exception {
    deadLetters(5);
    for (String command : List.of("list", "groups")) {
      DlqToolIT.Run run = f.run(command, f.dlt, "--format", "json", "--progress");
      assertThat(run.exit()).as(run.err()).isZero();
      assertThat(run.json().isArray()).isTrue();
      assertThat(run.err()).contains(command + " [").contains("100%").contains("5/5 read");
    }
    DlqToolIT.Run discard = f.run("discard", f.dlt, "--dry-run", "--progress");
    assertThat(discard.err()).contains("discard [").contains("5/5 read, 5 matched");
  }

  @Test
  void withoutATerminalOrProgressFlagNoBarIsDrawn() throws Exception {
    deadLetters(2);
    DlqToolIT.Run run = f.run("list", f.dlt, "--format", "json");
    assertThat(run.err()).doesNotContain("read,");
    DlqToolIT.Run off = f.run("list", f.dlt, "--progress", "--no-progress");
    assertThat(off.err()).isEmpty();
  }

  @Test
  void generateCompletionPrintsABashAndZshScriptForEveryCommand() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = DlqMain.execute(new PrintWriter(out), new PrintWriter(err), "generate-completion");
    assertThat(exit).as(err.toString()).isZero();
    assertThat(out.toString())
        .contains("complete -F")
        .contains("redrive")
        .contains("outbox")
        .contains("--dry-run")
        .contains("--progress");
  }
}
