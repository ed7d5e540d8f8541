package dev.waybill.relay.cli;

import dev.waybill.outbox.internal.Json;
import dev.waybill.outbox.internal.SafeText;
import java.util.List;
import java.util.Locale;

/**
 * What {@code doctor} prints: a table (one line per check, its fix on the line below) or JSON.
 * Topic and table names come from the database and the cluster, so the table escapes control
 * characters.
 */
record DoctorReport(List<DoctorCheck> checks) {
  DoctorReport {
    checks = List.copyOf(checks);
  }

  /** Whether no check failed. */
  boolean passed() {
    return checks.stream().noneMatch(c -> c.result() == DoctorCheck.Result.FAILED);
  }

  long count(DoctorCheck.Result result) {
    return checks.stream().filter(c -> c.result() == result).count();
  }

  String toTable() {
    StringBuilder b = new StringBuilder();
    b.append(String.format("%-8s %-11s %-32s %s%n", "RESULT", "GROUP", "CHECK", "DETAIL"));
    for (DoctorCheck c : checks) {
      b.append(
          String.format(
              "%-8s %-11s %-32s %s%n",
              c.result().name().toLowerCase(Locale.ROOT),
              c.group(),
              SafeText.escape(c.name()),
              SafeText.escape(c.detail())));
      if (!c.fix().isEmpty()) {
        b.append(String.format("%-8s %-11s %-32s fix: %s%n", "", "", "", SafeText.escape(c.fix())));
      }
    }
    b.append(
        String.format(
            "%n%d ok, %d warning(s), %d failed%n",
            count(DoctorCheck.Result.OK),
            count(DoctorCheck.Result.WARNING),
            count(DoctorCheck.Result.FAILED)));
    return b.toString();
  }

  String toJson() {
    StringBuilder b = new StringBuilder();
    b.append("{\"passed\":").append(passed()).append(",\"checks\":[");
    for (int i = 0; i < checks.size(); i++) {
      DoctorCheck c = checks.get(i);
      if (i > 0) {
        b.append(',');
      }
      b.append("{\"group\":")
          .append(Json.quote(c.group()))
          .append(",\"check\":")
          .append(Json.quote(c.name()))
          .append(",\"result\":")
          .append(Json.quote(c.result().name().toLowerCase(Locale.ROOT)))
          .append(",\"detail\":")
          .append(Json.quote(c.detail()))
          .append(",\"fix\":")
          .append(Json.quote(c.fix()))
          .append('}');
    }
    return b.append("]}\n").toString();
  }
}
