package dev.waybill.spring.inbox;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a bean method (or a bean implementing {@link dev.waybill.inbox.MessageHandler}) as the
 * inbox handler of one or more event types ({@code ce_type}). The starter runs one {@link
 * dev.waybill.inbox.InboxConsumer} per consumer group, started once the application context is
 * ready and closed gracefully when it closes; each handler call runs inside a Spring-managed
 * transaction that also records the message id, so a {@code JdbcTemplate}, a JPA repository or a
 * Jdbi handle used by the method commits or rolls back with the inbox row.
 *
 * <pre>{@code
 * @InboxHandler("OrderPlaced")
 * void onOrderPlaced(OrderPlaced event) {        // JSON payload, read with the context's JsonMapper
 *   invoices.save(new Invoice(event.orderId())); // a JPA repository: same transaction
 * }
 * }</pre>
 *
 * <p>A method's parameters may be, in any order: the payload (as {@code String}, {@code byte[]} or
 * any type read from JSON), {@link dev.waybill.inbox.InboxMessage} and {@link
 * dev.waybill.inbox.InboxTransaction}. It returns nothing; throwing rolls back, and the message is
 * retried and then dead-lettered as the inbox does.
 */
@Target({ElementType.METHOD, ElementType.TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface InboxHandler {

  /**
   * The event types handled; empty for the group's default handler (every type without a handler of
   * its own).
   *
   * @return the {@code ce_type} values
   */
  String[] value() default {};

  /**
   * The consumer group; empty for {@code waybill.inbox.group.id}.
   *
   * @return the consumer group this handler belongs to
   */
  String group() default "";

  /**
   * Topics the handler's group reads, added to those of the group's other handlers; when no handler
   * of a group names topics, {@code waybill.inbox.topics} is used.
   *
   * @return the topics
   */
  String[] topics() default {};
}
