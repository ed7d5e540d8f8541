package dev.waybill.relay.cli;

import java.util.Objects;

/**
 * One line of {@code outbox-relay doctor}: what was checked, how it came out, what was found and,
 * unless it is fine, what to do.
 *
 * @param group the check group: {@code database}, {@code privileges}, {@code cdc}, {@code kafka}
 * @param name what was checked, e.g. {@code reachable} or {@code topic orders}
 * @param result ok, warning or failed
 * @param detail what was found, without a secret
 * @param fix what to do; empty when the result is ok
 */
record DoctorCheck(String group, String name, Result result, String detail, String fix) {

  /** How a check came out: only {@link #FAILED} makes {@code doctor} exit non-zero. */
  enum Result {
    OK,
    WARNING,
    FAILED
  }

  DoctorCheck {
    Objects.requireNonNull(group, "group");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(result, "result");
    detail = detail == null ? "" : detail;
    fix = fix == null ? "" : fix;
  }

  static DoctorCheck ok(String group, String name, String detail) {
    return new DoctorCheck(group, name, Result.OK, detail, "");
  }

  static DoctorCheck warning(String group, String name, String detail, String fix) {
    return new DoctorCheck(group, name, Result.WARNING, detail, fix);
  }

  static DoctorCheck failed(String group, String name, String detail, String fix) {
    return new DoctorCheck(group, name, Result.FAILED, detail, fix);
  }
}
