package dev.waybill.dlq;

import com.zaxxer.hikari.HikariDataSource;
import dev.waybill.dlq.internal.OutboxDeadLetterStore;
import dev.waybill.outbox.internal.SafeText;
import dev.waybill.outbox.jdbc.DataSources;
import java.io.PrintWriter;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;
import picocli.CommandLine.Option;

/**
 * {@code outbox retry --dry-run} and {@code outbox discard --dry-run}: the change is made in a
 * transaction that is rolled back, so a dry run fails exactly where the real command would (a seq
 * that is gone, a seq already back in the outbox), then prints each dead letter it would move.
 * Nothing changes and no audit entry is written: the audit trail records changes only.
 */
final class OutboxDryRun {
  private OutboxDryRun() {}

  /** {@code --dry-run} of {@code outbox retry} and {@code outbox discard}. */
  static final class Flag {
    @Option(
        names = "--dry-run",
        description =
            "Check and print what would change, in a transaction that is rolled back; change"
                + " nothing and record no audit entry.")
    boolean on;
  }

  static int retry(
      DlqMain.DatabaseOptions.Resolved s, DlqMain.OutboxSelection selection, PrintWriter out) {
    return run(s, selection, out, "retry", OutboxDeadLetterStore::retryDryRun);
  }

  static int discard(
      DlqMain.DatabaseOptions.Resolved s, DlqMain.OutboxSelection selection, PrintWriter out) {
    return run(s, selection, out, "discard", OutboxDeadLetterStore::discardDryRun);
  }

  private static int run(
      DlqMain.DatabaseOptions.Resolved s,
      DlqMain.OutboxSelection selection,
      PrintWriter out,
      String verb,
      BiFunction<OutboxDeadLetterStore, List<Long>, List<Long>> check) {
    try (HikariDataSource ds = DataSources.open(s.db(), "waybill-dlq")) {
      OutboxDeadLetterStore store = OutboxDeadLetterStore.open(ds, s.db().dialect(), s.tables());
      List<Long> would = check.apply(store, selection.resolve(store));
      Set<Long> wanted = new HashSet<>(would);
      for (OutboxDeadLetterStore.Row r : store.list(null, null, Integer.MAX_VALUE - 1)) {
        if (wanted.contains(r.seq())) {
          out.println(
              SafeText.escape(
                  "would "
                      + verb
                      + " seq "
                      + r.seq()
                      + "  topic="
                      + r.topic()
                      + "  key="
                      + r.key()
                      + "  id="
                      + r.id()
                      + (r.parksKey() ? "  (releases its parked key)" : "")));
        }
      }
      out.println(
          "dry run: "
              + would.size()
              + " dead letter(s) would be "
              + (verb.equals("retry")
                  ? "retried into " + s.tables().outboxTable().sql()
                  : "discarded")
              + "; nothing changed, nothing audited");
      out.flush();
    }
    return 0;
  }
}
