package dev.waybill.relay.internal;

import java.time.Instant;
import java.time.format.DateTimeFormatter;

/**
 * Formats {@code ce_time} exactly as {@link DateTimeFormatter#ISO_INSTANT} does (fraction in groups
 * of three digits, none when zero), reusing the formatted date and time of the last second seen:
 * the rows of a batch were mostly written within the same second, and formatting each instant from
 * scratch was half of the cost of turning a row into a record. Thread-safe. Not API.
 */
final class CeTime {
  private volatile Second last = new Second(Long.MIN_VALUE, "");

  String format(Instant t) {
    Second s = last;
    if (s.epochSecond != t.getEpochSecond()) {
      String full = DateTimeFormatter.ISO_INSTANT.format(Instant.ofEpochSecond(t.getEpochSecond()));
      s = new Second(t.getEpochSecond(), full.substring(0, full.length() - 1)); // without the Z
      last = s;
    }
    int nanos = t.getNano();
    if (nanos == 0) {
      return s.text + 'Z';
    }
    StringBuilder b = new StringBuilder(s.text.length() + 11).append(s.text).append('.');
    if (nanos % 1_000_000 == 0) {
      pad(b, nanos / 1_000_000, 3);
    } else if (nanos % 1_000 == 0) {
      pad(b, nanos / 1_000, 6);
    } else {
      pad(b, nanos, 9);
    }
    return b.append('Z').toString();
  }

  private static void pad(StringBuilder b, int value, int digits) {
    String v = Integer.toString(value);
    for (int i = v.length(); i < digits; i++) {
      b.append('0');
    }
    b.append(v);
  }

  private record Second(long epochSecond, String text) {}
}
