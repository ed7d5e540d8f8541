package dev.waybill.spring.inbox.internal;

import dev.waybill.inbox.MessageHandler;
import java.util.List;

/**
 * One {@code @InboxHandler} found on a bean. Not API.
 *
 * @param group the group named on the annotation, or empty for the configured one
 * @param topics the topics named on the annotation
 * @param eventTypes the event types; empty for the default handler
 * @param handler calls the bean
 * @param source the bean and method, for error messages
 */
public record HandlerRegistration(
    String group,
    List<String> topics,
    List<String> eventTypes,
    MessageHandler handler,
    String source) {

  /** Copies the lists. */
  public HandlerRegistration {
    topics = List.copyOf(topics);
    eventTypes = List.copyOf(eventTypes);
  }
}
