package dev.waybill.inbox;

/**
 * Applies one message inside the inbox transaction. Registered per event type ({@code ce_type}) or
 * as the default, on {@link InboxConsumer.Builder}.
 *
 * <p>Effect once, call at least once: the database writes made through {@code tx} take effect
 * exactly once per message id, but the method may be called more than once for a message (a batch
 * that is rolled back and replayed record by record, a retry, a redelivery after a crash before
 * commit). Keep effects outside the database (HTTP calls, e-mails) idempotent, or put them in an
 * outbox.
 *
 * <p>Called from the consumer's worker threads; records of one key are never handled concurrently
 * and always in their partition's order.
 */
@FunctionalInterface
public interface MessageHandler {

  /**
   * Handles {@code message}.
   *
   * @param message the record, after upcasting
   * @param tx the transaction that recorded the message id
   * @throws Exception to roll back; the message is then retried and finally dead-lettered, as
   *     configured
   */
  void handle(InboxMessage message, InboxTransaction tx) throws Exception;
}
