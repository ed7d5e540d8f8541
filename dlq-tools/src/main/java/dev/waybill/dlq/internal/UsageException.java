package dev.waybill.dlq.internal;

import dev.waybill.outbox.WaybillException;

/** The command line asks for something impossible or unsafe; exit code 2. Not API. */
public final class UsageException extends WaybillException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what → which value → what was expected → what to do
   */
  public UsageException(String message) {
    super(message);
  }
}
