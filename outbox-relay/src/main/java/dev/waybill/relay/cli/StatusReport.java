package dev.waybill.relay.cli;

import dev.waybill.outbox.internal.SafeText;
import dev.waybill.relay.internal.LeaseManager.LeaseRow;
import dev.waybill.relay.internal.LogicalSlot.SlotState;
import dev.waybill.relay.internal.OutboxStore.Backlog;
import dev.waybill.relay.internal.OutboxStore.ParkedKey;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What {@code status} prints, as a table or JSON. Holds no secrets: read from the tables (and, in
 * CDC mode, {@code pg_replication_slots}) only.
 *
 * @param cdc the replication slot when relay.mode=cdc; null in polling mode (output unchanged)
 */
record StatusReport(Backlog backlog, List<ParkedKey> parked, List<LeaseRow> leases, Cdc cdc) {

  /**
   * The CDC relay's replication slot.
   *
   * @param slot relay.cdc.slot
   * @param state the slot as {@code pg_replication_slots} shows it; empty when it does not exist
   */
  record Cdc(String slot, Optional<SlotState> state) {}

  /** Per owner: shard count, latest expiry, highest epoch. */
  Map<String, long[]> owners() {
    Map<String, long[]> out = new TreeMap<>();
    for (LeaseRow l : leases) {
      String owner = l.live() && l.owner() != null ? l.owner() : "(unowned)";
      long[] v = out.computeIfAbsent(owner, k -> new long[] {0, 0, 0});
      v[0]++;
      if (l.live() && l.expiresAt() != null) {
        v[1] = Math.max(v[1], l.expiresAt().toEpochMilli());
      }
      v[2] = Math.max(v[2], l.epoch());
    }
    return out;
  }

  String toTable() {
    StringBuilder b = new StringBuilder();
    Instant now = Instant.now();
    b.append("backlog\n");
    b.append(String.format("  pending messages      %d%n", backlog.pending()));
    b.append(
        String.format(
            "  oldest pending age    %s%n",
            backlog.oldest().map(t -> human(Duration.between(t, now))).orElse("-")));
    b.append(String.format("  dead letters          %d%n", backlog.deadLetters()));
    b.append(String.format("  parked keys           %d%n", backlog.parkedKeys()));
    b.append(String.format("  messages behind them  %d%n", backlog.held()));
    if (!parked.isEmpty()) {
      b.append("\nparked keys (oldest first)\n");
      b.append(
          String.format(
              "  %-24s %-24s %-10s %-36s %-40s %s%n",
              "TOPIC", "KEY", "HELD", "DEAD-LETTERED ID", "ERROR", "SINCE"));
      for (ParkedKey p : parked) {
        b.append(
            String.format(
                "  %-24s %-24s %-10d %-36s %-40s %s ago%n",
                cut(p.topic(), 24),
                cut(p.key(), 24),
                p.held(),
                cut(p.id(), 36),
                cut(p.errorClass(), 40),
                human(Duration.between(p.failedAt(), now))));
      }
    }
    if (cdc != null) {
      b.append("\nCDC replication slot\n");
      b.append(String.format("  slot                  %s%n", SafeText.escape(cdc.slot())));
      if (cdc.state().isEmpty()) {
        b.append(
            "  state                 not present (a relay with relay.cdc.create=true creates it at"
                + " start)\n");
      } else {
        SlotState st = cdc.state().get();
        b.append(
            String.format(
                "  active                %s%n",
                st.active() ? "yes (WAL sender pid " + st.activePid() + ")" : "no (no reader)"));
        b.append(
            String.format(
                "  confirmed_flush_lsn   %s%n",
                st.confirmedLsn() == null ? "-" : st.confirmedLsn()));
        b.append(String.format("  lag                   %d bytes%n", st.lagBytes()));
        b.append(String.format("  WAL retained          %d bytes%n", st.retainedBytes()));
      }
    }
    b.append("\nshard owners (").append(leases.size()).append(" shards)\n");
    b.append(
        String.format("  %-40s %-7s %-7s %s%n", "OWNER", "SHARDS", "EPOCH", "LEASE EXPIRES IN"));
    owners()
        .forEach(
            (owner, v) ->
                b.append(
                    String.format(
                        "  %-40s %-7d %-7d %s%n",
                        cut(owner, 40),
                        v[0],
                        v[2],
                        v[1] == 0
                            ? "-"
                            : human(Duration.between(now, Instant.ofEpochMilli(v[1]))))));
    return b.toString();
  }

  String toJson() {
    StringBuilder b = new StringBuilder("{");
    b.append("\"pending\":").append(backlog.pending());
    b.append(",\"oldestPendingAt\":")
        .append(backlog.oldest().map(t -> q(t.toString())).orElse("null"));
    b.append(",\"oldestPendingAgeSeconds\":")
        .append(
            backlog.oldest().map(t -> Duration.between(t, Instant.now()).toSeconds()).orElse(0L));
    b.append(",\"deadLetters\":").append(backlog.deadLetters());
    b.append(",\"parkedKeys\":").append(backlog.parkedKeys());
    b.append(",\"heldMessages\":").append(backlog.held());
    b.append(",\"parked\":[");
    for (int i = 0; i < parked.size(); i++) {
      ParkedKey p = parked.get(i);
      b.append(i == 0 ? "" : ",")
          .append("{\"topic\":")
          .append(q(p.topic()))
          .append(",\"key\":")
          .append(q(p.key()))
          .append(",\"held\":")
          .append(p.held())
          .append(",\"deadLetterId\":")
          .append(q(p.id()))
          .append(",\"errorClass\":")
          .append(q(p.errorClass()))
          .append(",\"failedAt\":")
          .append(q(p.failedAt().toString()))
          .append('}');
    }
    b.append("],\"owners\":[");
    boolean first = true;
    for (Map.Entry<String, long[]> e : owners().entrySet()) {
      b.append(first ? "" : ",")
          .append("{\"owner\":")
          .append(q(e.getKey()))
          .append(",\"shards\":")
          .append(e.getValue()[0])
          .append(",\"epoch\":")
          .append(e.getValue()[2])
          .append(",\"leaseExpiresAt\":")
          .append(
              e.getValue()[1] == 0 ? "null" : q(Instant.ofEpochMilli(e.getValue()[1]).toString()))
          .append('}');
      first = false;
    }
    b.append("],\"shards\":").append(leases.size());
    if (cdc != null) {
      b.append(",\"cdc\":");
      if (cdc.state().isEmpty()) {
        b.append("null");
      } else {
        SlotState st = cdc.state().get();
        b.append("{\"slot\":")
            .append(q(st.name()))
            .append(",\"active\":")
            .append(st.active())
            .append(",\"activePid\":")
            .append(st.active() ? String.valueOf(st.activePid()) : "null")
            .append(",\"confirmedFlushLsn\":")
            .append(q(st.confirmedLsn()))
            .append(",\"lagBytes\":")
            .append(st.lagBytes())
            .append(",\"retainedBytes\":")
            .append(st.retainedBytes())
            .append('}');
      }
    }
    b.append("}\n");
    return b.toString();
  }

  private static String q(String s) {
    if (s == null) {
      return "null";
    }
    return dev.waybill.outbox.internal.Json.encodeObject(Map.of("v", s))
        .substring(5)
        .replaceAll("}$", "");
  }

  /** Escaped for the terminal (rows written with plain SQL may hold anything), then shortened. */
  private static String cut(String s, int n) {
    if (s == null) {
      return "-";
    }
    String e = SafeText.escape(s);
    return e.length() <= n ? e : e.substring(0, n - 1) + "…";
  }

  static String human(Duration d) {
    long s = Math.max(0, d.toSeconds());
    if (s < 120) {
      return s + "s";
    }
    if (s < 7200) {
      return (s / 60) + "m";
    }
    return (s / 3600) + "h";
  }
}
