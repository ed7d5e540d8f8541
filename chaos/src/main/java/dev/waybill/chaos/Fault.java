package dev.waybill.chaos;

import java.time.Instant;

/**
 * A fault as it happened: when it hit and when its part was healthy again (the process restarted,
 * the connections thawed, the server up).
 *
 * @param number its place in the plan, from 1
 * @param kind what it was
 * @param target the part it hit, e.g. {@code relay-2-g3}
 * @param start when it hit
 * @param end when the part was back
 */
record Fault(int number, FaultKind kind, String target, Instant start, Instant end) {

  /** For reports: {@code #3 relay-kill relay-2-g1 at 21:40:03.120}. */
  String label() {
    return "#" + number + " " + kind.label() + " " + target + " at " + start;
  }
}
