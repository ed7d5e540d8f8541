package dev.waybill.outbox.schema;

import dev.waybill.outbox.WaybillException;
import java.util.List;

/**
 * The database lacks a table, column or index that Waybill's code needs, or has one of an
 * incompatible type. The message lists every problem, each naming {@code table.column}, and the
 * script that creates the missing piece.
 */
public final class SchemaMismatchException extends WaybillException {
  private static final long serialVersionUID = 1L;

  /** The problems, one line each. */
  private final List<String> problems;

  /**
   * @param message every problem and the fix
   * @param problems the problems, one line each
   */
  public SchemaMismatchException(String message, List<String> problems) {
    super(message);
    this.problems = List.copyOf(problems);
  }

  /**
   * The problems found, one line each, e.g. {@code waybill_outbox.shard: missing (SMALLINT NULL
   * generated (stored)); created by db/waybill/outbox/postgresql/V1__create_outbox_table.sql}.
   *
   * @return the problems, never empty
   */
  public List<String> problems() {
    return problems;
  }
}
